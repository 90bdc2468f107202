package ingest

import (
	"os"
	"testing"
	"time"

	bcmail "github.com/backupchecks/backupchecks/app/mail"
)

func TestParserMail(t *testing.T) {
	raw, err := os.ReadFile("../mail/testdata/pdf-attachment.eml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := bcmail.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m := parserMail(d, time.Time{}); !m.Received.Equal(d.Date) || m.From != "reports@example.com" ||
		m.Subject != d.Subject || m.Text != d.Text || len(m.Attachments) != 1 ||
		m.Attachments[0].ContentType != d.Attachments[0].ContentType || len(m.Attachments[0].Data) != len(d.Attachments[0].Data) {
		t.Errorf("parserMail(zero) = %+v", m)
	}
	at := time.Date(2025, 10, 12, 7, 1, 0, 0, time.UTC)
	if m := parserMail(d, at); !m.Received.Equal(at) {
		t.Errorf("Received = %v, want %v", m.Received, at)
	}
	// A Date of "-0000" says its writer did not know its zone; the parsers must know.
	d, err = bcmail.Decode([]byte("From: nas@example.com\r\nSubject: Backup ok\r\nDate: Mon, 05 Oct 2026 18:03:36 -0000\r\n\r\nbody\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !parserMail(d, time.Time{}).DateZoneUnknown {
		t.Error("DateZoneUnknown not passed on")
	}
}
