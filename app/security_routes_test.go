package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/feedback"
	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/app/tasks"
	"github.com/backupchecks/backupchecks/db"
)

// routeFixture is an installation with one of everything a route's path can name, so
// that every route of the table can be called with real ids.
type routeFixture struct {
	h     *harness
	admin *client
	ids   map[string]int64 // first path segment → the id its :id means
}

const fixtureCID = "logo@report"

func newRouteFixture(t *testing.T) *routeFixture {
	t.Helper()
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC) // a week after the test mails
	h := newHarness(t, Options{Registry: parserstest.Registry(), Now: func() time.Time { return now }})
	admin := h.user("admin", db.RoleAdmin)
	target := h.user("target", db.RoleViewer)
	c := h.client()
	c.login("admin")
	jobID := approvedJob(t, h, c, "Acme", "Nightly", 1, "Failed")
	wantStatus(t, c.upload(map[string][]byte{"html.eml": htmlReportMail(20, "Warning", "Html")}), http.StatusOK)
	mailID := mailIDs(t, h, "parsed_job_name = 'Html'")[0]
	wantStatus(t, c.upload(map[string][]byte{"cc.eml": cloudConnectReport(t)}), http.StatusOK)

	scan := func(query string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := h.db.Bun.NewRaw(query, args...).Scan(t.Context(), &id); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return id
	}
	runID := scan("SELECT id FROM job_runs WHERE job_id = ?", jobID)
	customerID := scan("SELECT customer_id FROM jobs WHERE id = ?", jobID)
	wantStatus(t, c.hx("POST", "/tickets", url.Values{"kind": {"ticket"}, "run_id": {fmt.Sprint(runID)},
		"job_id": {fmt.Sprint(jobID)}, "text": {"Disk full"}}), http.StatusOK)
	wantStatus(t, c.hx("POST", "/overrides", url.Values{"level": {"object"}, "job_id": {fmt.Sprint(jobID)},
		"match_status": {"Failed"}, "match_mode": {"contains"}, "match_text": {"note"}, "treat_as_success": {"on"}}), http.StatusOK)
	taskID, err := tasks.Insert(context.Background(), h.db.Pool, tasks.KindMailReparse, admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := tasks.Finish(context.Background(), h.db.Bun, taskID, "Re-parsed 0 mails.", nil); err != nil {
		t.Fatal(err)
	}
	// A Cove account, unlinked, for /cove/accounts/:id/….
	coveAccount := scan(`INSERT INTO cove_accounts (account_id, account_name, computer_name, partner_name, backup_type, colorbar)
		VALUES (4711, 'LAPTOP-07', 'LAPTOP-07', 'Acme', 'Workstation', '5555555555555555555555555550') RETURNING account_id`)
	rep := reportFixture(t, h, customerID)
	feedbackID, err := feedback.Create(t.Context(), h.db.Bun, audit.Actor{ID: admin.ID, Name: admin.Username},
		feedback.NewItem{Type: feedback.TypeIdea, Title: "Export to PDF", Text: "Please."})
	if err != nil {
		t.Fatal(err)
	}
	return &routeFixture{h: h, admin: c, ids: map[string]int64{
		"reports": rep.definition, "reports/tasks": rep.task, "reports/files": rep.file,
		"cove":  coveAccount,
		"inbox": mailID, "customers": customerID, "runchecks": runID, "runs": runID, "api": runID,
		"tickets": scan("SELECT id FROM tickets ORDER BY id LIMIT 1"), "overrides": scan("SELECT id FROM overrides ORDER BY id LIMIT 1"),
		"daily": jobID, "jobs": jobID, "tasks": taskID, "users": target.ID, "feedback": feedbackID,
		"cloud-connect": scan("SELECT id FROM cloud_connect_accounts ORDER BY id LIMIT 1"),
		"background":    1, // a River job id: the refused requests never reach River
	}}
}

// path fills a route's parameters with real ids (or with id when it is not ""). A
// parameter the fixture does not know fails the test: give the new route's area an id.
func (f *routeFixture) path(t *testing.T, pattern, id string) string {
	t.Helper()
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		switch {
		case s == ":id":
			if id != "" {
				segs[i] = id
				continue
			}
			// The id of the path before it ("reports/tasks"), else of the area ("reports").
			n, ok := f.ids[strings.Join(segs[1:i], "/")]
			if !ok {
				n, ok = f.ids[segs[1]]
			}
			if !ok {
				t.Fatalf("route %s: the fixture has no id for /%s/:id", pattern, segs[1])
			}
			segs[i] = fmt.Sprint(n)
		case s == ":kind":
			segs[i] = "ticket"
		case s == ":cid":
			segs[i] = url.PathEscape(fixtureCID)
		case strings.HasPrefix(s, ":"):
			t.Fatalf("route %s: the fixture cannot fill %s", pattern, s)
		}
	}
	return strings.Join(segs, "/")
}

func stateChanging(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch:
		return true
	}
	return false
}

// send makes one request with optional headers and a url-encoded body, giving up on
// the body of a stream (SSE) after the headers.
func (c *client) send(method, path, rawQuery, rawForm string, header map[string]string) *response {
	c.h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	target := c.h.url + path
	if rawQuery != "" {
		target += "?" + rawQuery
	}
	var body io.Reader
	if rawForm != "" {
		body = strings.NewReader(rawForm)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		c.h.t.Fatal(err)
	}
	if rawForm != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.h.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return c.parse(resp, "")
	}
	b, _ := io.ReadAll(resp.Body)
	return c.parse(resp, string(b))
}

// TestSecurityRouteTable walks the route table: every state-changing route refuses a
// request without a CSRF token, even from a signed-in admin, and runs nothing; every
// non-public route sends an anonymous visitor to the login page (a redirect, or 401
// with HX-Redirect for htmx).
func TestSecurityRouteTable(t *testing.T) {
	f := newRouteFixture(t)
	anon := f.h.client()
	anon.get("/login") // a CSRF cookie and token, so that only the missing login counts
	countRows := func() string {
		var s string
		if err := f.h.db.Bun.NewRaw(`SELECT concat_ws(',', (SELECT count(*) FROM customers), (SELECT count(*) FROM jobs),
			(SELECT count(*) FROM job_runs WHERE reviewed_at IS NULL), (SELECT count(*) FROM overrides),
			(SELECT count(*) FROM tickets WHERE resolved_at IS NULL), (SELECT count(*) FROM users WHERE is_active),
			(SELECT count(*) FROM mail_messages WHERE location = 'inbox'), (SELECT count(*) FROM sessions))`).Scan(t.Context(), &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := countRows()

	for _, rt := range f.h.app.routeTable() {
		p := f.path(t, rt.Path, "")
		if stateChanging(rt.Method) {
			t.Run("no CSRF token "+rt.Method+" "+rt.Path, func(t *testing.T) {
				for _, htmx := range []bool{false, true} {
					hdr := map[string]string{}
					if htmx {
						hdr["HX-Request"] = "true"
					}
					r := f.admin.send(rt.Method, p, "", "name=x", hdr)
					if r.StatusCode != http.StatusForbidden {
						t.Fatalf("htmx=%v: status %d without a CSRF token, want 403\n%.500s", htmx, r.StatusCode, r.body)
					}
					r = f.admin.send(rt.Method, p, "", "_csrf=forged-"+f.admin.csrf[:10], hdr)
					if r.StatusCode != http.StatusForbidden {
						t.Fatalf("htmx=%v: status %d with a forged CSRF token, want 403", htmx, r.StatusCode)
					}
				}
			})
		}
		if rt.Roles == nil {
			continue
		}
		t.Run("signed out "+rt.Method+" "+rt.Path, func(t *testing.T) {
			form := ""
			if stateChanging(rt.Method) {
				form = url.Values{"_csrf": {anon.csrf}}.Encode()
			}
			r := anon.send(rt.Method, p, "", form, nil)
			if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
				t.Fatalf("status %d to %q, want a redirect to /login", r.StatusCode, r.Header.Get("Location"))
			}
			r = anon.send(rt.Method, p, "", form, map[string]string{"HX-Request": "true", "X-CSRF-Token": anon.csrf})
			if r.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(r.Header.Get("HX-Redirect"), "/login") {
				t.Fatalf("htmx: status %d, HX-Redirect %q, want 401 to /login", r.StatusCode, r.Header.Get("HX-Redirect"))
			}
		})
	}
	if after := countRows(); after != before {
		t.Fatalf("refused requests changed data: counts %s before, %s after", before, after)
	}
	// The admin's session survived its CSRF-less logout.
	wantStatus(t, f.admin.get("/"), http.StatusOK)
}

// TestSecurityMalformedQuery replays the malformed input that made pages fail (issue 11
// item 9) against every GET route: NUL and invalid UTF-8 are refused with a 400 that
// says why, huge page numbers and ids are clamped or not found, and nothing is a 500.
func TestSecurityMalformedQuery(t *testing.T) {
	f := newRouteFixture(t)
	bad := []string{
		"q=a%00b", "q=%FF", "q=%C3%28", "software=%FF", "type=%FE%FF", "customer_name=acme%00", "job_search=%00",
		"%FF=1", "page=1&status=%00",
	}
	huge := []string{
		"page=9223372036854775807", "page=9223372036854775808", "page=-9223372036854775808", "page=0",
		"customer_id=9223372036854775808", "job_id=99999999999999999999", "run_id=-1", "open_job_id=9223372036854775807",
	}
	for _, rt := range f.h.app.routeTable() {
		if rt.Method != http.MethodGet {
			continue
		}
		p := f.path(t, rt.Path, "")
		t.Run(rt.Path, func(t *testing.T) {
			for _, htmx := range []bool{false, true} {
				hdr := map[string]string{}
				if htmx {
					hdr["HX-Request"] = "true"
				}
				for _, q := range bad {
					r := f.admin.send("GET", p, q, "", hdr)
					if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "not valid text") {
						t.Fatalf("?%s htmx=%v: status %d, want 400 saying why\n%.500s", q, htmx, r.StatusCode, r.body)
					}
					if htmx && rt.Path != "/health" && r.Header.Get("HX-Retarget") != "#flash" {
						t.Fatalf("?%s: the htmx error is not shown in the flash area", q)
					}
				}
				for _, q := range huge {
					if r := f.admin.send("GET", p, q, "", hdr); r.StatusCode >= 500 {
						t.Fatalf("?%s htmx=%v: status %d\n%.1000s", q, htmx, r.StatusCode, r.body)
					}
				}
			}
			if strings.Contains(rt.Path, ":id") {
				for _, id := range []string{"9223372036854775808", "-9223372036854775809", "99999999999999999999999", "0x10"} {
					if r := f.admin.send("GET", f.path(t, rt.Path, id), "", "", nil); r.StatusCode != http.StatusNotFound {
						t.Fatalf("id %s: status %d, want 404", id, r.StatusCode)
					}
				}
			}
		})
	}
	// Lists asked for a page far past their end answer with a page, not an error.
	for _, p := range []string{"/inbox", "/inbox/deleted", "/daily", "/customers", "/jobs", "/runchecks", "/audit", fmt.Sprintf("/jobs/%d", f.ids["jobs"])} {
		wantStatus(t, f.admin.get(p+"?page=9223372036854775807"), http.StatusOK)
	}
}

// TestSecurityMalformedForm: a url-encoded form value with NUL or invalid UTF-8 is
// refused before any handler (and before the CSRF check) sees it, on every
// state-changing route; a huge id in a state-changing route's path is not found.
func TestSecurityMalformedForm(t *testing.T) {
	f := newRouteFixture(t)
	for _, rt := range f.h.app.routeTable() {
		if !stateChanging(rt.Method) {
			continue
		}
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			hdr := map[string]string{"HX-Request": "true", "X-CSRF-Token": f.admin.csrf}
			for _, form := range []string{"name=a%00b", "text=%FF", "q=%C3%28"} {
				r := f.admin.send(rt.Method, f.path(t, rt.Path, ""), "", form, hdr)
				if r.StatusCode != http.StatusBadRequest {
					t.Fatalf("%s: status %d, want 400\n%.500s", form, r.StatusCode, r.body)
				}
			}
			if strings.Contains(rt.Path, ":id") {
				r := f.admin.send(rt.Method, f.path(t, rt.Path, "9223372036854775808"), "", "", hdr)
				if r.StatusCode != http.StatusNotFound {
					t.Fatalf("huge id: status %d, want 404\n%.500s", r.StatusCode, r.body)
				}
			}
		})
	}
}
