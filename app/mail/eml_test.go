package mail_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/backupchecks/backupchecks/app/mail"
)

func TestReadFile(t *testing.T) {
	lim := mail.Limits{MaxMessage: 1 << 10, MaxAttachment: 512}
	report := []byte("From: Backup <nas@backup.example.net>\r\nSubject: [Success] Nightly\r\nDate: Mon, 02 Mar 2026 22:01:00 +0100\r\n\r\nAll done.\r\n")
	mbox := append([]byte("\r\nFrom nas@example.com Mon Mar  2 22:00:00 2026\r\n"), report...)
	broken := []byte("Subject: x\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n\x00\x01 garbage")
	for _, tc := range []struct {
		name    string
		raw     []byte
		tooBig  bool
		wantLen int
		notMail bool
	}{
		{"empty file", nil, false, 0, false},
		{"blank lines", []byte("\r\n\r\n"), false, 4, false},
		{"a report", report, false, len(report), false},
		{"a report after blank lines and an mbox From line", mbox, false, len(mbox), false},
		{"a broken mail", broken, false, len(broken), false},
		{"exactly the limit", append(bytes.Clone(report), bytes.Repeat([]byte("x"), 1<<10-len(report))...), false, 1 << 10, false},
		{"one byte over", append(bytes.Clone(report), bytes.Repeat([]byte("x"), 1<<10-len(report)+1)...), true, 0, false},
		{"far over", bytes.Repeat([]byte("y"), 1<<20), true, 0, false},
		{"a PDF", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"), false, 0, true},
		{"a note", []byte("Notes from the meeting\nCall Acme about the NAS.\n"), false, 0, true},
		{"a note with a colon", []byte("Note: call Acme\nTo do: the NAS\n"), false, 0, true},
		{"headers that are not a mail's", []byte("Host: example.com\r\nAccept: */*\r\n\r\n"), false, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(tc.raw)), nil }
			m, err := mail.ReadFile(open, 0, lim)
			if tc.notMail {
				if !errors.Is(err, mail.ErrNotMailFile) {
					t.Fatalf("err = %v, want ErrNotMailFile", err)
				}
				return
			}
			var tl *mail.TooLargeError
			if tc.tooBig {
				if !errors.As(err, &tl) || tl.Limit != 1<<10 || !strings.Contains(err.Error(), "1 KB limit") {
					t.Fatalf("err = %v, want the 1 KB limit", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Raw) != tc.wantLen || m.Size != int64(tc.wantLen) || m.SourceID != mail.ContentSourceID(tc.raw) {
				t.Fatalf("got %d bytes, size %d, id %s; want %d bytes with the file's hash", len(m.Raw), m.Size, m.SourceID, tc.wantLen)
			}
		})
	}
}

// TestReadFileRefusesByStatedSize: a file whose holder tells it is over the limit is
// refused before it is opened.
func TestReadFileRefusesByStatedSize(t *testing.T) {
	lim := mail.Limits{MaxMessage: 1 << 10, MaxAttachment: 512}
	opened := false
	_, err := mail.ReadFile(func() (io.ReadCloser, error) {
		opened = true
		return io.NopCloser(strings.NewReader("From: a@example.com\r\n\r\nx")), nil
	}, 1<<10+1, lim)
	var tl *mail.TooLargeError
	if !errors.As(err, &tl) || tl.Size != 1<<10+1 || tl.Limit != 1<<10 || opened {
		t.Fatalf("err = %v (opened %v), want the file refused by its size unopened", err, opened)
	}
}
