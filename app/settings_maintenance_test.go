package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/db"
)

// TestMaintenanceDeleteAllJobs: Delete all jobs asks for the word shown (a wrong one
// is refused beside the field and deletes nothing), then deletes every job with its
// runs, returns every mail to the Inbox, says what it did and audits it.
func TestMaintenanceDeleteAllJobs(t *testing.T) {
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	h := newHarness(t, Options{Registry: parserstest.Registry(), Now: func() time.Time { return now }})
	h.user("admin", db.RoleAdmin)
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("admin")
	approvedJob(t, h, c, "Acme", "Nightly", 1, "Success", "Failed")
	approvedJob(t, h, c, "Globex", "Weekly", 10, "Warning")
	count := func(q string) int {
		var n int
		if err := h.db.Bun.NewRaw(q).Scan(t.Context(), &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	mails := count("SELECT count(*) FROM mail_messages")
	if count("SELECT count(*) FROM job_runs") != 3 || count("SELECT count(*) FROM mail_messages WHERE location = 'inbox'") != 0 {
		t.Fatal("fixture: want 3 runs and no mail in the Inbox")
	}

	r := c.get("/settings/maintenance")
	if !strings.Contains(r.text("#delete-all-jobs"), "2 jobs") {
		t.Fatalf("the tab does not say how many jobs would go: %q", r.text("#delete-all-jobs"))
	}
	r = c.post("/settings/maintenance/delete-jobs", url.Values{"confirm": {"delete all jobs"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.text("#delete-all-confirm-error"), "DELETE ALL JOBS") || count("SELECT count(*) FROM jobs") != 2 {
		t.Fatal("a wrong confirmation deleted jobs or said nothing")
	}
	ops := h.client()
	ops.login("ops")
	wantStatus(t, ops.post("/settings/maintenance/delete-jobs", url.Values{"confirm": {"DELETE ALL JOBS"}}), http.StatusForbidden)

	r = c.post("/settings/maintenance/delete-jobs", url.Values{"confirm": {"DELETE ALL JOBS"}})
	wantStatus(t, r, http.StatusSeeOther)
	r = c.follow(t, "/settings/maintenance")
	if flash := r.text("#flash"); !strings.Contains(flash, "Deleted 2 jobs with 3 runs; 3 mails returned to the Inbox") {
		t.Fatalf("flash %q", flash)
	}
	if count("SELECT count(*) FROM jobs")+count("SELECT count(*) FROM job_runs") != 0 ||
		count("SELECT count(*) FROM mail_messages WHERE location = 'inbox' AND job_id IS NULL") != mails {
		t.Fatal("jobs or runs left, or mails not in the Inbox")
	}
	if r := c.get("/inbox"); r.doc.Find("#inbox-rows tr").Length() != mails {
		t.Fatalf("the Inbox lists %d mails, want %d", r.doc.Find("#inbox-rows tr").Length(), mails)
	}
	if a := c.get("/audit?type=jobs.deleted_all"); a.doc.Find("#audit-table tbody tr").Length() != 1 {
		t.Fatal("not audited")
	}
}

// TestMaintenancePurgeAndRetention: the purge and the retention forms refuse bad
// numbers beside their fields and do what they say.
func TestMaintenancePurgeAndRetention(t *testing.T) {
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	h := newHarness(t, Options{Registry: parserstest.Registry(), Now: func() time.Time { return now }})
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")
	if _, err := h.db.Bun.ExecContext(t.Context(), `INSERT INTO mail_messages (source, size, raw_mime, received_at, location, deleted_at)
		VALUES ('upload', 1, 'x', ?, 'deleted', ?), ('upload', 1, 'x', ?, 'deleted', ?)`,
		now, now.AddDate(0, 0, -60), now, now.AddDate(0, 0, -2)); err != nil {
		t.Fatal(err)
	}
	c.get("/settings/maintenance")
	r := c.post("/settings/maintenance/purge-mails", url.Values{"days": {"soon"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if r.text("#purge-days-error") == "" {
		t.Fatal("no message beside the days")
	}
	wantStatus(t, c.post("/settings/maintenance/purge-mails", url.Values{"days": {"30"}}), http.StatusSeeOther)
	if f := c.follow(t, "/settings/maintenance").text("#flash"); !strings.Contains(f, "Purged 1 mail deleted more than 30 days ago") {
		t.Fatalf("flash %q", f)
	}

	r = c.post("/settings/maintenance/audit-retention", url.Values{"audit_retention_days": {"5"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if r.text("#audit-retention-days-error") == "" || r.doc.Find("#audit-retention-days").AttrOr("value", "") != "5" {
		t.Fatal("a too short retention is not refused beside its field")
	}
	wantStatus(t, c.post("/settings/maintenance/audit-retention", url.Values{"audit_retention_days": {"365"}}), http.StatusSeeOther)
	if v := c.follow(t, "/settings/maintenance").doc.Find("#audit-retention-days").AttrOr("value", ""); v != "365" {
		t.Fatalf("retention shows %q", v)
	}
	if p := c.get("/audit"); !strings.Contains(p.body, "365 days") {
		t.Fatal("the Logging page does not state the retention")
	}
}
