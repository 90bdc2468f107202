package imap_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/mail/imap"
	"github.com/backupchecks/backupchecks/app/mail/imap/imaptest"
)

var day = time.Date(2025, 6, 2, 3, 0, 0, 0, time.UTC)

// newSource builds a Source for srv; mod adjusts the configuration first.
func newSource(t *testing.T, srv *imaptest.Server, mod func(*imap.Config)) *imap.Source {
	t.Helper()
	cfg := srv.Config()
	cfg.Timeout = 5 * time.Second
	if mod != nil {
		mod(&cfg)
	}
	s, err := imap.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func toProcessed(c *imap.Config) { c.ProcessedFolder = "Processed" }

// appendMails stores n report mails with Message-IDs m1@test … mn@test, received an
// hour apart, and returns their raw bytes.
func appendMails(srv *imaptest.Server, folder string, n int) [][]byte {
	var raws [][]byte
	for i := 1; i <= n; i++ {
		raw := imaptest.Mail(fmt.Sprintf("m%d@test", i), fmt.Sprintf("Backup job %d: Success", i), "All good.")
		srv.Append(folder, raw, day.Add(time.Duration(i)*time.Hour))
		raws = append(raws, raw)
	}
	return raws
}

func ids(msgs []mail.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.SourceID)
	}
	return out
}

// messageIDs lists the Message-IDs of the messages in folder, in UID order.
func messageIDs(t *testing.T, srv *imaptest.Server, folder string) []string {
	t.Helper()
	var out []string
	for _, m := range srv.Messages(folder) {
		_, rest, _ := bytes.Cut(m.Raw, []byte("Message-ID: <"))
		id, _, _ := bytes.Cut(rest, []byte(">"))
		out = append(out, string(id))
	}
	return out
}

func TestFetchOldestFirstWithinLimit(t *testing.T) {
	srv := imaptest.NewServer(t)
	srv.CreateFolder("Processed")
	raws := appendMails(srv, "INBOX", 3)
	src := newSource(t, srv, toProcessed)

	msgs, err := src.Fetch(context.Background(), 2)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(msgs) != 2 {
		t.Fatalf("Fetch(2): got %d messages", len(msgs))
	}
	for i, m := range msgs {
		if !bytes.Equal(m.Raw, raws[i]) {
			t.Errorf("message %d: raw differs:\n%s", i, m.Raw)
		}
		if m.Size != int64(len(raws[i])) {
			t.Errorf("message %d: size %d, want %d", i, m.Size, len(raws[i]))
		}
		if want := day.Add(time.Duration(i+1) * time.Hour); !m.ReceivedAt.Equal(want) {
			t.Errorf("message %d: received %s, want the internal date %s", i, m.ReceivedAt, want)
		}
		if !strings.HasPrefix(m.SourceID, "INBOX/") || !strings.HasSuffix(m.SourceID, fmt.Sprintf("/%d", i+1)) {
			t.Errorf("message %d: source id %q, want INBOX/<uidvalidity>/%d", i, m.SourceID, i+1)
		}
	}

	all, err := src.Fetch(context.Background(), 10)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if got := len(all); got != 3 {
		t.Errorf("Fetch(10): got %d messages, want 3", got)
	}

	// BODY.PEEK: fetching must leave the messages unread.
	for _, m := range srv.Messages("INBOX") {
		if m.HasFlag(`\Seen`) {
			t.Errorf("UID %d is \\Seen after Fetch", m.UID)
		}
	}
}

func TestFetchEmptyAndLimit(t *testing.T) {
	srv := imaptest.NewServer(t)
	src := newSource(t, srv, nil)
	msgs, err := src.Fetch(context.Background(), 5)
	if err != nil || len(msgs) != 0 {
		t.Errorf("Fetch on an empty folder: got %d messages, %v", len(msgs), err)
	}
	if _, err := src.Fetch(context.Background(), 0); err == nil {
		t.Error("Fetch(0): want an error")
	}
}

func TestMoveToProcessedFolder(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []imaptest.Option
	}{
		{"MOVE", nil},
		{"COPY and UID EXPUNGE", []imaptest.Option{imaptest.WithoutMove()}},
		{"COPY and EXPUNGE", []imaptest.Option{imaptest.WithoutMove(), imaptest.WithoutUIDPlus()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := imaptest.NewServer(t, tc.opts...)
			srv.CreateFolder("Processed")
			appendMails(srv, "INBOX", 3)
			src := newSource(t, srv, toProcessed)
			ctx := context.Background()

			msgs, err := src.Fetch(ctx, 2)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if err := src.MarkProcessed(ctx, ids(msgs)); err != nil {
				t.Fatalf("MarkProcessed: %v", err)
			}
			if got, want := messageIDs(t, srv, "INBOX"), []string{"m3@test"}; !slices.Equal(got, want) {
				t.Errorf("INBOX holds %v, want %v", got, want)
			}
			if got, want := messageIDs(t, srv, "Processed"), []string{"m1@test", "m2@test"}; !slices.Equal(got, want) {
				t.Errorf("Processed holds %v, want %v", got, want)
			}

			next, err := src.Fetch(ctx, 10)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if len(next) != 1 || !bytes.Contains(next[0].Raw, []byte("m3@test")) {
				t.Errorf("next Fetch: got %d messages, want only m3", len(next))
			}

			// Gone already: marking again is not an error.
			if err := src.MarkProcessed(ctx, ids(msgs)); err != nil {
				t.Errorf("MarkProcessed again: %v", err)
			}
		})
	}
}

func TestFlagWhenNoProcessedFolder(t *testing.T) {
	srv := imaptest.NewServer(t)
	appendMails(srv, "INBOX", 2)
	src := newSource(t, srv, nil)
	ctx := context.Background()

	msgs, err := src.Fetch(ctx, 1)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Fetch: %d messages, %v", len(msgs), err)
	}
	if err := src.MarkProcessed(ctx, ids(msgs)); err != nil {
		t.Fatalf("MarkProcessed: %v", err)
	}

	stored := srv.Messages("INBOX")
	if len(stored) != 2 {
		t.Fatalf("flagging must leave the messages in place; INBOX holds %d", len(stored))
	}
	if !stored[0].HasFlag(imap.ImportedKeyword) || !stored[0].HasFlag(`\Seen`) {
		t.Errorf("processed message has flags %v, want %s and \\Seen", stored[0].Flags, imap.ImportedKeyword)
	}
	if len(stored[1].Flags) != 0 {
		t.Errorf("unprocessed message has flags %v", stored[1].Flags)
	}

	next, err := src.Fetch(ctx, 10)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(next) != 1 || !bytes.Contains(next[0].Raw, []byte("m2@test")) {
		t.Errorf("next Fetch: got %d messages, want only m2 (flagged ones are skipped)", len(next))
	}

	res, err := src.Check(ctx)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if res.Waiting != 1 || res.ProcessedInto != "flagged" {
		t.Errorf("Check: waiting %d, processed into %q; want 1 and flagged", res.Waiting, res.ProcessedInto)
	}
}

func TestMarkProcessedAfterUIDValidityChange(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*imap.Config)
	}{
		{"move", func(c *imap.Config) { c.Folder, c.ProcessedFolder = "Reports", "Processed" }},
		{"flag", func(c *imap.Config) { c.Folder = "Reports" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := imaptest.NewServer(t)
			srv.CreateFolder("Processed")
			raws := appendMails(srv, "Reports", 3)
			src := newSource(t, srv, tc.mod)
			ctx := context.Background()

			msgs, err := src.Fetch(ctx, 10)
			if err != nil || len(msgs) != 3 {
				t.Fatalf("Fetch: %d messages, %v", len(msgs), err)
			}

			// The server rebuilds the folder: new UIDVALIDITY, other UIDs; m3 is gone.
			srv.DeleteFolder("Reports")
			srv.CreateFolder("Reports")
			other := imaptest.Mail("other@test", "Not imported yet", "Later.")
			srv.Append("Reports", other, day)
			srv.Append("Reports", raws[1], day)
			srv.Append("Reports", raws[0], day)

			if err := src.MarkProcessed(ctx, ids(msgs)); err != nil {
				t.Fatalf("MarkProcessed: %v", err)
			}

			next, err := src.Fetch(ctx, 10)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if len(next) != 1 || !bytes.Contains(next[0].Raw, []byte("other@test")) {
				t.Errorf("after MarkProcessed only the other mail should wait; got %d messages", len(next))
			}
			if tc.name == "move" {
				if got, want := messageIDs(t, srv, "Processed"), []string{"m2@test", "m1@test"}; !slices.Equal(got, want) {
					t.Errorf("Processed holds %v, want %v", got, want)
				}
			}
		})
	}
}

func TestMarkProcessedStaleIDUnknownToSource(t *testing.T) {
	srv := imaptest.NewServer(t)
	srv.CreateFolder("Processed")
	appendMails(srv, "INBOX", 1)
	ctx := context.Background()
	msgs, err := newSource(t, srv, toProcessed).Fetch(ctx, 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Fetch: %d messages, %v", len(msgs), err)
	}
	srv.DeleteFolder("INBOX")
	srv.CreateFolder("INBOX")
	appendMails(srv, "INBOX", 1)

	// A new Source (after a restart) has not seen the Message-ID: the id is skipped and
	// the next Fetch returns the message under its new id for the database to dedup.
	src := newSource(t, srv, toProcessed)
	if err := src.MarkProcessed(ctx, ids(msgs)); err != nil {
		t.Fatalf("MarkProcessed: %v", err)
	}
	next, err := src.Fetch(ctx, 10)
	if err != nil || len(next) != 1 || next[0].SourceID == msgs[0].SourceID {
		t.Fatalf("Fetch after a UIDVALIDITY change: %v, %v; want the message under a new id", ids(next), err)
	}
	if next[0].Size != msgs[0].Size {
		t.Errorf("size changed across UIDVALIDITY: %d, then %d; the database dedup relies on it", msgs[0].Size, next[0].Size)
	}
}

func TestMarkProcessedReportsEachFailure(t *testing.T) {
	srv := imaptest.NewServer(t)
	appendMails(srv, "INBOX", 2)
	src := newSource(t, srv, func(c *imap.Config) { c.ProcessedFolder = "Missing" })
	ctx := context.Background()
	msgs, err := src.Fetch(ctx, 10)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	err = src.MarkProcessed(ctx, append(ids(msgs), "garbage"))
	if err == nil {
		t.Fatal("MarkProcessed into a missing folder: want an error")
	}
	for _, want := range append(ids(msgs), `"garbage"`, `move from "INBOX" to "Missing"`) {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if n := len(srv.Messages("INBOX")); n != 2 {
		t.Errorf("INBOX holds %d messages, want both still there", n)
	}
}

func TestFetchReducesLargeMessage(t *testing.T) {
	srv := imaptest.NewServer(t)
	attachment := bytes.Repeat([]byte("backup-data-"), 5<<20/12)
	var b bytes.Buffer
	b.WriteString("From: backup@example.com\r\nTo: reports@example.com\r\nSubject: Backup with log\r\n" +
		"Message-ID: <big@test>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain\r\n\r\nJob finished: Success\r\n" +
		"--b1\r\nContent-Type: application/octet-stream\r\n" +
		"Content-Disposition: attachment; filename=\"job.log\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(attachment)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--b1--\r\n")
	raw := b.Bytes()
	srv.Append("INBOX", raw, day)

	src := newSource(t, srv, func(c *imap.Config) { c.Limits = mail.Limits{MaxMessage: 32 << 20, MaxAttachment: 1 << 20} })
	msgs, err := src.Fetch(context.Background(), 1)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Fetch: %d messages, %v", len(msgs), err)
	}
	m := msgs[0]
	if m.Size != int64(len(raw)) {
		t.Errorf("size %d, want the size at the source %d", m.Size, len(raw))
	}
	if len(m.Raw) > 64<<10 {
		t.Errorf("kept %d bytes of a %d byte mail; the attachment should be left out", len(m.Raw), len(raw))
	}
	if !bytes.Contains(m.Raw, []byte("Job finished: Success")) {
		t.Error("the text body was lost")
	}
	if len(m.Skipped) != 1 || m.Skipped[0].Filename != "job.log" || m.Skipped[0].Size <= 1<<20 {
		t.Errorf("skipped %+v, want job.log over 1 MiB", m.Skipped)
	}
}

func TestCheck(t *testing.T) {
	srv := imaptest.NewServer(t)
	srv.CreateFolder("Processed")
	srv.CreateFolder("Archive/2024")
	appendMails(srv, "INBOX", 2)
	src := newSource(t, srv, toProcessed)

	res, err := src.Check(context.Background())
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if want := []string{"Archive/2024", "INBOX", "Processed"}; !slices.Equal(res.Folders, want) {
		t.Errorf("folders %v, want %v", res.Folders, want)
	}
	if res.SourceFolder != "INBOX" || res.Waiting != 2 || res.ProcessedInto != "Processed" {
		t.Errorf("got %+v", res)
	}
	if want := "IMAP server ready (IMAP4rev1, MOVE, UIDPLUS)"; res.ServerDetails != want {
		t.Errorf("server details %q, want %q", res.ServerDetails, want)
	}
	for _, m := range srv.Messages("INBOX") {
		if len(m.Flags) != 0 {
			t.Errorf("Check changed flags of UID %d: %v", m.UID, m.Flags)
		}
	}
}

func TestAuthenticatePlain(t *testing.T) {
	srv := imaptest.NewServer(t)
	src := newSource(t, srv, nil)
	imap.ForceAuthenticatePlain(src)
	if _, err := src.Check(context.Background()); err != nil {
		t.Fatalf("Check with AUTHENTICATE PLAIN: %v", err)
	}

	src = newSource(t, srv, func(c *imap.Config) { c.Password = "wrong" })
	imap.ForceAuthenticatePlain(src)
	if _, err := src.Check(context.Background()); !errors.Is(err, imap.ErrLoginFailed) {
		t.Fatalf("AUTHENTICATE PLAIN with a wrong password: got %v, want ErrLoginFailed", err)
	}
}

// TestSecurity connects over each kind of transport, and mismatched ones.
func TestSecurity(t *testing.T) {
	plain := imaptest.NewServer(t)
	withTLS := imaptest.NewServer(t, imaptest.TLS())
	withStartTLS := imaptest.NewServer(t, imaptest.StartTLS())

	for _, tc := range []struct {
		name    string
		srv     *imaptest.Server
		mod     func(*imap.Config)
		wantErr string
		is      error
	}{
		{name: "none", srv: plain},
		{name: "tls", srv: withTLS},
		{name: "starttls", srv: withStartTLS},
		{
			name:    "tls with an untrusted certificate",
			srv:     withTLS,
			mod:     func(c *imap.Config) { c.TLSConfig = nil },
			wantErr: "certificate is not trusted: it is self-signed or issued by an unknown authority",
			is:      imap.ErrCertificateUntrusted,
		},
		{
			name:    "starttls with an untrusted certificate",
			srv:     withStartTLS,
			mod:     func(c *imap.Config) { c.TLSConfig = &tls.Config{} },
			wantErr: "certificate is not trusted",
			is:      imap.ErrCertificateUntrusted,
		},
		{
			name:    "tls with a certificate for another host",
			srv:     withTLS,
			mod:     func(c *imap.Config) { c.TLSConfig.ServerName = "imap.example.com" },
			wantErr: `not valid for "imap.example.com"`,
			is:      imap.ErrCertificateUntrusted,
		},
		{
			name:    "tls to a plain server",
			srv:     plain,
			mod:     func(c *imap.Config) { c.Security = "tls" },
			wantErr: "did not answer with TLS",
		},
		{
			name:    "none to a TLS port",
			srv:     withTLS,
			mod:     func(c *imap.Config) { c.Security, c.Timeout = "none", 300*time.Millisecond },
			wantErr: `did not answer within 300ms; if the port expects TLS (usually 993), use security "tls"`,
		},
		{
			name:    "starttls to a server without it",
			srv:     plain,
			mod:     func(c *imap.Config) { c.Security = "starttls" },
			wantErr: "STARTTLS with " + plain.Addr + ": the server refused it",
		},
		{
			name:    "none to a server that wants TLS",
			srv:     withStartTLS,
			mod:     func(c *imap.Config) { c.Security = "none" },
			wantErr: `the server disables LOGIN and offers no AUTHENTICATE PLAIN`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := newSource(t, tc.srv, tc.mod)
			res, err := src.Check(context.Background())
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				if !slices.Contains(res.Folders, "INBOX") {
					t.Errorf("folders %v lack INBOX", res.Folders)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Check: got %v, want an error containing %q", err, tc.wantErr)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %v", err, tc.is)
			}
		})
	}

	// Fetch and MarkProcessed work over TLS and STARTTLS too.
	for _, srv := range []*imaptest.Server{withTLS, withStartTLS} {
		srv.CreateFolder("Processed")
		appendMails(srv, "INBOX", 1)
		src := newSource(t, srv, toProcessed)
		msgs, err := src.Fetch(context.Background(), 10)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("%s: Fetch: %d messages, %v", srv.Security, len(msgs), err)
		}
		if err := src.MarkProcessed(context.Background(), ids(msgs)); err != nil {
			t.Fatalf("%s: MarkProcessed: %v", srv.Security, err)
		}
	}
}

func TestClearErrors(t *testing.T) {
	srv := imaptest.NewServer(t)
	srv.CreateFolder("Processed")
	ctx := context.Background()

	t.Run("login failed", func(t *testing.T) {
		src := newSource(t, srv, func(c *imap.Config) { c.Password = "wrong" })
		for name, call := range map[string]func() error{
			"Fetch":         func() error { _, err := src.Fetch(ctx, 1); return err },
			"MarkProcessed": func() error { return src.MarkProcessed(ctx, []string{"INBOX/1/1"}) },
			"Check":         func() error { _, err := src.Check(ctx); return err },
		} {
			err := call()
			if !errors.Is(err, imap.ErrLoginFailed) || !strings.Contains(err.Error(), `imap: login as "backupchecks": login failed: check username and password`) {
				t.Errorf("%s: got %v", name, err)
			}
		}
	})

	t.Run("source folder missing", func(t *testing.T) {
		src := newSource(t, srv, func(c *imap.Config) { c.Folder = "Reports" })
		_, err := src.Fetch(ctx, 1)
		if !errors.Is(err, imap.ErrFolderNotFound) || !strings.Contains(err.Error(), `imap: select "Reports": folder not found; the mailbox has: INBOX, Processed`) {
			t.Errorf("Fetch: got %v", err)
		}
		res, err := src.Check(ctx)
		if !errors.Is(err, imap.ErrFolderNotFound) || !strings.Contains(err.Error(), `"Reports"`) {
			t.Errorf("Check: got %v", err)
		}
		if !slices.Equal(res.Folders, []string{"INBOX", "Processed"}) {
			t.Errorf("Check should still list the folders; got %v", res.Folders)
		}
	})

	t.Run("processed folder missing", func(t *testing.T) {
		src := newSource(t, srv, func(c *imap.Config) { c.ProcessedFolder = "Done" })
		_, err := src.Check(ctx)
		if !errors.Is(err, imap.ErrFolderNotFound) || !strings.Contains(err.Error(), `processed folder "Done": folder not found; create it or pick one of: INBOX, Processed`) {
			t.Errorf("Check: got %v", err)
		}
	})

	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().(*net.TCPAddr)
		ln.Close()
		src := newSource(t, srv, func(c *imap.Config) { c.Port = addr.Port })
		_, err = src.Check(ctx)
		if err == nil || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("Check: got %v", err)
		}
	})

	t.Run("silent server", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close() // accept, then say nothing
			}
		}()
		src := newSource(t, srv, func(c *imap.Config) {
			c.Port = ln.Addr().(*net.TCPAddr).Port
			c.Timeout = 200 * time.Millisecond
		})
		start := time.Now()
		_, err = src.Check(ctx)
		if err == nil || !strings.Contains(err.Error(), "did not answer within 200ms") {
			t.Errorf("Check: got %v", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("Check took %s despite a 200ms timeout", d)
		}

		cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		src = newSource(t, srv, func(c *imap.Config) { c.Port = ln.Addr().(*net.TCPAddr).Port })
		if _, err := src.Fetch(cctx, 1); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Fetch with a cancelled context: got %v", err)
		}
	})
}

func TestNonASCIIFolders(t *testing.T) {
	srv := imaptest.NewServer(t)
	srv.CreateFolder("Verwerkt/Geprüft")
	appendMails(srv, "Rapporten – back-up", 1)
	src := newSource(t, srv, func(c *imap.Config) { c.Folder, c.ProcessedFolder = "Rapporten – back-up", "Verwerkt/Geprüft" })
	ctx := context.Background()

	res, err := src.Check(ctx)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if want := []string{"INBOX", "Rapporten – back-up", "Verwerkt/Geprüft"}; !slices.Equal(res.Folders, want) {
		t.Errorf("folders %q, want %q", res.Folders, want)
	}
	msgs, err := src.Fetch(ctx, 10)
	if err != nil || len(msgs) != 1 || !strings.HasPrefix(msgs[0].SourceID, "Rapporten – back-up/") {
		t.Fatalf("Fetch: %v, %v", ids(msgs), err)
	}
	if err := src.MarkProcessed(ctx, ids(msgs)); err != nil {
		t.Fatalf("MarkProcessed: %v", err)
	}
	if got := messageIDs(t, srv, "Verwerkt/Geprüft"); !slices.Equal(got, []string{"m1@test"}) {
		t.Errorf("processed folder holds %v", got)
	}
}

// An empty message (BODY[] {0}) is handed over like any other, so that it is stored
// and moved rather than failing or stalling the import.
func TestSecurityEmptyMessageIsFetched(t *testing.T) {
	srv := imaptest.NewServer(t)
	srv.Append("INBOX", reportMailWithID("m1@test"), day)
	srv.AppendEmpty("INBOX", day.Add(time.Minute))
	srv.Append("INBOX", reportMailWithID("m3@test"), day.Add(2*time.Minute))
	msgs, err := newSource(t, srv, nil).Fetch(context.Background(), 10)
	if err != nil || len(msgs) != 3 {
		t.Fatalf("Fetch: %d messages, %v; want 3", len(msgs), err)
	}
	if len(msgs[1].Raw) != 0 || msgs[1].SourceID == "" || msgs[1].Truncated {
		t.Fatalf("empty message fetched as %d bytes, id %q, truncated %v", len(msgs[1].Raw), msgs[1].SourceID, msgs[1].Truncated)
	}
}

// A mail over MaxMessage even without its attachments is handed over cut off, and says so.
func TestFetchMarksAMailOverTheLimit(t *testing.T) {
	srv := imaptest.NewServer(t)
	raw := append(reportMailWithID("big@test"), bytes.Repeat([]byte("a long text body line\r\n"), 2000)...)
	srv.Append("INBOX", raw, day)
	srv.Append("INBOX", reportMailWithID("small@test"), day.Add(time.Minute))
	src := newSource(t, srv, func(c *imap.Config) { c.Limits = mail.Limits{MaxMessage: 16 << 10, MaxAttachment: 8 << 10} })
	msgs, err := src.Fetch(context.Background(), 10)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("Fetch: %d messages, %v", len(msgs), err)
	}
	if big := msgs[0]; !big.Truncated || len(big.Raw) > 16<<10 || big.Size != int64(len(raw)) {
		t.Errorf("big mail: truncated %v, %d bytes kept, size %d; want cut off at 16 KB of %d", big.Truncated, len(big.Raw), big.Size, len(raw))
	}
	if msgs[1].Truncated {
		t.Error("the small mail is marked cut off")
	}
}

func reportMailWithID(id string) []byte {
	return imaptest.Mail(id, "[Success] Daily", "Job finished.")
}
