package imap

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// session is one logged-in connection, used for a single Fetch, MarkProcessed or Check.
type session struct {
	c        *imapclient.Client
	conn     *idleConn
	greeting *greetingConn
	ctx      context.Context
	timeout  time.Duration
	stop     func() bool // stops closing the connection on ctx cancellation
}

// open connects, secures and logs in.
func (s *Source) open(ctx context.Context) (*session, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("imap: connect: %w", err)
	}
	cfg := s.cfg
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))

	dialer := net.Dialer{Timeout: cfg.Timeout}
	raw, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, dialError(ctx, addr, cfg.Timeout, err)
	}
	conn := &idleConn{Conn: raw, timeout: cfg.Timeout}
	sess := &session{conn: conn, ctx: ctx, timeout: cfg.Timeout}
	// Cancelling ctx must interrupt a blocked read; imapclient has no context support.
	sess.stop = context.AfterFunc(ctx, func() { raw.Close() })

	fail := func(err error) (*session, error) {
		sess.stop()
		raw.Close()
		return nil, err
	}

	tlsConfig := &tls.Config{}
	if cfg.TLSConfig != nil {
		tlsConfig = cfg.TLSConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = cfg.Host
	}

	switch cfg.Security {
	case SecurityTLS:
		if tlsConfig.NextProtos == nil {
			tlsConfig.NextProtos = []string{"imap"}
		}
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail(sess.tlsError(addr, err))
		}
		sess.greeting = &greetingConn{Conn: tc}
		sess.c = imapclient.New(sess.greeting, nil)
	case SecurityStartTLS:
		sess.greeting = &greetingConn{Conn: conn}
		c, err := imapclient.NewStartTLS(sess.greeting, &imapclient.Options{TLSConfig: tlsConfig})
		if err != nil {
			var imapErr *goimap.Error
			if errors.As(err, &imapErr) {
				return fail(fmt.Errorf("imap: STARTTLS with %s: the server refused it (%w); check the port, or use security \"tls\" on port 993", addr, serverError{imapErr}))
			}
			return fail(sess.tlsError(addr, err))
		}
		sess.c = c
	default:
		sess.greeting = &greetingConn{Conn: conn}
		sess.c = imapclient.New(sess.greeting, nil)
	}

	if err := sess.c.WaitGreeting(); err != nil {
		if sess.conn.timedOut.Load() && cfg.Security != SecurityTLS {
			// A TLS port waits for the client's handshake and says nothing.
			return fail(fmt.Errorf("imap: greeting from %s: %w; if the port expects TLS (usually 993), use security \"tls\"", addr, sess.cause(err)))
		}
		return fail(fmt.Errorf("imap: greeting from %s: %w", addr, sess.cause(err)))
	}
	if err := sess.login(cfg.Username, cfg.Password, s.forcePlainAuth); err != nil {
		return fail(err)
	}
	return sess, nil
}

// close logs out and closes the connection; the work is done, so errors are moot.
func (sess *session) close() {
	if sess.c.State() != goimap.ConnStateLogout {
		sess.c.Logout().Wait() // bounded by idleConn
	}
	sess.c.Close()
	sess.stop()
}

// abort closes the connection without a LOGOUT, for a connection in an unknown state
// (e.g. in the middle of a message literal), where draining it would cost more.
func (sess *session) abort() {
	sess.c.Close()
	sess.stop()
}

func (sess *session) login(username, password string, forcePlain bool) error {
	caps := sess.c.Caps()
	var err error
	switch {
	case !caps.Has(goimap.CapLoginDisabled) && !forcePlain:
		err = sess.c.Login(username, password).Wait()
	case caps.Has(goimap.Cap("AUTH=PLAIN")):
		err = sess.c.Authenticate(plainAuth{username, password})
	default:
		return fmt.Errorf("imap: login as %q: the server disables LOGIN and offers no AUTHENTICATE PLAIN; most servers require security \"tls\" or \"starttls\" for that", username)
	}
	if err == nil {
		return nil
	}
	var imapErr *goimap.Error
	if errors.As(err, &imapErr) {
		if imapErr.Code == goimap.ResponseCodePrivacyRequired {
			return fmt.Errorf("imap: login as %q: the server requires TLS first; use security \"tls\" or \"starttls\" (%w)", username, serverError{imapErr})
		}
		return fmt.Errorf("imap: login as %q: %w: check username and password (%w)", username, ErrLoginFailed, serverError{imapErr})
	}
	return fmt.Errorf("imap: login as %q: %w", username, sess.cause(err))
}

// plainAuth is a SASL PLAIN client (RFC 4616); it satisfies go-sasl's Client interface.
type plainAuth struct{ username, password string }

func (a plainAuth) Start() (string, []byte, error) {
	return "PLAIN", []byte("\x00" + a.username + "\x00" + a.password), nil
}

func (a plainAuth) Next([]byte) ([]byte, error) {
	return nil, errors.New("unexpected SASL PLAIN challenge")
}

// cause explains err when the context ended or the server went silent; imapclient
// flattens those into text, so they are recognised from our side of the connection.
func (sess *session) cause(err error) error {
	if ctxErr := sess.ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if sess.conn.timedOut.Load() {
		return fmt.Errorf("the server did not answer within %s", sess.timeout)
	}
	var imapErr *goimap.Error
	if errors.As(err, &imapErr) {
		return serverError{imapErr}
	}
	return err
}

func (sess *session) tlsError(addr string, err error) error {
	if sess.ctx.Err() != nil || sess.conn.timedOut.Load() {
		return fmt.Errorf("imap: TLS with %s: %w", addr, sess.cause(err))
	}
	var (
		unknownAuthority x509.UnknownAuthorityError
		wrongHost        x509.HostnameError
		invalid          x509.CertificateInvalidError
		notTLS           tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknownAuthority):
		return fmt.Errorf("imap: TLS with %s: %w: it is self-signed or issued by an unknown authority; install its CA on this host or use a certificate from a public CA (%v)", addr, ErrCertificateUntrusted, err)
	case errors.As(err, &wrongHost):
		return fmt.Errorf("imap: TLS with %s: %w: it is not valid for %q (%v)", addr, ErrCertificateUntrusted, wrongHost.Host, err)
	case errors.As(err, &invalid):
		return fmt.Errorf("imap: TLS with %s: %w: %v", addr, ErrCertificateUntrusted, err)
	case errors.As(err, &notTLS):
		return fmt.Errorf("imap: TLS with %s: the server did not answer with TLS; port 993 is TLS, port 143 needs security \"starttls\"", addr)
	}
	return fmt.Errorf("imap: TLS with %s: handshake failed: %w", addr, err)
}

func dialError(ctx context.Context, addr string, timeout time.Duration, err error) error {
	var dnsErr *net.DNSError
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("imap: connect to %s: %w", addr, ctx.Err())
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("imap: connect to %s: connection refused; check host and port, and that the server is running", addr)
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return fmt.Errorf("imap: connect to %s: host %q not found", addr, dnsErr.Name)
	case errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		return fmt.Errorf("imap: connect to %s: no answer within %s; check host, port and firewall", addr, timeout)
	}
	return fmt.Errorf("imap: connect to %s: %w", addr, err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// serverError is a tagged NO or BAD from the server, shown as what the server said.
type serverError struct{ err *goimap.Error }

func (e serverError) Error() string {
	s := "server said: " + string(e.err.Type)
	if e.err.Code != "" {
		s += " [" + string(e.err.Code) + "]"
	}
	if e.err.Text != "" {
		s += " " + e.err.Text
	}
	return s
}

func (e serverError) Unwrap() error { return e.err }

// idleConn bounds every read and write by the configured timeout, so a silent server
// fails the call instead of hanging it, while a large message that keeps arriving is
// never cut off. imapclient's own fixed deadlines (30s, 5 min for literals) are
// ignored in favour of this one. The client always has a read pending, so a session
// must not pause longer than the timeout between commands; none does.
type idleConn struct {
	net.Conn
	timeout  time.Duration
	timedOut atomic.Bool
}

func (c *idleConn) Read(b []byte) (int, error) {
	// The client's reader retries a read that timed out (a few times, each a full
	// timeout): once the server has been silent for the timeout, it stays failed.
	if c.timedOut.Load() {
		return 0, fmt.Errorf("imap: read: %w", os.ErrDeadlineExceeded)
	}
	c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	n, err := c.Conn.Read(b)
	if err != nil && isTimeout(err) {
		c.timedOut.Store(true)
	}
	return n, err
}

func (c *idleConn) Write(b []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	n, err := c.Conn.Write(b)
	if err != nil && isTimeout(err) {
		c.timedOut.Store(true)
	}
	return n, err
}

func (c *idleConn) SetDeadline(time.Time) error      { return nil }
func (c *idleConn) SetReadDeadline(time.Time) error  { return nil }
func (c *idleConn) SetWriteDeadline(time.Time) error { return nil }

// greetingConn keeps the server's first line, which imapclient does not expose; it
// often names the server software (e.g. "Dovecot ready.").
type greetingConn struct {
	net.Conn
	mu   sync.Mutex
	line []byte
	done bool
}

func (c *greetingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	if !c.done && n > 0 {
		c.line = append(c.line, b[:n]...)
		if i := bytes.IndexByte(c.line, '\n'); i >= 0 {
			c.line, c.done = c.line[:i], true
		} else if len(c.line) > 1024 {
			c.line, c.done = c.line[:1024], true
		}
	}
	c.mu.Unlock()
	return n, err
}

// text is the greeting without "* OK" and any [CAPABILITY ...] code.
func (c *greetingConn) text() string {
	c.mu.Lock()
	line := strings.TrimSpace(string(c.line))
	c.mu.Unlock()
	for _, prefix := range []string{"* OK", "* PREAUTH"} {
		if len(line) >= len(prefix) && strings.EqualFold(line[:len(prefix)], prefix) {
			line = strings.TrimSpace(line[len(prefix):])
			break
		}
	}
	if strings.HasPrefix(line, "[") {
		if i := strings.IndexByte(line, ']'); i >= 0 {
			line = strings.TrimSpace(line[i+1:])
		}
	}
	return line
}

// serverDetails describes the server for "Test connection": its greeting and the
// capabilities that decide how processed mail is moved.
func (sess *session) serverDetails() string {
	caps := sess.c.Caps()
	var have []string
	for _, c := range []goimap.Cap{goimap.CapIMAP4rev2, goimap.CapIMAP4rev1, goimap.CapMove, goimap.CapUIDPlus} {
		if caps.Has(c) && !slices.Contains(have, string(c)) {
			have = append(have, string(c))
		}
	}
	details := strings.Join(have, ", ")
	if g := sess.greeting.text(); g != "" {
		details = g + " (" + details + ")"
	}
	return details
}

// folders lists the selectable folders.
func (sess *session) folders() ([]string, error) {
	list, err := sess.c.List("", "*", nil).Collect()
	if err != nil {
		return nil, fmt.Errorf("imap: list folders: %w", sess.cause(err))
	}
	var names []string
	for _, f := range list {
		if slices.Contains(f.Attrs, goimap.MailboxAttrNoSelect) || slices.Contains(f.Attrs, goimap.MailboxAttrNonExistent) {
			continue
		}
		names = append(names, f.Mailbox)
	}
	slices.Sort(names)
	return names, nil
}

// selectFolder opens folder, read-only for Fetch so it cannot change anything. A
// refusal is turned into ErrFolderNotFound, with the folders that do exist, when the
// folder is indeed missing.
func (sess *session) selectFolder(folder string, readOnly bool) (*goimap.SelectData, error) {
	data, err := sess.c.Select(folder, &goimap.SelectOptions{ReadOnly: readOnly}).Wait()
	if err == nil {
		return data, nil
	}
	var imapErr *goimap.Error
	if !errors.As(err, &imapErr) {
		return nil, fmt.Errorf("imap: select %q: %w", folder, sess.cause(err))
	}
	names, listErr := sess.folders()
	if listErr != nil || slices.ContainsFunc(names, func(n string) bool { return sameFolder(n, folder) }) {
		return nil, fmt.Errorf("imap: select %q: %w", folder, serverError{imapErr})
	}
	return nil, fmt.Errorf("imap: select %q: %w; the mailbox has: %s", folder, ErrFolderNotFound, strings.Join(names, ", "))
}
