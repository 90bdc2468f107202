package graph

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// NewSender returns a Source that only sends mail (SendMail) from cfg.Mailbox: the
// folders are not needed. The app registration needs the Mail.Send application
// permission.
func NewSender(cfg Config) (*Source, error) {
	cfg.TenantID = strings.TrimSpace(cfg.TenantID)
	cfg.ClientID = strings.TrimSpace(cfg.ClientID)
	cfg.Mailbox = strings.TrimSpace(cfg.Mailbox)
	cfg.LoginURL = strings.TrimRight(strings.TrimSpace(cfg.LoginURL), "/")
	cfg.GraphURL = strings.TrimRight(strings.TrimSpace(cfg.GraphURL), "/")
	if cfg.LoginURL == "" {
		cfg.LoginURL = DefaultLoginURL
	}
	if cfg.GraphURL == "" {
		cfg.GraphURL = DefaultGraphURL
	}
	var errs []error
	for _, f := range []struct{ value, name string }{
		{cfg.TenantID, "tenant ID"}, {cfg.ClientID, "client ID"}, {cfg.ClientSecret, "client secret"}, {cfg.Mailbox, "mailbox"},
	} {
		if f.value == "" {
			errs = append(errs, fmt.Errorf("%s is required", f.name))
		}
	}
	graphURL, err := parseBaseURL(cfg.GraphURL)
	if err != nil {
		errs = append(errs, fmt.Errorf("graph URL: %w", err))
	}
	if _, err := parseBaseURL(cfg.LoginURL); err != nil {
		errs = append(errs, fmt.Errorf("login URL: %w", err))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("graph: sender config: %w", errors.Join(errs...))
	}
	return build(cfg, graphURL), nil
}

// Attachment is a file attached to an outgoing mail.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// OutgoingMail is a plain-text mail to send.
type OutgoingMail struct {
	To, Bcc     []string
	Subject     string
	Body        string
	Attachments []Attachment
}

// MaxSendMailBytes is what one sendMail request may carry (Graph refuses larger
// requests; bigger attachments would need an upload session).
const MaxSendMailBytes = 4 << 20

// SendMail sends m from the mailbox through Graph's sendMail (kept in Sent Items).
// Throttling and server errors are retried as every Graph call is.
func (s *Source) SendMail(ctx context.Context, m OutgoingMail) error {
	type address struct {
		EmailAddress struct {
			Address string `json:"address"`
		} `json:"emailAddress"`
	}
	addrs := func(xs []string) []address {
		out := make([]address, len(xs))
		for i, x := range xs {
			out[i].EmailAddress.Address = x
		}
		return out
	}
	type attachment struct {
		Type         string `json:"@odata.type"`
		Name         string `json:"name"`
		ContentType  string `json:"contentType"`
		ContentBytes string `json:"contentBytes"`
	}
	var req struct {
		Message struct {
			Subject string `json:"subject"`
			Body    struct {
				ContentType string `json:"contentType"`
				Content     string `json:"content"`
			} `json:"body"`
			To          []address    `json:"toRecipients"`
			Bcc         []address    `json:"bccRecipients,omitempty"`
			Attachments []attachment `json:"attachments,omitempty"`
		} `json:"message"`
		SaveToSentItems bool `json:"saveToSentItems"`
	}
	req.Message.Subject = m.Subject
	req.Message.Body.ContentType = "Text"
	req.Message.Body.Content = m.Body
	req.Message.To = addrs(m.To)
	req.Message.Bcc = addrs(m.Bcc)
	for _, a := range m.Attachments {
		req.Message.Attachments = append(req.Message.Attachments, attachment{Type: "#microsoft.graph.fileAttachment",
			Name: a.Name, ContentType: a.ContentType, ContentBytes: base64.StdEncoding.EncodeToString(a.Data)})
	}
	req.SaveToSentItems = true
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("graph: send mail: %w", err)
	}
	if len(body) > MaxSendMailBytes {
		return fmt.Errorf("graph: send mail: the message is %d KB, more than the %d KB Graph accepts in one request", len(body)>>10, MaxSendMailBytes>>10)
	}
	if err := s.do(ctx, http.MethodPost, s.user+"/sendMail", body, discard); err != nil {
		return fmt.Errorf("graph: send mail from %s: %w", s.cfg.Mailbox, err)
	}
	return nil
}
