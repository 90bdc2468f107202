// Package imaptest runs an in-process IMAP server on a loopback port (go-imap's
// imapserver with its in-memory backend), for the tests of everything that reads a
// mailbox over IMAP: the IMAP source, the import job, "Test connection".
//
// It is a package of its own, like net/http/httptest, so that the server, its memory
// backend and package testing stay out of the application binary.
package imaptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	mailimap "github.com/backupchecks/backupchecks/app/mail/imap"
)

// Server is a running test IMAP server with one user and an INBOX. It is closed when
// the test that created it ends, and its helpers fail that test on error, so call
// them from its goroutine.
type Server struct {
	Addr     string // "127.0.0.1:port"
	Host     string
	Port     int
	Security string // what Config.Security must be: "none", "tls" or "starttls"
	Username string
	Password string
	// CertPool trusts the server's self-signed certificate (made for 127.0.0.1,
	// ::1 and localhost); set it as tls.Config.RootCAs.
	CertPool *x509.CertPool

	t    testing.TB
	user *imapmemserver.User
}

// Option changes how NewServer sets the server up.
type Option func(*options)

type options struct {
	security string
	caps     goimap.CapSet
}

// TLS makes the server speak implicit TLS (Security "tls").
func TLS() Option { return func(o *options) { o.security = mailimap.SecurityTLS } }

// StartTLS makes the server offer STARTTLS and refuse to log in before it
// (Security "starttls").
func StartTLS() Option { return func(o *options) { o.security = mailimap.SecurityStartTLS } }

// WithoutMove leaves out the MOVE capability, so clients fall back to COPY + EXPUNGE.
func WithoutMove() Option { return func(o *options) { delete(o.caps, goimap.CapMove) } }

// WithoutUIDPlus leaves out UIDPLUS, so clients cannot use UID EXPUNGE.
func WithoutUIDPlus() Option { return func(o *options) { delete(o.caps, goimap.CapUIDPlus) } }

// NewServer starts a server on 127.0.0.1 with user "backupchecks" and an empty INBOX.
// Without options it is plain IMAP (Security "none") with IMAP4rev1, MOVE and UIDPLUS.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	o := options{
		security: mailimap.SecurityNone,
		caps: goimap.CapSet{
			goimap.CapIMAP4rev1: {},
			goimap.CapMove:      {},
			goimap.CapUIDPlus:   {},
		},
	}
	for _, opt := range opts {
		opt(&o)
	}

	cert, pool := selfSignedCert(t)
	s := &Server{
		Security: o.security,
		Username: "backupchecks",
		Password: "test-password",
		CertPool: pool,
		t:        t,
	}

	mem := imapmemserver.New()
	s.user = imapmemserver.NewUser(s.Username, s.Password)
	mem.AddUser(s.user)
	s.CreateFolder("INBOX")

	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}}
	logger := &testLogger{t: t}
	serverOpts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:   o.caps,
		Logger: logger,
	}
	switch o.security {
	case mailimap.SecurityNone:
		serverOpts.InsecureAuth = true
	case mailimap.SecurityStartTLS:
		serverOpts.TLSConfig = tlsConfig
	}
	srv := imapserver.New(serverOpts)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("imaptest: listen: %v", err)
	}
	if o.security == mailimap.SecurityTLS {
		ln = tls.NewListener(ln, tlsConfig)
	}
	s.Addr = ln.Addr().String()
	host, port, _ := net.SplitHostPort(s.Addr)
	s.Host = host
	s.Port, _ = strconv.Atoi(port)

	go srv.Serve(ln)
	t.Cleanup(func() {
		logger.stop()
		srv.Close()
	})
	return s
}

// Config returns a source configuration that reaches this server's INBOX.
func (s *Server) Config() mailimap.Config {
	return mailimap.Config{
		Host:      s.Host,
		Port:      s.Port,
		Security:  s.Security,
		Username:  s.Username,
		Password:  s.Password,
		TLSConfig: &tls.Config{RootCAs: s.CertPool},
	}
}

// CreateFolder creates a folder; it fails the test if it exists. Each creation gets a
// new UIDVALIDITY, so deleting and recreating a folder simulates a server rebuild.
func (s *Server) CreateFolder(name string) {
	s.t.Helper()
	if err := s.user.Create(name, nil); err != nil {
		s.t.Fatalf("imaptest: create folder %q: %v", name, err)
	}
}

// DeleteFolder deletes a folder and the messages in it.
func (s *Server) DeleteFolder(name string) {
	s.t.Helper()
	if err := s.user.Delete(name); err != nil {
		s.t.Fatalf("imaptest: delete folder %q: %v", name, err)
	}
}

// Append stores a message in folder, creating the folder if needed, with date as its
// internal date (when the mailbox received it). It returns the message's UID.
func (s *Server) Append(folder string, raw []byte, date time.Time) uint32 {
	s.t.Helper()
	if _, err := s.user.Status(folder, &goimap.StatusOptions{}); err != nil {
		s.CreateFolder(folder)
	}
	data, err := s.user.Append(folder, bytes.NewReader(raw), &goimap.AppendOptions{Time: date})
	if err != nil {
		s.t.Fatalf("imaptest: append to %q: %v", folder, err)
	}
	return uint32(data.UID)
}

// AppendEmpty stores a message whose BODY[] the server answers with an empty literal
// ({0}), as a server answers for a 0-byte message, and returns its UID. (The memory
// backend re-reads a message's header to answer BODY[]: a 0-byte message comes back as
// a bare CRLF, one whose header it cannot read comes back empty, so it stores that.)
func (s *Server) AppendEmpty(folder string, date time.Time) uint32 {
	s.t.Helper()
	return s.Append(folder, []byte{0}, date)
}

// Message is a stored message as Messages reports it.
type Message struct {
	UID          uint32
	Flags        []string // as stored; the memory backend keeps flags in lower case
	InternalDate time.Time
	Raw          []byte
}

// HasFlag reports whether the message has flag, compared case-insensitively.
func (m Message) HasFlag(flag string) bool {
	for _, f := range m.Flags {
		if strings.EqualFold(f, flag) {
			return true
		}
	}
	return false
}

// Messages returns the messages in folder, oldest first. It reads them over IMAP
// (EXAMINE and BODY.PEEK[]), so it changes nothing.
func (s *Server) Messages(folder string) []Message {
	s.t.Helper()
	c, err := s.dial()
	if err != nil {
		s.t.Fatalf("imaptest: connect: %v", err)
	}
	defer c.Close()
	if err := c.Login(s.Username, s.Password).Wait(); err != nil {
		s.t.Fatalf("imaptest: login: %v", err)
	}
	sel, err := c.Select(folder, &goimap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		s.t.Fatalf("imaptest: examine %q: %v", folder, err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	var seq goimap.SeqSet
	seq.AddRange(1, sel.NumMessages)
	bufs, err := c.Fetch(seq, &goimap.FetchOptions{
		UID:          true,
		Flags:        true,
		InternalDate: true,
		BodySection:  []*goimap.FetchItemBodySection{{Peek: true}},
	}).Collect()
	if err != nil {
		s.t.Fatalf("imaptest: fetch %q: %v", folder, err)
	}
	msgs := make([]Message, len(bufs))
	for i, b := range bufs {
		m := Message{UID: uint32(b.UID), InternalDate: b.InternalDate}
		for _, f := range b.Flags {
			m.Flags = append(m.Flags, string(f))
		}
		for _, sec := range b.BodySection {
			m.Raw = sec.Bytes
		}
		msgs[i] = m
	}
	c.Logout().Wait()
	return msgs
}

func (s *Server) dial() (*imapclient.Client, error) {
	opts := &imapclient.Options{TLSConfig: &tls.Config{RootCAs: s.CertPool}}
	switch s.Security {
	case mailimap.SecurityTLS:
		return imapclient.DialTLS(s.Addr, opts)
	case mailimap.SecurityStartTLS:
		return imapclient.DialStartTLS(s.Addr, opts)
	}
	return imapclient.DialInsecure(s.Addr, opts)
}

// Mail returns a small well-formed report mail with the given Message-ID (without
// angle brackets) and subject.
func Mail(messageID, subject, body string) []byte {
	return []byte("From: Backup Server <backup@example.com>\r\n" +
		"To: reports@example.com\r\n" +
		"Subject: " + subject + "\r\n" +
		"Date: Mon, 02 Jun 2025 03:04:05 +0200\r\n" +
		"Message-ID: <" + messageID + ">\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"\r\n" +
		body + "\r\n")
}

func selfSignedCert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("imaptest: generate key: %v", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatalf("imaptest: serial: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Backupchecks test IMAP server"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("imaptest: create certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("imaptest: parse certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// testLogger sends the server's log to the test log until the test ends; the server's
// goroutines may still log while they shut down, which testing.T forbids.
type testLogger struct {
	mu      sync.Mutex
	t       testing.TB
	stopped bool
}

func (l *testLogger) Printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.stopped {
		l.t.Logf("imaptest server: %s", fmt.Sprintf(format, args...))
	}
}

func (l *testLogger) stop() {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
}
