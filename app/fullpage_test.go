package app

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// notPages are the GET routes whose answer is no page by design.
var notPages = map[string]string{
	"/health":                         "JSON for the load balancer",
	"/events":                         "the live-update stream",
	"/inbox/:id/eml":                  "the mail as a file",
	"/inbox/:id/body":                 "the mail's own locked-down document, shown in a frame",
	"/inbox/:id/cid/:cid":             "an inline part of a mail",
	"/customers/export.csv":           "a CSV file",
	"/settings/maintenance/jobs.json": "a JSON file",
	"/api/job-runs/:id/alerts":        "an API: an HTML fragment, or JSON when asked",
	"/reports/:id/pdf":                "a PDF file (or a ZIP of them)",
	"/reports/:id/csv":                "a CSV file",
	"/reports/files/:id":              "a built report file",
	"/reports/logo":                   "the branding logo image",
	"/audit/export.csv":               "a CSV file",
	"/feedback/attachments/:id":       "an image",
	"/metrics":                        "Prometheus metrics (404 unless METRICS_TOKEN is set)",
}

// follow GETs path as a browser navigation does (no htmx), following redirects.
func (c *client) follow(t *testing.T, path string) *response {
	t.Helper()
	r := c.get(path)
	for hops := 0; r.StatusCode == http.StatusSeeOther || r.StatusCode == http.StatusFound; hops++ {
		if hops == 3 {
			t.Fatalf("GET %s: too many redirects", path)
		}
		r = c.get(r.Header.Get("Location"))
	}
	return r
}

// isPage reports whether r is a whole page of the app (an error page too): a document
// with the layout.
func isPage(r *response) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(r.body)), "<!doctype html>") &&
		r.doc.Find("head title").Length() == 1 && r.doc.Find("main#main").Length() == 1
}

// TestFragmentURLsOpenAsPages: every URL the app answers with HTML works as a full page
// when it is opened directly, refreshed or middle-clicked. A dialog (a run, a mail, a
// job's day, a form) opens in the page it belongs to, which the address bar returns to
// when it is closed; another fragment sends the browser to its page. htmx still gets
// the fragment alone.
func TestFragmentURLsOpenAsPages(t *testing.T) {
	f := newRouteFixture(t)
	c := f.admin
	routes := f.h.app.routeTable()
	for path := range fragmentPages {
		if !slices.ContainsFunc(routes, func(rt route) bool { return rt.Method == "GET" && rt.Path == path }) {
			t.Errorf("fragmentPages names %s, which is no GET route", path)
		}
	}
	for _, rt := range routes {
		if rt.Method != "GET" || notPages[rt.Path] != "" {
			continue
		}
		t.Run(rt.Path, func(t *testing.T) {
			p := f.path(t, rt.Path, "")
			if rt.Path == "/tickets/new" {
				p += fmt.Sprintf("?kind=ticket&run_id=%d", f.ids["runchecks"])
			}
			behind, fragment := fragmentPages[rt.Path]
			if !fragment {
				if r := c.follow(t, p); !isPage(r) {
					t.Fatalf("a full load of %s is no page (status %d); a fragment route belongs in fragmentPages:\n%.300s", p, r.StatusCode, r.body)
				}
				return
			}
			if behind.page == nil {
				r := c.get(p)
				if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") == "" {
					t.Fatalf("a full load of %s: status %d, want a redirect to its page", p, r.StatusCode)
				}
				if r := c.follow(t, p); !isPage(r) {
					t.Fatalf("%s sends the browser to %s, which is no page", p, c.get(p).Header.Get("Location"))
				}
				return
			}
			r := c.follow(t, p)
			if r.StatusCode != http.StatusOK || !isPage(r) || r.doc.Find("nav.navbar").Length() != 1 {
				t.Fatalf("a full load of %s is no page with the navbar (status %d):\n%.300s", p, r.StatusCode, r.body)
			}
			if r.doc.Find("#modal-dialog > .modal-content #modal-title").Length() != 1 {
				t.Fatalf("%s opens no dialog in its page", p)
			}
			back, _ := r.doc.Find("#modal").Attr("data-back-url")
			pagePath, _, _ := strings.Cut(back, "?")
			if roles, ok := f.h.app.routeRoles["GET "+pagePath]; !ok || roles != nil && slices.ContainsFunc(rt.Roles, func(role string) bool { return !slices.Contains(roles, role) }) {
				t.Fatalf("the dialog returns to %q, which is no page every role of %s may open", back, rt.Path)
			}
			if r := c.hx("GET", p, nil); r.StatusCode != http.StatusOK || strings.Contains(r.body, "<html") || r.doc.Find(".modal-content").Length() != 1 {
				t.Fatalf("htmx GET %s: status %d, want the dialog alone:\n%.300s", p, r.StatusCode, r.body)
			}
		})
	}

	// The page behind names where the dialog came from: a job's day returns to that day.
	r := c.follow(t, fmt.Sprintf("/daily/%d?date=2026-03-02", f.ids["daily"]))
	if back, _ := r.doc.Find("#modal").Attr("data-back-url"); back != "/daily?date=2026-03-02" {
		t.Fatalf("the day's dialog returns to %q", back)
	}
	if r.doc.Find(fmt.Sprintf("#daily-job-%d", f.ids["daily"])).Length() != 1 {
		t.Fatal("the page behind the day's dialog is not that day's list")
	}
	// What does not exist is a full error page, not a list with an empty dialog, nor
	// a redirect to the list.
	for _, p := range []string{"/runchecks/runs/999999", "/customers/999999/edit"} {
		r = c.get(p)
		if r.StatusCode != http.StatusNotFound || !isPage(r) || r.doc.Find("#modal-dialog > *").Length() != 0 {
			t.Fatalf("%s: status %d\n%.300s", p, r.StatusCode, r.body)
		}
	}
}
