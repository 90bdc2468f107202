package app

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/db"
)

// TestPageTitlesAndFavicon: every main page's <title> names the page, and every page
// links the favicon, which is served as SVG.
func TestPageTitlesAndFavicon(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("admin", db.RoleAdmin)
	anon := h.client()
	r := anon.get("/login")
	if got := r.doc.Find("title").Text(); got != "Log in · Backupchecks" {
		t.Errorf("/login: title %q", got)
	}
	c := h.client()
	c.login("admin")
	job := approvedJob(t, h, c, "Acme", "Nightly", 1, "Failed")
	for path, want := range map[string]string{
		"/":                          "Dashboard",
		"/inbox":                     "Inbox",
		"/inbox/deleted":             "Deleted mails",
		"/daily":                     "Daily Jobs",
		"/runchecks":                 "Run Checks",
		"/tickets":                   "Tickets",
		"/customers":                 "Customers",
		"/jobs":                      "Jobs",
		"/jobs/archived":             "Archived jobs",
		fmt.Sprintf("/jobs/%d", job): "Nightly",
		"/overrides":                 "Overrides",
		"/profile":                   "Profile",
		"/settings":                  "Settings",
		"/settings/imports":          "Imports · Settings",
		"/settings/integrations":     "Integrations · Settings",
		"/settings/maintenance":      "Maintenance · Settings",
		"/users":                     "Users",
		"/parsers":                   "Parsers",
		"/audit":                     "Logging",
		"/search?q=acme":             "Search: acme",
		"/feedback":                  "Feedback",
		"/no-such-page":              "Not found",
	} {
		r := c.get(path)
		if got := r.doc.Find("title").Text(); got != want+" · Backupchecks" {
			t.Errorf("%s: title %q, want %q", path, got, want+" · Backupchecks")
		}
		if href, _ := r.doc.Find(`head link[rel="icon"]`).Attr("href"); href != "/assets/favicon.svg" {
			t.Errorf("%s: favicon link %q", path, href)
		}
	}

	resp, err := http.Get(h.url + "/assets/favicon.svg")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" || len(body) < 100 {
		t.Errorf("favicon: %d %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
	}
}
