package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/retention"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// TestMaintenanceRetention: Settings → Maintenance loads the retention section; the
// figures of what a number of years removes come first; a bad value is refused beside
// the field; saving is audited; Purge now removes the old runs through the River job
// and the section shows the pass.
func TestMaintenanceRetention(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("admin", db.RoleAdmin)
	h.user("op", db.RoleOperator)
	ctx := context.Background()
	now := time.Now()
	f := dbtest.Fixture(t, h.db)
	job := f.Customer("Acme").Job(dbtest.Job{Name: "Nightly"})
	job.Runs(dbtest.Run{At: now.AddDate(-4, 0, 0)}, dbtest.Run{At: now.AddDate(-3, -1, 0)}, dbtest.Run{At: now.AddDate(0, -1, 0)})
	f.Mail(dbtest.Mail{ReceivedAt: now.AddDate(-5, 0, 0), Subject: "ancient"})
	countRuns := func() int {
		var n int
		if err := h.db.Bun.NewRaw(`SELECT count(*) FROM job_runs`).Scan(ctx, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	c := h.client()
	c.login("admin")
	page := c.get("/settings/maintenance")
	wantStatus(t, page, http.StatusOK)
	if hx, _ := page.doc.Find("#retention").Attr("hx-get"); hx != "/settings/maintenance/retention" {
		t.Fatalf("the maintenance page does not load the retention section (hx-get %q)", hx)
	}
	r := c.hx("GET", "/settings/maintenance/retention", nil)
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.doc.Find("#retention-status").Text(), "Off") || r.doc.Find("#retention-run").Length() != 0 {
		t.Fatalf("a fresh install keeps everything and offers no purge:\n%s", r.doc.Find("#retention").Text())
	}
	// A full load of the section's URL is the Maintenance page.
	if full := c.get("/settings/maintenance/retention"); !strings.Contains(full.body, "<html") {
		t.Fatal("a full load of the section is no page")
	}

	r = c.hx("GET", "/settings/maintenance/retention?preview=1&years=3", nil)
	wantStatus(t, r, http.StatusOK)
	if fig := r.doc.Find("#retention-figures").Text(); !strings.Contains(fig, "2 runs") || !strings.Contains(fig, "1 mail") {
		t.Fatalf("preview for 3 years: %q, want 2 runs and 1 mail", fig)
	}
	if countRuns() != 3 {
		t.Fatal("the preview deleted something")
	}
	for _, bad := range []string{"abc", "-1", "99"} {
		r = c.hx("PUT", "/settings/maintenance/retention", url.Values{"years": {bad}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if r.doc.Find("#f-years-error").Text() == "" || r.doc.Find("#f-years").AttrOr("value", "") != bad {
			t.Errorf("years=%q: no message beside the field, or the value was not kept:\n%.400s", bad, r.body)
		}
	}

	r = c.hx("PUT", "/settings/maintenance/retention", url.Values{"years": {"3"}})
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.doc.Find("#retention-status").Text(), "Keeping 3 years") || r.doc.Find("#retention-run").Length() != 1 {
		t.Fatalf("after saving 3 years:\n%s", r.doc.Find("#retention").Text())
	}
	var audited int
	if err := h.db.Bun.NewRaw(`SELECT count(*) FROM audit_log WHERE action = ?`, retention.ActionSet).Scan(ctx, &audited); err != nil || audited != 1 {
		t.Fatalf("%d audit entries (%v), want 1", audited, err)
	}

	op := h.client()
	op.login("op")
	wantStatus(t, op.hx("POST", "/settings/maintenance/retention/run", nil), http.StatusForbidden)

	r = c.hx("POST", "/settings/maintenance/retention/run", nil)
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.body, "Purge started") && !strings.Contains(r.body, "already under way") {
		t.Fatalf("Purge now answered:\n%.600s", r.body)
	}
	waitUntil(t, "the old runs to be purged", func() bool { return countRuns() == 1 })
	waitUntil(t, "the pass to be recorded", func() bool {
		p, err := retention.Load(ctx, h.db.Bun)
		return err == nil && p.LastRunAt != nil && strings.Contains(p.LastResult, "2 runs and 1 mails removed")
	})
	waitUntil(t, "River to mark the pass completed", func() bool {
		running, err := retention.Running(ctx, h.db.Bun)
		return err == nil && !running
	})
	r = c.hx("GET", "/settings/maintenance/retention", nil)
	if !strings.Contains(r.doc.Find("#retention-status").Text(), "2 runs and 1 mails removed") {
		t.Errorf("the section does not show the last pass: %q", r.doc.Find("#retention-status").Text())
	}
}
