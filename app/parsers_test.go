package app

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/backupchecks/backupchecks/db"
)

func TestParsersPageAndPlayground(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")

	r := c.get("/parsers")
	wantStatus(t, r, http.StatusOK)
	for _, name := range []string{"veeam_backup_job", "synology_hyper_backup", "synology_dsm_update", "threecx_update", "generic_subject_status"} {
		if r.doc.Find("#parsers-table code:contains('"+name+"')").Length() != 1 {
			t.Errorf("registry table lacks %s", name)
		}
	}

	raw, err := os.ReadFile("parsers/testdata/veeam/br-backup-warning.eml")
	if err != nil {
		t.Fatal(err)
	}
	r = c.hx("POST", "/parsers/playground", url.Values{"raw": {string(raw)}})
	wantStatus(t, r, http.StatusOK)
	if r.text("#pg-job") != "Daily VMs" || r.text("#pg-status") != "Warning" || r.doc.Find("#pg-objects tbody tr").Length() == 0 {
		t.Fatalf("playground result:\n%s", r.body)
	}
	r = c.hx("POST", "/parsers/playground", url.Values{"raw": {"From: a@example.org\r\nSubject: Lunch?\r\n\r\nHi"}})
	if !strings.Contains(r.text("#playground-verdict"), "no parser recognised this mail") || r.doc.Find("#pg-tried li").Length() < 10 {
		t.Fatalf("unmatched mail:\n%s", r.body)
	}
	wantStatus(t, c.hx("POST", "/parsers/playground", url.Values{"raw": {"  "}}), http.StatusUnprocessableEntity)

	// The page says a whole mail is needed, and a pasted body alone is refused saying so,
	// where the result would be.
	if help := c.get("/parsers").text("#f-raw-help"); !strings.Contains(help, "message source") || !strings.Contains(help, "Subject:") {
		t.Fatalf("the playground does not explain what to paste: %q", help)
	}
	body := "Backup job: Daily VMs\n\nWarning\n2 of 2 VMs processed\nStart time: 04/03/2026 23:00:12\nsrv-mail01 Warning\n"
	r = c.hx("POST", "/parsers/playground", url.Values{"raw": {body}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if msg := r.text("#playground-input-error"); !strings.Contains(msg, "only the body of a mail") || r.Header.Get("HX-Retarget") != "" {
		t.Fatalf("a pasted body: %q (retarget %q)", msg, r.Header.Get("HX-Retarget"))
	}
	// A whole mail pasted after an empty line, or from an mbox file, is read.
	for _, paste := range []string{"\n\n" + string(raw), "From nas@example.org Mon Mar  2 22:05:00 2026\n" + string(raw)} {
		r = c.hx("POST", "/parsers/playground", url.Values{"raw": {paste}})
		wantStatus(t, r, http.StatusOK)
		if r.text("#pg-job") != "Daily VMs" {
			t.Fatalf("a whole mail pasted as %.40q was not read:\n%.500s", paste, r.body)
		}
	}
}

// TestBrowserParserPlayground pastes a Synology mail into the playground and reads the result.
func TestBrowserParserPlayground(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("admin", db.RoleAdmin)
	ctx := browser(t)
	raw, err := os.ReadFile("parsers/testdata/synology/hyperbackup-partial-en.eml")
	if err != nil {
		entries, _ := os.ReadDir("parsers/testdata/synology")
		t.Fatalf("fixture: %v (have %v)", err, entries)
	}
	steps(ctx, t, "log in", login(h, "admin")...)
	steps(ctx, t, "paste a mail into the playground",
		chromedp.Navigate(h.url+"/parsers"),
		chromedp.WaitVisible("#playground-form"),
		htmxIdle(),
		chromedp.SetValue("#f-raw", string(raw)),
		chromedp.Click("#playground-submit"),
		chromedp.WaitVisible("#playground-verdict"),
		htmxIdle(),
	)
	screenshot(ctx, t, "09-parser-playground")
	if v := run(ctx, t, chromedp.Text("#playground-verdict")); !strings.Contains(v, "synology_hyper_backup") {
		t.Fatalf("verdict = %q", v)
	}
	if s := run(ctx, t, chromedp.Text("#pg-status")); s != "Warning" {
		t.Fatalf("status = %q", s)
	}
}
