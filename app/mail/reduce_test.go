package mail

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fixtures returns the testdata mails by name.
func fixtures(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob("testdata/*.eml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	m := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m[filepath.Base(p)] = b
	}
	return m
}

func mustReduce(t testing.TB, raw []byte, lim Limits) Reduced {
	t.Helper()
	red, err := Reduce(bytes.NewReader(raw), lim)
	if err != nil {
		t.Fatalf("Reduce: %v", err)
	}
	if red.Size != int64(len(raw)) {
		t.Errorf("Size = %d, want %d", red.Size, len(raw))
	}
	return red
}

func TestReduceKeepsMailsThatFitByteForByte(t *testing.T) {
	for name, raw := range fixtures(t) {
		for _, variant := range []struct {
			name string
			raw  []byte
		}{
			{"as stored", raw},
			{"LF line endings", bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))},
		} {
			t.Run(name+"/"+variant.name, func(t *testing.T) {
				red := mustReduce(t, variant.raw, DefaultLimits)
				if !bytes.Equal(red.Raw, variant.raw) {
					t.Errorf("Raw differs from the input (%d vs %d bytes)", len(red.Raw), len(variant.raw))
				}
				if red.Truncated || len(red.Skipped) > 0 {
					t.Errorf("Truncated = %v, Skipped = %v; want neither", red.Truncated, red.Skipped)
				}
			})
		}
	}
}

// reportWithAttachment builds a report mail (text and HTML alternative) with one
// base64 attachment of n bytes.
func reportWithAttachment(n int, eol string) []byte {
	data := bytes.Repeat([]byte("backup log line 0123456789 abcdefghijklmnopqrstuvwxyz\n"), n/54+1)[:n]
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	b.WriteString(`From: Veeam Backup <veeam@example.com>
To: backups@example.net
Subject: [Success] Nightly-Files (3 machines)
Date: Tue, 7 Oct 2025 03:12:09 +0200
Message-ID: <big-0001@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="mixed-big"

--mixed-big
Content-Type: multipart/alternative; boundary="alt-big"

--alt-big
Content-Type: text/plain; charset=utf-8

Backup job: Nightly-Files
Success
--alt-big
Content-Type: text/html; charset=utf-8

<html><body><b>Backup job: Nightly-Files</b> Success</body></html>
--alt-big--

--mixed-big
Content-Type: application/zip; name="backup-log.zip"
Content-Transfer-Encoding: base64
Content-Disposition: attachment;
	filename="backup-log.zip"

`)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\n--mixed-big\nContent-Type: text/plain; name=\"notes.txt\"\nContent-Disposition: attachment; filename=\"notes.txt\"\n\nsmall attachment\n--mixed-big--\n")
	return []byte(strings.ReplaceAll(b.String(), "\n", eol))
}

func TestReduceSkipsLargeAttachment(t *testing.T) {
	lim := Limits{MaxMessage: 32 << 20, MaxAttachment: 1 << 20}
	for _, eol := range []string{"\r\n", "\n"} {
		t.Run(fmt.Sprintf("eol %q", eol), func(t *testing.T) {
			raw := reportWithAttachment(3<<20, eol)
			red := mustReduce(t, raw, lim)
			if red.Truncated {
				t.Error("Truncated, want not")
			}
			if len(red.Raw) > 4<<10 {
				t.Errorf("Raw is %d bytes, want the attachment left out", len(red.Raw))
			}
			if len(red.Skipped) != 1 {
				t.Fatalf("Skipped = %v, want one part", red.Skipped)
			}
			sk := red.Skipped[0]
			if sk.Filename != "backup-log.zip" || sk.ContentType != "application/zip" || sk.Size < 4<<20 {
				t.Errorf("Skipped = %+v, want backup-log.zip, application/zip, the encoded size (> 4 MiB)", sk)
			}
			wantHeader := fmt.Sprintf("%s: %d bytes over the attachment limit%s", SkippedHeader, sk.Size, eol)
			if !bytes.Contains(red.Raw, []byte(wantHeader)) {
				t.Errorf("Raw lacks %q:\n%s", wantHeader, red.Raw)
			}

			d, err := Decode(red.Raw)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !strings.Contains(d.Text, "Backup job: Nightly-Files") || !strings.Contains(d.HTML, "<b>Backup job: Nightly-Files</b>") {
				t.Errorf("body lost: Text %q, HTML %q", d.Text, d.HTML)
			}
			if len(d.Attachments) != 1 || d.Attachments[0].Filename != "notes.txt" {
				t.Errorf("Attachments = %+v, want only notes.txt (the skipped part has no data)", d.Attachments)
			}
			if strings.Contains(strings.Join(d.Errors, "\n"), "[E]") {
				t.Errorf("Decode errors on the reduced mail: %q", d.Errors)
			}
		})
	}
}

func TestReduceSkipsInsideForwardedMessage(t *testing.T) {
	inner := reportWithAttachment(2<<20, "\r\n")
	raw := []byte(strings.ReplaceAll(`From: IT Desk <itdesk@example.org>
To: backups@example.net
Subject: FW: report
Message-ID: <fw-big@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: text/plain

--outer
Content-Type: message/rfc822
Content-Disposition: attachment; filename="report.eml"

`, "\n", "\r\n") + string(inner) + "\r\n--outer--\r\n")
	red := mustReduce(t, raw, Limits{MaxMessage: 32 << 20, MaxAttachment: 1 << 20})
	if len(red.Skipped) != 1 || red.Skipped[0].Filename != "backup-log.zip" {
		t.Fatalf("Skipped = %+v, want the zip inside the forwarded mail", red.Skipped)
	}
	d, err := Decode(red.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.Text, "Backup job: Nightly-Files") {
		t.Errorf("Text = %q, want the forwarded report's text", d.Text)
	}
}

func TestReduceNeverSkipsBodies(t *testing.T) {
	body := strings.Repeat("Job SRV-EXAMPLE01 finished. Status Success. Objects processed: 12.\r\n", 30000) // ~2 MB
	raw := []byte("From: a@example.com\r\nSubject: long\r\nContent-Type: text/plain\r\n\r\n" + body)
	red := mustReduce(t, raw, Limits{MaxMessage: 32 << 20, MaxAttachment: 1 << 20})
	if !bytes.Equal(red.Raw, raw) || len(red.Skipped) > 0 {
		t.Errorf("a text body over the attachment limit was changed (skipped %v)", red.Skipped)
	}

	// The same text sent as a file is an attachment like any other.
	raw = []byte("From: a@example.com\r\nSubject: long\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nsee the log\r\n" +
		"--b\r\nContent-Type: text/plain; name=\"job.log\"\r\nContent-Disposition: attachment; filename=\"=?UTF-8?Q?j=C3=B6b.log?=\"\r\n\r\n" +
		body + "--b--\r\n")
	red = mustReduce(t, raw, Limits{MaxMessage: 32 << 20, MaxAttachment: 1 << 20})
	if len(red.Skipped) != 1 || red.Skipped[0].Filename != "jöb.log" || red.Skipped[0].ContentType != "text/plain" {
		t.Errorf("Skipped = %+v, want jöb.log as text/plain", red.Skipped)
	}
}

func TestReduceTruncates(t *testing.T) {
	lim := Limits{MaxMessage: 64 << 10, MaxAttachment: 1 << 20}
	line := "Object VM-EXAMPLE%05d Success 22:00:00 22:14:30 120,4 GB\r\n"
	var body strings.Builder
	for i := 0; body.Len() < 200<<10; i++ {
		fmt.Fprintf(&body, line, i)
	}

	t.Run("single part", func(t *testing.T) {
		raw := []byte("From: a@example.com\r\nSubject: [Success] huge\r\nContent-Type: text/plain\r\n\r\n" + body.String())
		red := mustReduce(t, raw, lim)
		if !red.Truncated || int64(len(red.Raw)) > lim.MaxMessage {
			t.Fatalf("Truncated = %v, %d bytes; want truncated within %d", red.Truncated, len(red.Raw), lim.MaxMessage)
		}
		if !bytes.HasPrefix(raw, red.Raw) {
			t.Error("Raw is not a prefix of the input")
		}
		d, err := Decode(red.Raw)
		if err != nil {
			t.Fatal(err)
		}
		if d.Subject != "[Success] huge" || !strings.HasPrefix(d.Text, "Object VM-EXAMPLE00000 Success") {
			t.Errorf("Subject %q, Text starts %.40q", d.Subject, d.Text)
		}
	})

	t.Run("multipart is closed", func(t *testing.T) {
		raw := []byte("From: a@example.com\r\nSubject: huge\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n" +
			"--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n" +
			"--inner\r\nContent-Type: text/plain\r\n\r\n" + body.String() +
			"--inner--\r\n--outer--\r\n")
		red := mustReduce(t, raw, lim)
		if !red.Truncated || int64(len(red.Raw)) > lim.MaxMessage {
			t.Fatalf("Truncated = %v, %d bytes", red.Truncated, len(red.Raw))
		}
		if !bytes.HasSuffix(red.Raw, []byte("\r\n--inner--\r\n--outer--\r\n")) {
			t.Errorf("Raw ends %q, want the open multiparts closed", red.Raw[len(red.Raw)-60:])
		}
		d, err := Decode(red.Raw)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(d.Text, "Object VM-EXAMPLE00000") {
			t.Errorf("Text starts %.40q", d.Text)
		}
		for _, e := range d.Errors {
			if strings.Contains(e, "Missing Boundary") {
				t.Errorf("Decode error %q: the boundaries were not closed", e)
			}
		}
	})

	t.Run("attachment that is cut, not skipped", func(t *testing.T) {
		raw := reportWithAttachment(200<<10, "\r\n") // under MaxAttachment, over MaxMessage
		red := mustReduce(t, raw, lim)
		if !red.Truncated || len(red.Skipped) > 0 || int64(len(red.Raw)) > lim.MaxMessage {
			t.Fatalf("Truncated = %v, Skipped = %v, %d bytes", red.Truncated, red.Skipped, len(red.Raw))
		}
		if _, err := Decode(red.Raw); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("no line breaks at all", func(t *testing.T) {
		raw := bytes.Repeat([]byte("x"), 300<<10)
		red := mustReduce(t, raw, lim)
		if !red.Truncated || int64(len(red.Raw)) != lim.MaxMessage {
			t.Errorf("Truncated = %v, %d bytes; want exactly MaxMessage", red.Truncated, len(red.Raw))
		}
	})
}

func TestReduceMalformedIsNotAnError(t *testing.T) {
	for _, tc := range []struct{ name, raw string }{
		{"empty", ""},
		{"no header end", "From: a@example.com\r\nSubject: x"},
		{"no boundary parameter", "Content-Type: multipart/mixed\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--\r\n"},
		{"boundary never used", "Content-Type: multipart/mixed; boundary=zzz\r\n\r\nhello\r\n"},
		{"no closing boundary", "Content-Type: multipart/mixed; boundary=zzz\r\n\r\n--zzz\r\nContent-Type: text/plain\r\n\r\nhi\r\n"},
		{"closing only", "Content-Type: multipart/mixed; boundary=zzz\r\n\r\n--zzz--\r\nepilogue\r\n"},
		{"inner closed by outer", "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\n\r\ntext\r\n--o\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--o--\r\n"},
		{"same boundary nested", "Content-Type: multipart/mixed; boundary=s\r\n\r\n--s\r\nContent-Type: multipart/mixed; boundary=s\r\n\r\n--s\r\n\r\nx\r\n--s--\r\n--s--\r\n"},
		{"bad content type", "Content-Type: ;;;===\r\n\r\nbody\r\n"},
		{"binary", "\x00\xff\xfe\r\n\r\n\x00\x01--\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			red := mustReduce(t, []byte(tc.raw), DefaultLimits)
			if string(red.Raw) != tc.raw {
				t.Errorf("Raw = %q, want the input unchanged", red.Raw)
			}
		})
	}
}

type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReduceReadError(t *testing.T) {
	boom := errors.New("connection reset")
	for _, lim := range []Limits{DefaultLimits, {MaxMessage: 100, MaxAttachment: 10}} {
		_, err := Reduce(&failingReader{data: reportWithAttachment(1000, "\r\n"), err: boom}, lim)
		if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "mail: reduce: ") {
			t.Errorf("err = %v, want the read error wrapped", err)
		}
	}
}

// streamedMail is a mail with a base64 attachment of lines lines, generated as it is read.
type streamedMail struct {
	head, line, tail []byte
	lines            int
	buf              []byte
}

func (s *streamedMail) Read(p []byte) (int, error) {
	for len(s.buf) == 0 {
		switch {
		case s.head != nil:
			s.buf, s.head = s.head, nil
		case s.lines > 0:
			s.buf, s.lines = s.line, s.lines-1
		case s.tail != nil:
			s.buf, s.tail = s.tail, nil
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

func TestReduceMemoryIsBounded(t *testing.T) {
	const lines = 1 << 20 // 78 MiB of attachment
	src := &streamedMail{
		head: []byte("From: a@example.com\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain\r\n\r\nreport\r\n--b\r\nContent-Type: application/octet-stream\r\n" +
			"Content-Transfer-Encoding: base64\r\n\r\n"),
		line:  []byte(strings.Repeat("QUJD", 19) + "\r\n"),
		lines: lines,
		tail:  []byte("--b--\r\n"),
	}
	lim := Limits{MaxMessage: 4 << 20, MaxAttachment: 1 << 20}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	red, err := Reduce(src, lim)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if red.Size < lines*78 || len(red.Skipped) != 1 {
		t.Fatalf("Size = %d, Skipped = %v", red.Size, red.Skipped)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("allocated %d bytes for a %d-byte mail; want the input streamed", alloc, red.Size)
	}
}
