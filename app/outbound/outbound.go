// Package outbound sends mail the app writes itself (scheduled reports, notifications)
// through the one mail channel configured under Settings → Reporting: Microsoft Graph
// sendMail from the mailbox of Settings → Imports, or SMTP with TLS. Reports and
// notifications both ask FromSettings for the mailer, so a change of channel applies
// to every mail the app sends.
package outbound

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/mail/graph"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/db"
)

// Channels a mail can go out by.
const (
	ChannelNone  = "none"
	ChannelGraph = "graph"
	ChannelSMTP  = "smtp"
)

// Mail is one outgoing plain-text mail with attachments.
type Mail = graph.OutgoingMail

// Mailer sends a mail.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
	Channel() string
}

// GraphMailer sends through Microsoft Graph's sendMail from the mailbox of
// Settings → Imports.
type GraphMailer struct{ Sender *graph.Source }

// Send sends m.
func (g GraphMailer) Send(ctx context.Context, m Mail) error {
	return g.Sender.SendMail(ctx, m)
}

// Channel is "graph".
func (GraphMailer) Channel() string { return ChannelGraph }

// Config is the mail channel as stored (the delivery columns of the report_settings
// row, where Settings → Reporting edits them), the SMTP password decrypted.
type Config struct {
	Channel         string
	SMTPHost        string
	SMTPPort        int
	SMTPSecurity    string // starttls or tls
	SMTPUsername    string
	SMTPPassword    string
	SMTPFrom        string
	HasSMTPPassword bool
}

// LoadConfig reads the mail channel. With keys nil the password is left encrypted
// (HasSMTPPassword tells whether one is stored); a stored password that no longer
// decrypts is reported, the rest still returned.
func LoadConfig(ctx context.Context, idb bun.IDB, keys *secrets.Keyring) (Config, error) {
	row := new(db.ReportSettings)
	if err := idb.NewSelect().Model(row).
		Column("delivery_channel", "smtp_host", "smtp_port", "smtp_security", "smtp_username", "smtp_password", "smtp_from").
		Where("id = 1").Scan(ctx); err != nil {
		return Config{}, fmt.Errorf("outbound: load the mail channel: %w", db.NotFound(err))
	}
	c := Config{Channel: row.DeliveryChannel, SMTPHost: row.SMTPHost, SMTPSecurity: row.SMTPSecurity,
		SMTPUsername: row.SMTPUsername, SMTPFrom: row.SMTPFrom, HasSMTPPassword: len(row.SMTPPassword) > 0}
	if row.SMTPPort != nil {
		c.SMTPPort = *row.SMTPPort
	}
	if len(row.SMTPPassword) > 0 && keys != nil {
		plain, err := keys.Decrypt(row.SMTPPassword)
		if err != nil {
			return c, fmt.Errorf("outbound: SMTP password: %w (enter it again under Settings → Reporting)", err)
		}
		c.SMTPPassword = string(plain)
	}
	return c, nil
}

// ErrNoChannel is returned while no mail channel is chosen.
var ErrNoChannel = errors.New("no mail channel is set under Settings → Reporting (Graph or SMTP)")

// FromSettings builds the mailer of the configured channel.
func FromSettings(ctx context.Context, idb bun.IDB, keys *secrets.Keyring) (Mailer, error) {
	c, err := LoadConfig(ctx, idb, keys)
	if err != nil {
		return nil, err
	}
	switch c.Channel {
	case ChannelSMTP:
		return &SMTPMailer{Host: c.SMTPHost, Port: c.SMTPPort, Security: c.SMTPSecurity, Username: c.SMTPUsername,
			Password: c.SMTPPassword, From: c.SMTPFrom}, nil
	case ChannelGraph:
		sys, err := settings.Load(ctx, idb)
		if err != nil {
			return nil, err
		}
		im, err := settings.ImportsFrom(sys, keys)
		if err != nil {
			return nil, err
		}
		s, err := graph.NewSender(graph.Config{TenantID: im.GraphTenantID, ClientID: im.GraphClientID,
			ClientSecret: im.GraphClientSecret, Mailbox: im.GraphMailbox})
		if err != nil {
			return nil, fmt.Errorf("outbound: the Graph mailbox of Settings → Imports: %w", err)
		}
		return GraphMailer{Sender: s}, nil
	}
	return nil, ErrNoChannel
}

// SMTPMailer sends through an SMTP server with TLS: STARTTLS (default port 587) or
// implicit TLS (465). It never sends without TLS.
type SMTPMailer struct {
	Host      string
	Port      int
	Security  string // starttls or tls
	Username  string
	Password  string
	From      string
	TLSConfig *tls.Config // nil: the system's roots, ServerName = Host (tests set their own roots)
	Timeout   time.Duration
}

// Channel is "smtp".
func (*SMTPMailer) Channel() string { return ChannelSMTP }

// Send delivers m.
func (s *SMTPMailer) Send(ctx context.Context, m Mail) error {
	port := s.Port
	if port == 0 {
		port = 587
		if s.Security == "tls" {
			port = 465
		}
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = time.Minute
	}
	cfg := s.TLSConfig
	if cfg == nil {
		cfg = &tls.Config{}
	}
	cfg = cfg.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = s.Host
	}
	cfg.MinVersion = tls.VersionTLS12
	addr := net.JoinHostPort(s.Host, strconv.Itoa(port))
	dialer := &net.Dialer{Timeout: timeout}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var conn net.Conn
	var err error
	if s.Security == "tls" {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: cfg}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("smtp: connect to %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: %s: %w", addr, err)
	}
	defer c.Close()
	if s.Security != "tls" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("smtp: %s does not offer STARTTLS; mail is never sent unencrypted", addr)
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("smtp: STARTTLS with %s: %w", addr, err)
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, s.Host)); err != nil {
			return fmt.Errorf("smtp: sign in as %s: %w", s.Username, err)
		}
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return fmt.Errorf("smtp: sender %q: %w", s.From, err)
	}
	raw, err := composeMIME(from.String(), m, time.Now())
	if err != nil {
		return err
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("smtp: MAIL FROM %s: %w", s.From, err)
	}
	for _, rcpt := range append(append([]string{}, m.To...), m.Bcc...) {
		if err := c.Rcpt(rcpt); err != nil {
			return fmt.Errorf("smtp: RCPT TO %s: %w", rcpt, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if _, err := w.Write(raw); err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	return c.Quit()
}

// Attachment is a file attached to a mail.
type Attachment = graph.Attachment
