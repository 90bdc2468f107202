package reports_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/mail/graph"
	"github.com/backupchecks/backupchecks/app/mail/graph/graphtest"
	"github.com/backupchecks/backupchecks/app/reports"
)

// scheduled saves a monthly definition for Müller and Łódź, planned from Feb 10.
func scheduled(t *testing.T, f *fixture, recipients string) int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := f.d.Bun.ExecContext(ctx, "UPDATE system_settings SET ui_timezone = 'Europe/Amsterdam'"); err != nil {
		t.Fatal(err)
	}
	d, err := reports.SaveDefinition(ctx, f.d.Bun, audit.Actor{ID: f.userID, Name: "rep"}, 0, reports.DefinitionInput{
		Name: "Monthly proof", CustomerIDs: []int64{f.muller, f.lodz}, Period: reports.PeriodPreviousMonth,
		ShowJobs: true, ShowGrid: true, ShowTrend: true, ShowFailures: true, Schedule: reports.ScheduleMonthly,
		Recipients: recipients,
	}, time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC), f.loc)
	if err != nil {
		t.Fatal(err)
	}
	return d.ID
}

func TestPlanDeliveries(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := scheduled(t, f, "Müller GmbH: it@mueller.example, CFO@mueller.example\nops@msp.example")
	// Still February: nothing is due.
	ids, err := reports.PlanDeliveries(ctx, f.d.Bun, reports.ChannelGraph, time.Date(2026, 2, 28, 22, 0, 0, 0, time.UTC), f.loc)
	if err != nil || len(ids) != 0 {
		t.Fatalf("February 28: %v %v, want nothing due", ids, err)
	}
	// March 1st local (Feb 28 23:30 UTC): February is due, once.
	now := time.Date(2026, 2, 28, 23, 30, 0, 0, time.UTC)
	ids, err = reports.PlanDeliveries(ctx, f.d.Bun, reports.ChannelGraph, now, f.loc)
	if err != nil || len(ids) != 2 {
		t.Fatalf("March 1: %v %v, want two deliveries", ids, err)
	}
	if again, err := reports.PlanDeliveries(ctx, f.d.Bun, reports.ChannelGraph, now, f.loc); err != nil || len(again) != 0 {
		t.Fatalf("planned twice: %v %v", again, err)
	}
	ds, err := reports.Deliveries(ctx, f.d.Bun, id, 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range ds {
		got[d.CustomerName] = strings.Join(d.Recipients, " ") + " " + d.PeriodFrom.Format("2006-01-02") + ".." + d.PeriodTo.Format("2006-01-02")
	}
	if got["Müller GmbH"] != "CFO@mueller.example it@mueller.example ops@msp.example 2026-02-01..2026-02-28" ||
		got["Łódź Logistics"] != "ops@msp.example 2026-02-01..2026-02-28" {
		t.Errorf("deliveries %v", got)
	}
	var next time.Time
	if err := f.d.Bun.NewRaw("SELECT next_period_from FROM report_definitions WHERE id = ?", id).Scan(ctx, &next); err != nil || next.Format("2006-01-02") != "2026-03-01" {
		t.Errorf("next period %s %v, want 2026-03-01", next, err)
	}
}

// Graph sendMail: a failed attempt is recorded as retrying and returned (the River job
// retries it); the next one sends the PDF to the customer, the MSP copy in Bcc.
func TestSendDeliveryGraph(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	scheduled(t, f, "Müller GmbH: it@mueller.example\nops@msp.example")
	now := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	ids, err := reports.PlanDeliveries(ctx, f.d.Bun, reports.ChannelGraph, now, f.loc)
	if err != nil || len(ids) != 2 {
		t.Fatalf("%v %v", ids, err)
	}
	fake := graphtest.NewFakeServer(t)
	cfg := fake.Config("", "")
	cfg.MaxRetries = -1 // the delivery's own retries are under test
	sender, err := graph.NewSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mailer := reports.GraphMailer{Sender: sender}
	var muller int64
	if err := f.d.Bun.NewRaw("SELECT id FROM report_deliveries WHERE customer_name = 'Müller GmbH'").Scan(ctx, &muller); err != nil {
		t.Fatal(err)
	}

	fake.FailNext(1, http.StatusServiceUnavailable)
	if err := reports.SendDelivery(ctx, f.d.Bun, mailer, muller, 1, now); err == nil {
		t.Fatal("a refused sendMail reported success")
	}
	wantDelivery(t, f, muller, "retrying", 1)
	if err := reports.SendDelivery(ctx, f.d.Bun, mailer, muller, 2, now); err != nil {
		t.Fatal(err)
	}
	wantDelivery(t, f, muller, "sent", 2)
	sent := fake.Sent()
	if len(sent) != 1 {
		t.Fatalf("%d mails sent", len(sent))
	}
	m := sent[0]
	if strings.Join(m.To, ",") != "it@mueller.example" || strings.Join(m.Bcc, ",") != "ops@msp.example" ||
		m.Subject != "Backup report Müller GmbH · 2026-02-01 – 2026-02-28" || len(m.Attachments) != 1 {
		t.Fatalf("mail %+v", m)
	}
	text := strings.Join(pdfText(t, m.Attachments[0].Data), "\n")
	if !strings.Contains(text, "Müller GmbH") || !strings.Contains(text, "Nightly VMs") {
		t.Errorf("attached PDF:\n%s", text)
	}
	// Sent is final: a retry of the job sends nothing again.
	if err := reports.SendDelivery(ctx, f.d.Bun, mailer, muller, 3, now); err != nil || len(fake.Sent()) != 1 {
		t.Errorf("resent: %v, %d mails", err, len(fake.Sent()))
	}

	// The last attempt failing marks the delivery failed, audited with the reason.
	var lodz int64
	if err := f.d.Bun.NewRaw("SELECT id FROM report_deliveries WHERE customer_name = 'Łódź Logistics'").Scan(ctx, &lodz); err != nil {
		t.Fatal(err)
	}
	fake.FailNext(1, http.StatusForbidden)
	if err := reports.SendDelivery(ctx, f.d.Bun, mailer, lodz, reports.MaxAttempts, now); err == nil {
		t.Fatal("no error")
	}
	wantDelivery(t, f, lodz, "failed", reports.MaxAttempts)
	var actions []string
	if err := f.d.Bun.NewRaw("SELECT action FROM audit_log WHERE action LIKE 'report.%' ORDER BY id").Scan(ctx, &actions); err != nil {
		t.Fatal(err)
	}
	if strings.Join(actions, ",") != "report.created,report.delivered,report.delivery_failed" {
		t.Errorf("audit %v", actions)
	}
}

func wantDelivery(t *testing.T, f *fixture, id int64, status string, attempts int) {
	t.Helper()
	var got struct {
		Status    string
		Attempts  int
		LastError string
	}
	if err := f.d.Bun.NewRaw("SELECT status, attempts, last_error FROM report_deliveries WHERE id = ?", id).Scan(context.Background(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Status != status || got.Attempts != attempts || (status != "sent") != (got.LastError != "") {
		t.Errorf("delivery %d: %+v, want %s after %d attempts", id, got, status, attempts)
	}
}

func TestRetryDelay(t *testing.T) {
	for n, want := range map[int]time.Duration{1: time.Minute, 2: 5 * time.Minute, 3: 25 * time.Minute} {
		if got := reports.RetryDelay(n); got != want {
			t.Errorf("retry %d: %s, want %s", n, got, want)
		}
	}
}

// smtpServer is a real SMTP server on loopback (go-smtp) that offers STARTTLS with a
// certificate of its own and PLAIN authentication, and keeps what it received.
type smtpServer struct {
	addr  string
	roots *x509.CertPool
	mu    sync.Mutex
	got   []received
}

type received struct {
	from string
	to   []string
	data []byte
	user string
}

func newSMTPServer(t *testing.T, implicitTLS bool) *smtpServer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	s := &smtpServer{roots: x509.NewCertPool()}
	s.roots.AddCert(cert)
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: s}, nil }))
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	var ln net.Listener
	if implicitTLS {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return s
}

type smtpSession struct {
	srv  *smtpServer
	cur  received
	user string
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "reports@msp.example" || pass != "s3cret pass" {
			return errors.New("invalid credentials")
		}
		s.user = user
		return nil
	}), nil
}
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error { s.cur.from = from; return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data, s.cur.user = b, s.user
	s.srv.mu.Lock()
	s.srv.got = append(s.srv.got, s.cur)
	s.srv.mu.Unlock()
	return nil
}
func (s *smtpSession) Reset()        { s.cur = received{} }
func (s *smtpSession) Logout() error { return nil }

func TestSMTPMailer(t *testing.T) {
	for _, security := range []string{"starttls", "tls"} {
		t.Run(security, func(t *testing.T) {
			srv := newSMTPServer(t, security == "tls")
			_, port, _ := net.SplitHostPort(srv.addr)
			m := &reports.SMTPMailer{Host: "localhost", Security: security, Username: "reports@msp.example",
				Password: "s3cret pass", From: "Backup reports <reports@msp.example>", TLSConfig: &tls.Config{RootCAs: srv.roots},
				Timeout: 10 * time.Second}
			m.Port = atoiT(t, port)
			pdf := []byte("%PDF-1.4 fake")
			err := m.Send(context.Background(), graph.OutgoingMail{To: []string{"it@müller.example", "cfo@mueller.example"},
				Bcc: []string{"ops@msp.example"}, Subject: "Backup report Müller GmbH · 2026-02", Body: "Hallo,\nanbei der Bericht.",
				Attachments: []graph.Attachment{{Name: "report-müller.pdf", ContentType: "application/pdf", Data: pdf}}})
			if err != nil {
				t.Fatal(err)
			}
			if len(srv.got) != 1 {
				t.Fatalf("%d mails received", len(srv.got))
			}
			r := srv.got[0]
			if r.user != "reports@msp.example" || r.from != "reports@msp.example" || strings.Join(r.to, ",") != "it@müller.example,cfo@mueller.example,ops@msp.example" {
				t.Errorf("envelope %+v", r)
			}
			msg, err := mail.ReadMessage(bytes.NewReader(r.data))
			if err != nil {
				t.Fatal(err)
			}
			dec := new(mimeDecoder)
			if subj, _ := dec.DecodeHeader(msg.Header.Get("Subject")); subj != "Backup report Müller GmbH · 2026-02" {
				t.Errorf("subject %q", subj)
			}
			if strings.Contains(string(r.data), "ops@msp.example") {
				t.Error("the Bcc address is in the message")
			}
			if !strings.Contains(string(r.data), "Content-Disposition: attachment; filename") || !strings.Contains(string(r.data), "JVBERi0xLjQgZmFrZQ==") {
				t.Errorf("no attachment:\n%s", r.data)
			}
		})
	}
	// A server without STARTTLS is refused: reports never travel unencrypted.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	plain := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: &smtpServer{}}, nil }))
	plain.Domain, plain.AllowInsecureAuth = "localhost", true
	go func() { _ = plain.Serve(ln) }()
	defer plain.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	m := &reports.SMTPMailer{Host: "127.0.0.1", Port: atoiT(t, port), Security: "starttls", From: "r@msp.example", Timeout: 5 * time.Second}
	if err := m.Send(context.Background(), graph.OutgoingMail{To: []string{"a@b.example"}, Subject: "x"}); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("plain server: %v", err)
	}
}

type mimeDecoder = mime.WordDecoder

func atoiT(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
