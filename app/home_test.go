package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/app/review"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// dashboardFixture adds n customers with a failed run to review each, plus runs the
// Run Checks queue leaves out (a 3CX update, an inactive customer's failure).
func dashboardFixture(t *testing.T, h *harness, n int) {
	t.Helper()
	f := dbtest.Fixture(t, h.db)
	var ids []int64
	job := func(customer, name, software, typ, status string, active bool) {
		j := f.AddCustomer(dbtest.Customer{Name: customer, Inactive: !active}).Job(dbtest.Job{Name: name, Software: software, Type: typ}).
			Runs(dbtest.Run{Status: status, At: time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)})
		ids = append(ids, j.ID)
	}
	for i := range n {
		job(fmt.Sprintf("Customer %02d", i), "Nightly", "Veeam", "Backup Job", "Failed", true)
	}
	job("Phones", "PBX", "3CX", "Update", "Warning", true)
	job("Gone", "Lost", "Veeam", "Backup Job", "Failed", false)
	if err := review.RecountJobSummaries(t.Context(), h.db.Bun, ids); err != nil {
		t.Fatal(err)
	}
}

// TestDashboardFigures: the dashboard counts the runs Run Checks lists (not the
// hidden 3CX updates or an inactive customer's runs), and each figure and status tile
// links to the page that lists it, for the roles that may open it.
func TestDashboardFigures(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	h := newHarness(t, Options{Registry: parserstest.Registry(), Now: func() time.Time { return now }})
	h.user("admin", db.RoleAdmin)
	h.user("viewer", db.RoleViewer)
	c := h.client()
	c.login("admin")
	id := approvedJob(t, h, c, "Acme", "Nightly", 1, "Failed") // no schedule yet: no missed runs meanwhile
	dashboardFixture(t, h, 2)

	r := c.get("/")
	wantStatus(t, r, http.StatusOK)
	if got := r.text("#figure-review"); got != "Runs to review 3 in 3 jobs" {
		t.Errorf("runs to review figure = %q", got)
	}
	// The jobs figure counts what the Jobs list shows (not the inactive customer's job).
	if got, total := r.text("#figure-jobs .dash-value"), c.get("/jobs").doc.Find("#jobs-table tbody tr").Length(); got != fmt.Sprint(total) || total != 4 {
		t.Errorf("jobs figure %s, the Jobs list shows %d", got, total)
	}
	rc := c.get("/runchecks")
	if n := rc.doc.Find(".runchecks-group").Length(); n != 3 {
		t.Errorf("Run Checks lists %d jobs, the dashboard says 3", n)
	}
	for id, href := range map[string]string{"customers": "/customers", "jobs": "/jobs", "inbox": "/inbox", "review": "/runchecks"} {
		if got, _ := r.doc.Find("a#figure-" + id).Attr("href"); got != href {
			t.Errorf("figure %s links to %q, want %q", id, got, href)
		}
	}
	if got, _ := r.doc.Find(`#today-at-a-glance a[data-status="Failed"]`).Attr("href"); got != "/daily?date=2026-03-04&status=Failed" {
		t.Errorf("today's Failed tile links to %q", got)
	}
	if got := r.text(`#worst-customers li:first-child`); !strings.HasPrefix(got, "Acme Failed 1") {
		t.Errorf("first customer to review: %q", got)
	}
	if href, _ := r.doc.Find(`#worst-customers li:first-child a`).Attr("href"); href != fmt.Sprintf("/runchecks?customer_id=%d", h.jobCustomer(id)) {
		t.Errorf("customer link %q", href)
	}
	if strings.Contains(r.text("#worst-customers"), "Phones") || strings.Contains(r.text("#worst-customers"), "Gone") {
		t.Errorf("hidden jobs' customers listed: %q", r.text("#worst-customers"))
	}

	// A viewer may not open Run Checks: the figure is shown, not linked.
	v := h.client()
	v.login("viewer")
	r = v.get("/")
	if r.doc.Find("a#figure-review").Length() != 0 || r.doc.Find("#figure-review").Length() != 1 {
		t.Errorf("viewer's runs to review figure:\n%s", r.text("#dashboard-figures"))
	}
}

// TestBrowserDashboardCompact: with a long list of customers to review beside it, the
// Today tiles stay compact instead of stretching into tall empty boxes.
func TestBrowserDashboardCompact(t *testing.T) {
	h, _, _ := dailyFixture(t)
	dashboardFixture(t, h, 10)
	ctx := browser(t)
	steps(ctx, t, "log in", login(h, "admin")...)
	steps(ctx, t, "dashboard", chromedp.WaitVisible("#today-at-a-glance"))
	screenshot(ctx, t, "dashboard")
	for sel, limit := range map[string]int{"#today-at-a-glance": 140, "#dashboard-figures": 120} {
		height := run(ctx, t, chromedp.Evaluate[float64](`document.querySelector("`+sel+`").getBoundingClientRect().height`))
		if height > float64(limit) {
			t.Errorf("%s is %.0f px tall, want at most %d", sel, height, limit)
		}
	}
}

// TestDashboardSourcesForAdmins: an admin's dashboard shows the last mail import, red
// when it failed, and the last Cove import, red when overdue; an operator's does not
// show the card.
func TestDashboardSourcesForAdmins(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("admin", db.RoleAdmin)
	h.user("op", db.RoleOperator)
	if _, err := h.db.Bun.ExecContext(context.Background(), `UPDATE system_settings SET mail_source = 'graph', mail_import_enabled = true,
		mail_import_interval_minutes = 15, mail_last_import_at = now(), mail_last_import_result = 'failed: graph: token refused',
		cove_enabled = true, cove_import_enabled = true, cove_import_interval_minutes = 60,
		cove_last_import_at = now() - interval '1 day', cove_last_import_result = '12 accounts (0 new)' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	admin := h.client()
	admin.login("admin")
	r := admin.get("/")
	wantStatus(t, r, http.StatusOK)
	row := r.doc.Find(`#dashboard-sources li[data-source-state="failed"]`)
	if row.Length() != 1 || !row.HasClass("list-group-item-danger") || !strings.Contains(row.Text(), "token refused") {
		t.Fatalf("the failed import is not shown red:\n%s", r.doc.Find("#dashboard-sources").Text())
	}
	row = r.doc.Find(`#dashboard-sources li[data-source-state="overdue"]`)
	if row.Length() != 1 || !row.HasClass("list-group-item-danger") || !strings.Contains(row.Text(), "Cove Data Protection import") ||
		!strings.Contains(row.Text(), "No import for 24 h") {
		t.Fatalf("the overdue Cove import is not shown red:\n%s", r.doc.Find("#dashboard-sources").Text())
	}
	op := h.client()
	op.login("op")
	if op.get("/").doc.Find("#dashboard-sources").Length() != 0 {
		t.Error("an operator sees the sources card")
	}
}
