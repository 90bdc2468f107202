package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/db"
)

func TestOverridesPage(t *testing.T) {
	// The test mails are from early March 2026; rules re-evaluate recent runs.
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	h := newHarness(t, Options{Registry: parserstest.Registry(), Now: func() time.Time { return now }})
	h.user("admin", db.RoleAdmin)
	h.user("ops", db.RoleOperator)
	h.user("viewer", db.RoleViewer)
	c := h.client()
	c.login("admin")
	nightly := approvedJob(t, h, c, "Acme", "Nightly", 1, "Failed")

	o := h.client()
	o.login("ops")
	r := o.hx("POST", "/overrides", url.Values{"level": {"object"}, "match_mode": {"contains"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.body, "choose the job") {
		t.Fatalf("object level without a job:\n%s", r.body)
	}
	r = o.hx("GET", "/overrides/jobs?job_search=nigh", nil)
	if !strings.Contains(r.body, fmt.Sprintf(`value="%d"`, nightly)) {
		t.Fatalf("job type-ahead:\n%s", r.body)
	}
	// The object's message says "note" in the test mails: match it, on this job.
	r = o.hx("POST", "/overrides", url.Values{"level": {"object"}, "job_id": {fmt.Sprint(nightly)}, "match_status": {"Failed"},
		"match_mode": {"contains"}, "match_text": {"NOTE"}, "treat_as_success": {"on"}})
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.text("#flash"), "Override saved") || r.doc.Find("#overrides-table tbody tr").Length() != 1 {
		t.Fatalf("create:\n%s", r.body)
	}
	// The failed run is now a success by override, in Run Checks and the job summary.
	r = o.get("/runchecks")
	if !strings.Contains(r.text(fmt.Sprintf("#rc-job-%d", nightly)), "Success (override)") {
		t.Fatalf("run checks after the override: %q", r.text("#runchecks-list"))
	}
	var worst string
	if err := h.db.Bun.NewRaw("SELECT worst_unreviewed_status FROM jobs WHERE id = ?", nightly).Scan(t.Context(), &worst); err != nil || worst != "Success" {
		t.Fatalf("job summary worst = %q %v", worst, err)
	}
	// Viewers read, operators may not delete, admins may.
	v := h.client()
	v.login("viewer")
	if r := v.get("/overrides"); r.doc.Find("#new-override").Length() != 0 || r.doc.Find("#overrides-table tbody tr").Length() != 1 {
		t.Fatal("viewer page")
	}
	var id int64
	if err := h.db.Bun.NewRaw("SELECT id FROM overrides").Scan(t.Context(), &id); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, o.hx("POST", fmt.Sprintf("/overrides/%d/delete", id), nil), http.StatusForbidden)
	r = c.hx("POST", fmt.Sprintf("/overrides/%d/delete", id), nil)
	wantStatus(t, r, http.StatusOK)
	if err := h.db.Bun.NewRaw("SELECT worst_unreviewed_status FROM jobs WHERE id = ?", nightly).Scan(t.Context(), &worst); err != nil || worst != "Failed" {
		t.Fatalf("after deleting the override, worst = %q %v", worst, err)
	}
	if r := c.get("/audit"); !strings.Contains(r.body, "override.created") || !strings.Contains(r.body, "override.deleted") {
		t.Fatal("overrides not audited")
	}
}

func TestMarkAsSuccessOffersAnOverride(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("ops")
	nightly := approvedJob(t, h, c, "Acme", "Nightly", 1, "Failed")
	var runID int64
	if err := h.db.Bun.NewRaw("SELECT id FROM job_runs WHERE job_id = ?", nightly).Scan(t.Context(), &runID); err != nil {
		t.Fatal(err)
	}
	r := c.hx("GET", fmt.Sprintf("/runchecks/runs/%d", runID), nil)
	if r.doc.Find("#run-mark-success").Length() != 1 {
		t.Fatalf("no Mark as Success:\n%s", r.body)
	}
	r = c.hx("POST", fmt.Sprintf("/runchecks/runs/%d/success", runID), nil)
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find("#ask-override").Length() != 1 || !strings.Contains(r.text("#run-info"), "Success (override)") {
		t.Fatalf("after marking:\n%s", r.body)
	}
	wantStatus(t, c.hx("POST", fmt.Sprintf("/runchecks/runs/%d/success", runID), nil), http.StatusConflict)
	r = c.hx("GET", fmt.Sprintf("/overrides/new?run_id=%d", runID), nil)
	if r.doc.Find("#level-object[checked]").Length() != 1 {
		t.Fatalf("override form not prefilled at object level:\n%s", r.body)
	}
	if r.doc.Find(fmt.Sprintf(`input[name="job_id"][value="%d"][checked]`, nightly)).Length() != 1 ||
		r.doc.Find(`#f-match_status option[value="Failed"][selected]`).Length() != 1 {
		t.Fatalf("override form not prefilled from the run:\n%s", r.body)
	}
	var worst string
	if err := h.db.Bun.NewRaw("SELECT worst_unreviewed_status FROM jobs WHERE id = ?", nightly).Scan(t.Context(), &worst); err != nil || worst != "Success" {
		t.Fatalf("summary after marking: %q %v", worst, err)
	}
}
