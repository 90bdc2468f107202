package ingest_test

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/inbox"
	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/mail/mailtest"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// inlineRows lists a mail's stored inline parts as "content id: type (filename, size)".
func inlineRows(t *testing.T, d *db.DB, mailID int64) []string {
	t.Helper()
	var parts []db.MailInlinePart
	if err := d.Bun.NewSelect().Model(&parts).Where("mail_message_id = ?", mailID).Order("content_id").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range parts {
		out = append(out, fmt.Sprintf("%s: %s (%s, %d)", p.ContentID, p.ContentType, p.Filename, len(p.Data)))
	}
	return out
}

func wantInlineRows(t *testing.T, d *db.DB, mailID int64) {
	t.Helper()
	want := fmt.Sprint([]string{
		fmt.Sprintf("evil.svg: application/octet-stream (evil.svg, %d)", len(mailtest.EvilSVG)),
		fmt.Sprintf("fake.png: application/octet-stream (logo.png, %d)", len(mailtest.EvilSVG)),
		fmt.Sprintf("logo.png: image/png (logo.png, %d)", len(mailtest.PNG())),
	})
	if got := fmt.Sprint(inlineRows(t, d, mailID)); got != want {
		t.Errorf("inline parts:\n%s\nwant\n%s", got, want)
	}
	if n := count(t, d, "SELECT count(*) FROM mail_messages WHERE id = ? AND inline_parts_at IS NOT NULL", mailID); n != 1 {
		t.Error("the mail is not marked as extracted")
	}
}

// TestSecurityInlinePartsTypedByContent: issue 11's mail is stored with its inline
// parts typed by what their bytes are: the SVG, declared as SVG or as PNG, becomes a
// download; only the real PNG is an image.
func TestSecurityInlinePartsTypedByContent(t *testing.T) {
	d := dbtest.New(t)
	raw := mailtest.InlinePartsMail(1)
	out := store(t, d, mail.Message{SourceID: "crafted", Raw: raw, Size: int64(len(raw))})
	wantInlineRows(t, d, out[0].MailID)

	// Stored once: importing the same mail again adds nothing.
	again := store(t, d, mail.Message{SourceID: "crafted", Raw: raw, Size: int64(len(raw))})
	if !again[0].Duplicate || count(t, d, "SELECT count(*) FROM mail_inline_parts") != 3 {
		t.Errorf("duplicate import: %+v, %d parts", again, count(t, d, "SELECT count(*) FROM mail_inline_parts"))
	}
	// A mail without inline parts is marked as extracted too.
	plain := store(t, d, reportMail(2, "Success", "Nightly"))
	if n := count(t, d, "SELECT count(*) FROM mail_messages WHERE id = ? AND inline_parts_at IS NOT NULL", plain[0].MailID); n != 1 {
		t.Error("a mail without inline parts is not marked as extracted")
	}
}

// forgetInlineParts makes mails look as if imported before inline parts were kept.
func forgetInlineParts(t *testing.T, d *db.DB) {
	t.Helper()
	if _, err := d.Bun.ExecContext(ctx, "DELETE FROM mail_inline_parts; UPDATE mail_messages SET inline_parts_at = NULL"); err != nil {
		t.Fatal(err)
	}
}

func TestInlinePartOfAnOlderMailIsExtractedOnce(t *testing.T) {
	d := dbtest.New(t)
	raw := mailtest.InlinePartsMail(1)
	id := store(t, d, mail.Message{SourceID: "old", Raw: raw, Size: int64(len(raw))})[0].MailID
	forgetInlineParts(t, d)

	// A mail view asks for its images together: one extraction, every answer right.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			p, err := inbox.InlinePart(ctx, d.Bun, id, "<logo.png>")
			if err == nil && (p.ContentType != "image/png" || !bytes.Equal(p.Data, mailtest.PNG())) {
				err = fmt.Errorf("got %s, %d bytes", p.ContentType, len(p.Data))
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	wantInlineRows(t, d, id)

	for _, tc := range []struct {
		mailID int64
		cid    string
	}{{id, "nothing.png"}, {id, ""}, {id, "bad\xff"}, {id, "nul\x00"}, {id + 100, "logo.png"}} {
		if _, err := inbox.InlinePart(ctx, d.Bun, tc.mailID, tc.cid); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("mail %d, cid %q: %v, want not found", tc.mailID, tc.cid, err)
		}
	}
}

func TestReparseExtractsInlineParts(t *testing.T) {
	d := dbtest.New(t)
	raw := mailtest.InlinePartsMail(1)
	id := store(t, d, mail.Message{SourceID: "old", Raw: raw, Size: int64(len(raw))})[0].MailID
	forgetInlineParts(t, d)
	if _, err := d.Bun.ExecContext(ctx, "INSERT INTO mail_inline_parts (mail_message_id, content_id, content_type, data) VALUES (?, 'stale', 'image/png', '')", id); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Reparse(ctx, d.Bun, registry, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	wantInlineRows(t, d, id)
}
