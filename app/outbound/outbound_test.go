package outbound_test

import (
	"bytes"
	"context"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/outbound"
	"github.com/backupchecks/backupchecks/app/outbound/smtptest"
)

func TestSMTPMailer(t *testing.T) {
	for _, security := range []string{"starttls", "tls"} {
		t.Run(security, func(t *testing.T) {
			srv := smtptest.New(t, security == "tls")
			m := srv.Mailer(security, "Backup reports <reports@msp.example>")
			pdf := []byte("%PDF-1.4 fake")
			err := m.Send(context.Background(), outbound.Mail{To: []string{"it@müller.example", "cfo@mueller.example"},
				Bcc: []string{"ops@msp.example"}, Subject: "Backup report Müller GmbH · 2026-02", Body: "Hallo,\nanbei der Bericht.",
				Attachments: []outbound.Attachment{{Name: "report-müller.pdf", ContentType: "application/pdf", Data: pdf}}})
			if err != nil {
				t.Fatal(err)
			}
			got := srv.Received()
			if len(got) != 1 {
				t.Fatalf("%d mails received", len(got))
			}
			r := got[0]
			if r.User != smtptest.User || r.From != "reports@msp.example" || strings.Join(r.To, ",") != "it@müller.example,cfo@mueller.example,ops@msp.example" {
				t.Errorf("envelope %+v", r)
			}
			msg, err := mail.ReadMessage(bytes.NewReader(r.Data))
			if err != nil {
				t.Fatal(err)
			}
			dec := new(mime.WordDecoder)
			if subj, _ := dec.DecodeHeader(msg.Header.Get("Subject")); subj != "Backup report Müller GmbH · 2026-02" {
				t.Errorf("subject %q", subj)
			}
			if strings.Contains(string(r.Data), "ops@msp.example") {
				t.Error("the Bcc address is in the message")
			}
			if !strings.Contains(string(r.Data), "Content-Disposition: attachment; filename") || !strings.Contains(string(r.Data), "JVBERi0xLjQgZmFrZQ==") {
				t.Errorf("no attachment:\n%s", r.Data)
			}
		})
	}
	// A server without STARTTLS is refused: mail never travels unencrypted.
	plain := smtptest.NewPlain(t)
	m := &outbound.SMTPMailer{Host: "127.0.0.1", Port: plain.Port(), Security: "starttls", From: "r@msp.example", Timeout: 5 * time.Second}
	if err := m.Send(context.Background(), outbound.Mail{To: []string{"a@b.example"}, Subject: "x"}); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("plain server: %v", err)
	}
}
