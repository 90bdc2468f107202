package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/mail/mailtest"
	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/db"
)

// storeInlinePartsMail imports issue 11's crafted mail (mailtest.InlinePartsMail) and
// returns its id.
func storeInlinePartsMail(t *testing.T, h *harness) int64 {
	t.Helper()
	out, err := ingest.StoreBatch(context.Background(), h.db.Bun, parserstest.Registry(), db.SourceUpload,
		[]mail.Message{{Raw: mailtest.InlinePartsMail(1)}}, time.Now())
	if err != nil || len(out) != 1 {
		t.Fatalf("store: %v %+v", err, out)
	}
	return out[0].MailID
}

// TestSecurityInlinePartsServedAsChecked replays issue 11's inline SVG over HTTP: only a
// part whose bytes are a raster image is served as an image; the SVG, declared as SVG or
// as PNG, is a download that cannot run if opened; both under a CSP with a sandbox.
// Mails imported before parts were kept at import are served the same.
func TestSecurityInlinePartsServedAsChecked(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("viewer", db.RoleViewer)
	id := storeInlinePartsMail(t, h)
	c := h.client()
	c.login("viewer")

	r := c.get(fmt.Sprintf("/inbox/%d", id))
	wantStatus(t, r, http.StatusOK)
	src, ok := r.doc.Find("iframe.mail-body").Attr("src")
	if !ok {
		t.Fatalf("no mail body frame:\n%s", r.body)
	}
	if doc := c.get(src).body; !strings.Contains(doc, fmt.Sprintf(`src="/inbox/%d/cid/logo.png"`, id)) {
		t.Fatalf("the mail body shows no inline image:\n%s", doc)
	}

	check := func(t *testing.T) {
		t.Helper()
		for _, tc := range []struct {
			cid, ctype, disposition, body string
		}{
			{"logo.png", "image/png", "", string(mailtest.PNG())},
			{"evil.svg", "application/octet-stream", `attachment; filename=evil.svg`, mailtest.EvilSVG},
			{"%3Cevil.svg%3E", "application/octet-stream", `attachment; filename=evil.svg`, mailtest.EvilSVG},
			{"fake.png", "application/octet-stream", `attachment; filename=logo.png`, mailtest.EvilSVG},
		} {
			r := c.get(fmt.Sprintf("/inbox/%d/cid/%s", id, tc.cid))
			wantStatus(t, r, http.StatusOK)
			if got := r.Header.Get("Content-Type"); got != tc.ctype {
				t.Errorf("%s: Content-Type %q, want %q", tc.cid, got, tc.ctype)
			}
			if got := r.Header.Get("Content-Disposition"); got != tc.disposition {
				t.Errorf("%s: Content-Disposition %q, want %q", tc.cid, got, tc.disposition)
			}
			if csp := r.Header.Get("Content-Security-Policy"); csp != "default-src 'none'; sandbox" {
				t.Errorf("%s: CSP %q", tc.cid, csp)
			}
			if r.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: no nosniff", tc.cid)
			}
			if r.body != tc.body {
				t.Errorf("%s: body %.60q", tc.cid, r.body)
			}
		}
		wantStatus(t, c.get(fmt.Sprintf("/inbox/%d/cid/nothing.png", id)), http.StatusNotFound)
		wantStatus(t, c.get(fmt.Sprintf("/inbox/%d/cid/bad%%FF", id)), http.StatusNotFound)
		wantStatus(t, c.get(fmt.Sprintf("/inbox/%d/cid/logo.png", id+1)), http.StatusNotFound)
	}
	t.Run("stored at import", check)

	// A mail imported before parts were kept at import: extracted on the first request.
	if _, err := h.db.Bun.ExecContext(context.Background(),
		"DELETE FROM mail_inline_parts; UPDATE mail_messages SET inline_parts_at = NULL"); err != nil {
		t.Fatal(err)
	}
	t.Run("imported before", check)

	if r := h.client().get(fmt.Sprintf("/inbox/%d/cid/logo.png", id)); r.StatusCode == http.StatusOK {
		t.Error("an anonymous request got the image")
	}
}
