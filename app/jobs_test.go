package app

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// approvedJob uploads mails of one job and approves them to customer; returns the job id.
func approvedJob(t *testing.T, h *harness, c *client, customer, job string, first int, statuses ...string) int64 {
	t.Helper()
	files := map[string][]byte{}
	for i, s := range statuses {
		files[fmt.Sprintf("%d.eml", first+i)] = parserstest.Mail(first+i, s, job, "object: vm01 "+s+" note", "object: vm02 Success")
	}
	if r := c.upload(files); r.StatusCode != http.StatusOK {
		t.Fatalf("upload: %d\n%s", r.StatusCode, r.body)
	}
	ids := mailIDs(t, h, "location = 'inbox' AND parsed_job_name = '"+job+"'")
	if len(ids) == 0 {
		t.Fatalf("no Inbox mail of %s after the upload", job)
	}
	r := c.hx("POST", fmt.Sprintf("/inbox/%d/approve", ids[0]), url.Values{"customer_id": {"new"}, "customer_name": {customer}})
	wantStatus(t, r, http.StatusOK)
	var id int64
	if err := h.db.Bun.NewRaw("SELECT id FROM jobs WHERE job_name = ?", job).Scan(t.Context(), &id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestJobsPages(t *testing.T) {
	// The test mails are from early March 2026: look at the heat strip a week later.
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	h := newHarness(t, Options{Registry: parserstest.Registry(), Now: func() time.Time { return now }})
	h.user("admin", db.RoleAdmin)
	h.user("viewer", db.RoleViewer)
	c := h.client()
	c.login("admin")
	nightly := approvedJob(t, h, c, "Acme", "Nightly", 1, "Success", "Failed")
	approvedJob(t, h, c, "Globex", "Weekly", 10, "Warning")

	r := c.get("/jobs")
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find("#jobs-table tbody tr").Length() != 2 {
		t.Fatalf("jobs list:\n%s", r.body)
	}
	r = c.get(fmt.Sprintf("/jobs?customer_id=%d&sort=status", jobCustomer(t, h, nightly)))
	if r.doc.Find("#jobs-table tbody tr").Length() != 1 || !strings.Contains(r.text("#active-filter"), "Acme") {
		t.Fatalf("filtered list:\n%s", r.body)
	}

	r = c.get(fmt.Sprintf("/jobs/%d", nightly))
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find("#runs-table tbody tr").Length() != 2 || r.doc.Find("#heat-strip span").Length() != heatDays {
		t.Fatalf("job detail runs/heat strip:\n%s", r.body)
	}
	if r.doc.Find("#objects-table td:contains('vm01')").Length() != 1 || r.doc.Find("#heat-strip .heat-failed").Length() != 1 {
		t.Fatalf("objects or the failed day missing:\n%s", r.text("#objects-table"))
	}

	// Viewers see jobs but cannot archive or delete.
	v := h.client()
	v.login("viewer")
	if vr := v.get(fmt.Sprintf("/jobs/%d", nightly)); vr.doc.Find("#archive-job").Length() != 0 {
		t.Fatal("viewer sees the archive button")
	}
	wantStatus(t, v.post(fmt.Sprintf("/jobs/%d/archive", nightly), nil), http.StatusForbidden)

	// Archive: gone from Jobs, on Archived jobs; unarchive brings it back.
	wantStatus(t, c.post(fmt.Sprintf("/jobs/%d/archive", nightly), nil), http.StatusSeeOther)
	if r := c.get("/jobs"); r.doc.Find("#jobs-table tbody tr").Length() != 1 {
		t.Fatal("archived job still listed")
	}
	if r := c.get("/jobs/archived"); r.doc.Find("#jobs-table tbody tr").Length() != 1 {
		t.Fatal("archived job not on the Archived jobs page")
	}
	// An archived job takes no new runs: its mail waits in the Inbox.
	r = c.upload(map[string][]byte{"late.eml": parserstest.Mail(50, "Success", "Nightly")})
	if !strings.Contains(r.text("#flash"), "0 became runs") {
		t.Fatalf("mail of an archived job became a run: %q", r.text("#flash"))
	}
	wantStatus(t, c.post(fmt.Sprintf("/jobs/%d/unarchive", nightly), nil), http.StatusSeeOther)

	// Delete: history gone, mails back in the Inbox (unlinked), audited.
	r = c.post(fmt.Sprintf("/jobs/%d/delete", nightly), nil)
	wantStatus(t, r, http.StatusSeeOther)
	if n := len(mailIDs(t, h, "parsed_job_name = 'Nightly' AND location = 'inbox' AND job_id IS NULL")); n != 3 {
		t.Fatalf("%d Nightly mails back in the Inbox, want 3", n)
	}
	var runs int
	if err := h.db.Bun.NewRaw("SELECT count(*) FROM job_runs WHERE job_id = ?", nightly).Scan(t.Context(), &runs); err != nil || runs != 0 {
		t.Fatalf("runs left: %d %v", runs, err)
	}
	if r := c.get("/"); !strings.Contains(r.text("#flash"), "deleted with 2 runs") {
		t.Fatalf("delete flash: %q", r.text("#flash"))
	}
	wantStatus(t, c.get(fmt.Sprintf("/jobs/%d", nightly)), http.StatusNotFound)
}

func jobCustomer(t *testing.T, h *harness, jobID int64) int64 {
	var id int64
	if err := h.db.Bun.NewRaw("SELECT customer_id FROM jobs WHERE id = ?", jobID).Scan(t.Context(), &id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestJobScheduleSetting(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")
	id := approvedJob(t, h, c, "Acme", "Nightly", 1, "Success")

	r := c.get(fmt.Sprintf("/jobs/%d", id))
	if got := r.text("#schedule-effective"); got != "No schedule learned" {
		t.Fatalf("effective schedule of a new job: %q", got)
	}
	r = c.hx("GET", fmt.Sprintf("/jobs/%d/schedule/edit", id), nil)
	wantStatus(t, r, http.StatusOK)

	r = c.hx("PUT", fmt.Sprintf("/jobs/%d/schedule", id), url.Values{"kind": {"weekly"}, "time": {"25:00"}, "grace": {"-5"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if r.text("#f-grace-error") == "" || r.text("#f-time-error") == "" || !strings.Contains(r.text("fieldset .invalid-feedback"), "choose at least one weekday") {
		t.Fatalf("no errors beside grace and weekdays:\n%s", r.body)
	}
	r = c.hx("PUT", fmt.Sprintf("/jobs/%d/schedule", id), url.Values{"kind": {"weekly"}, "weekdays": {"1", "3", "5"},
		"time": {"22:00"}, "grace": {"60"}, "locked": {"on"}})
	wantStatus(t, r, http.StatusOK)
	if got := r.text("#schedule-effective"); got != "Weekly: Mon, Wed, Fri at 22:00" {
		t.Fatalf("effective after setting: %q\n%s", got, r.body)
	}
	if r := c.get("/jobs"); !strings.Contains(r.text("#jobs-table"), "Weekly: Mon, Wed, Fri at 22:00 (set)") {
		t.Fatalf("jobs list schedule: %q", r.text("#jobs-table"))
	}
	// Back to learning.
	r = c.hx("PUT", fmt.Sprintf("/jobs/%d/schedule", id), url.Values{"kind": {""}})
	wantStatus(t, r, http.StatusOK)
	if got := r.text("#schedule-effective"); got != "No schedule learned" {
		t.Fatalf("after clearing: %q", got)
	}
}

func TestJobsExportImport(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")
	id := approvedJob(t, h, c, "Acme", "Nightly", 1, "Success")
	approvedJob(t, h, c, "Globex", "Weekly", 10, "Warning")
	wantStatus(t, c.hx("PUT", fmt.Sprintf("/jobs/%d/schedule", id), url.Values{"kind": {"daily"}, "time": {"22:00"}, "locked": {"on"}}), http.StatusOK)

	r := c.get("/settings/maintenance/jobs.json")
	wantStatus(t, r, http.StatusOK)
	export := r.body
	if !strings.Contains(export, `"format":"backupchecks-jobs","format_version":2`) || strings.Count(export, `"job_name"`) != 2 {
		t.Fatalf("export:\n%s", export)
	}

	// Into an empty installation: customers and jobs come back, with the set schedule.
	h2 := newHarness(t, Options{})
	h2.user("admin", db.RoleAdmin)
	c2 := h2.client()
	c2.login("admin")
	importFile := func(body string) *response {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		part, _ := w.CreateFormFile("file", "jobs.json")
		part.Write([]byte(body))
		w.WriteField("_csrf", c2.csrf)
		w.Close()
		req, _ := http.NewRequest("POST", h2.url+"/settings/maintenance/jobs-import", &buf)
		req.Header.Set("Content-Type", w.FormDataContentType())
		resp, err := c2.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return c2.get("/settings/maintenance")
	}
	r = importFile(export)
	if !strings.Contains(r.text("#flash"), "2 customers and 2 jobs created") {
		t.Fatalf("import flash: %q", r.text("#flash"))
	}
	r = c2.get("/jobs")
	if !strings.Contains(r.text("#jobs-table"), "Daily at 22:00 (set)") || r.doc.Find("#jobs-table tbody tr").Length() != 2 {
		t.Fatalf("imported jobs:\n%s", r.text("#jobs-table"))
	}
	// Again: updates, no duplicates. A broken file changes nothing.
	if r = importFile(export); !strings.Contains(r.text("#flash"), "0 jobs created, 2 jobs updated") {
		t.Fatalf("re-import flash: %q", r.text("#flash"))
	}
	if r = importFile(`{"format":"backupchecks-jobs/1","jobs":[{"customer":"X","job_name":"Y"}]}`); !strings.Contains(r.text("#flash"), "Nothing imported") {
		t.Fatalf("bad file flash: %q", r.text("#flash"))
	}
}

// A schedule set by hand applies from the day it is set: no missed runs for the days before.
func TestSetScheduleAppliesFromToday(t *testing.T) {
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	h := newHarness(t, Options{Registry: parserstest.Registry(), Now: func() time.Time { return now }})
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")
	id := approvedJob(t, h, c, "Acme", "Nightly", 1, "Success")
	if _, err := h.db.Bun.ExecContext(t.Context(), "UPDATE jobs SET created_at = '2026-02-01' WHERE id = ?", id); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, c.hx("PUT", fmt.Sprintf("/jobs/%d/schedule", id), url.Values{"kind": {"daily"}, "time": {"22:00"}}), http.StatusOK)
	var since string
	if err := h.db.Bun.NewRaw("SELECT manual_schedule->>'since' FROM jobs WHERE id = ?", id).Scan(t.Context(), &since); err != nil || since != "2026-03-09" {
		t.Fatalf("since = %q, %v", since, err)
	}
	if r := c.get("/daily?date=2026-03-08"); r.doc.Find(fmt.Sprintf("#daily-job-%d", id)).Length() != 0 {
		t.Fatal("the day before the schedule was set expects a run")
	}
	if r := c.get("/daily?date=2026-03-09"); r.doc.Find(fmt.Sprintf("#daily-job-%d", id)).Length() != 1 {
		t.Fatal("the day the schedule was set expects no run")
	}
}

// TestJobsListSearchAndCustomers: the Jobs list searches job names, customers and
// backup software or type, filters by customer (an inactive one too), and says how
// many jobs of inactive customers it hides, with a link that shows them.
func TestJobsListSearchAndCustomers(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("viewer", db.RoleViewer)
	f := dbtest.Fixture(t, h.db)
	job := func(customer int64, name, software, typ string) {
		f.CustomerByID(customer).Job(dbtest.Job{Name: name, Software: software, Type: typ})
	}
	acme, globex, gone := h.customer("Acme", true, 0), h.customer("Globex", true, 0), h.customer("Gone BV", false, 2)
	job(acme, "Nightly VM", "Veeam", "Backup Job")
	job(acme, "Files", "Synology", "Hyper Backup")
	job(globex, "Exchange", "Veeam", "Backup Copy Job")
	c := h.client()
	c.login("viewer")
	rows := func(r *response) []string {
		var out []string
		r.doc.Find("#jobs-table tbody tr td:nth-child(4)").Each(func(_ int, s *goquery.Selection) { out = append(out, strings.TrimSpace(s.Text())) })
		return out
	}

	r := c.get("/jobs")
	if got := rows(r); len(got) != 3 {
		t.Fatalf("jobs of active customers: %v", got)
	}
	if got := r.text("#jobs-hidden"); got != "2 jobs of inactive customers hidden — show" {
		t.Errorf("hidden note %q", got)
	}
	show, _ := r.doc.Find("#jobs-hidden a").Attr("href")
	r = c.get(show)
	if got := rows(r); len(got) != 5 || r.doc.Find("#jobs-table .badge:contains('inactive')").Length() != 2 {
		t.Errorf("with inactive customers (%s): %v", show, got)
	}
	if got := r.text("#jobs-hidden"); !strings.HasPrefix(got, "Jobs of inactive customers shown") {
		t.Errorf("note when shown: %q", got)
	}
	if r.doc.Find(fmt.Sprintf(`#jobs-customer option[value="%d"]`, acme)).Length() != 1 {
		t.Error("the customer filter does not offer Acme")
	}

	for q, want := range map[string]string{
		"nightly": "Nightly VM", // job name
		"GLOBEX":  "Exchange",   // customer
		"synol":   "Files",      // backup software
		"copy":    "Exchange",   // backup type
	} {
		if got := rows(c.get("/jobs?q=" + url.QueryEscape(q))); strings.Join(got, ",") != want {
			t.Errorf("search %q: %v, want %s", q, got, want)
		}
	}
	// A search counts only the hidden jobs it matches.
	if r := c.get("/jobs?q=gone"); len(rows(r)) != 0 || r.text("#jobs-hidden") != "2 jobs of inactive customers hidden — show" ||
		!strings.Contains(r.text("#jobs-empty"), "No jobs match") {
		t.Errorf("search for the inactive customer: %v %q", rows(r), r.text("#jobs-hidden"))
	}
	if got := rows(c.get(fmt.Sprintf("/jobs?customer_id=%d&q=files", acme))); strings.Join(got, ",") != "Files" {
		t.Errorf("customer and search: %v", got)
	}

	// An inactive customer's own list shows its jobs, and says the customer is inactive.
	r = c.get(fmt.Sprintf("/jobs?customer_id=%d", gone))
	if got := rows(r); len(got) != 2 || !strings.Contains(r.text("#active-filter"), "Gone BV (inactive") || r.doc.Find("#jobs-hidden").Length() != 0 {
		t.Errorf("inactive customer's jobs: %v, banner %q", got, r.text("#active-filter"))
	}
	if r.doc.Find(fmt.Sprintf(`#jobs-customer option[value="%d"][selected]`, gone)).Length() != 1 {
		t.Error("the inactive customer is not the selected filter")
	}
	// Sorting keeps the filter; typing in the search box gets the table alone.
	if href, _ := r.doc.Find(`#jobs-table th a:contains("Job name")`).Attr("href"); href != fmt.Sprintf("/jobs?customer_id=%d&sort=job", gone) {
		t.Errorf("sort link %q", href)
	}
	r = c.hx("GET", "/jobs?q=veeam", nil)
	if r.doc.Find("nav.navbar, #jobs-filter").Length() != 0 || len(rows(r)) != 2 {
		t.Errorf("htmx search answer:\n%s", r.body)
	}
}
