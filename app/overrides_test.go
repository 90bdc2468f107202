package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

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

// TestMarkAsSuccessOffersAnOverride: "Mark as Success" can be undone from the dialog
// (audited); the override it offers is narrow by default (the run's error text and
// object, 30 days); saving it from the dialog confirms and goes back to the run.
func TestMarkAsSuccessOffersAnOverride(t *testing.T) {
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	h := newHarness(t, Options{Registry: parserstest.Registry(), Now: func() time.Time { return now }})
	h.user("ops", db.RoleOperator)
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("ops")
	nightly := approvedJob(t, h, c, "Acme", "Nightly", 1, "Failed")
	var runID int64
	if err := h.db.Bun.NewRaw("SELECT id FROM job_runs WHERE job_id = ?", nightly).Scan(t.Context(), &runID); err != nil {
		t.Fatal(err)
	}
	worst := func() string {
		t.Helper()
		var w string
		if err := h.db.Bun.NewRaw("SELECT coalesce(worst_unreviewed_status, '') FROM jobs WHERE id = ?", nightly).Scan(t.Context(), &w); err != nil {
			t.Fatal(err)
		}
		return w
	}
	r := c.hx("GET", fmt.Sprintf("/runchecks/runs/%d", runID), nil)
	if r.doc.Find("#run-mark-success").Length() != 1 || r.doc.Find("#run-undo-success").Length() != 0 {
		t.Fatalf("no Mark as Success:\n%s", r.body)
	}
	r = c.hx("POST", fmt.Sprintf("/runchecks/runs/%d/success", runID), nil)
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find("#ask-override").Length() != 1 || !strings.Contains(r.text("#run-info"), "Success (override)") ||
		!strings.Contains(r.text("#run-marked"), "Ops") {
		t.Fatalf("after marking:\n%s", r.body)
	}
	if w := worst(); w != "Success" {
		t.Fatalf("summary after marking: %q", w)
	}
	wantStatus(t, c.hx("POST", fmt.Sprintf("/runchecks/runs/%d/success", runID), nil), http.StatusConflict)

	// Undone from the dialog: the run is Failed again and may be marked again.
	if r.doc.Find("#run-undo-success").AttrOr("hx-post", "") != fmt.Sprintf("/runchecks/runs/%d/success/undo", runID) {
		t.Fatalf("the dialog offers no undo:\n%s", r.body)
	}
	r = c.hx("POST", fmt.Sprintf("/runchecks/runs/%d/success/undo", runID), nil)
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.text("#run-info"), "Failed") || r.doc.Find("#run-mark-success").Length() != 1 ||
		r.doc.Find("#run-undo-success").Length() != 0 || !strings.Contains(r.text("#flash"), "undone") {
		t.Fatalf("after undo:\n%s", r.body)
	}
	if w := worst(); w != "Failed" {
		t.Fatalf("summary after undo: %q", w)
	}
	wantStatus(t, c.hx("POST", fmt.Sprintf("/runchecks/runs/%d/success/undo", runID), nil), http.StatusConflict)
	adm := h.client()
	adm.login("admin")
	if a := adm.get("/audit"); !strings.Contains(a.body, "run.marked_success_undone") {
		t.Fatal("the undo is not audited")
	}

	// The override offered after marking again: this job, the run's status, the failing
	// object and its error (the test mails say "note"), 30 days.
	wantStatus(t, c.hx("POST", fmt.Sprintf("/runchecks/runs/%d/success", runID), nil), http.StatusOK)
	r = c.hx("GET", fmt.Sprintf("/overrides/new?run_id=%d", runID), nil)
	if r.doc.Find("#level-object[checked]").Length() != 1 ||
		r.doc.Find(fmt.Sprintf(`input[name="job_id"][value="%d"][checked]`, nightly)).Length() != 1 ||
		r.doc.Find(`#f-match_status option[value="Failed"][selected]`).Length() != 1 {
		t.Fatalf("override form not prefilled from the run:\n%s", r.body)
	}
	for field, want := range map[string]string{"match_text": "note", "object_name": "vm01", "valid_until": "2026-04-08"} {
		if got := r.doc.Find("#f-"+field).AttrOr("value", ""); got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	if r.doc.Find(`#f-match_mode option[value="contains"][selected]`).Length() != 1 || r.doc.Find("#override-from-run").Length() != 1 ||
		r.doc.Find(fmt.Sprintf(`input[name="run_id"][value="%d"]`, runID)).Length() != 1 {
		t.Fatalf("override form from a run:\n%s", r.body)
	}

	// Saved from the dialog: a confirmation, the run's dialog again (no re-target to
	// the Overrides page's table, which Run Checks does not have), the queue refreshed.
	form := url.Values{}
	r.doc.Find("#override-form input, #override-form select").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		switch {
		case name == "" || name == "job_search":
		case s.Is("select"):
			form.Set(name, s.Find("option[selected]").AttrOr("value", ""))
		case s.AttrOr("type", "") == "radio" || s.AttrOr("type", "") == "checkbox":
			if _, ok := s.Attr("checked"); ok {
				form.Set(name, s.AttrOr("value", "on"))
			}
		default:
			form.Set(name, s.AttrOr("value", ""))
		}
	})
	r = c.hx("POST", "/overrides", form)
	wantStatus(t, r, http.StatusOK)
	if r.Header.Get("HX-Retarget") != "" || !strings.Contains(r.Header.Get("HX-Trigger"), "runsChanged") ||
		!strings.Contains(r.text("#flash"), "Override saved") || r.doc.Find(fmt.Sprintf(`[data-run-dialog="%d"]`, runID)).Length() != 1 {
		t.Fatalf("saving from the run (headers %v):\n%s", r.Header, r.body)
	}
	var o struct {
		Object string     `bun:"object_name"`
		Text   string     `bun:"match_text"`
		Until  *time.Time `bun:"valid_until"`
	}
	if err := h.db.Bun.NewRaw("SELECT object_name, match_text, valid_until FROM overrides").Scan(t.Context(), &o); err != nil ||
		o.Object != "vm01" || o.Text != "note" || o.Until == nil {
		t.Fatalf("saved override %+v %v", o, err)
	}
}
