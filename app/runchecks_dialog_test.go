package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/db"
)

func firstRun(t *testing.T, h *harness, job int64) int64 {
	t.Helper()
	var id int64
	if err := h.db.Bun.NewRaw("SELECT id FROM job_runs WHERE job_id = ? ORDER BY id LIMIT 1", job).Scan(t.Context(), &id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestRunDialogReviewedByColleague: a run dialog left open while a colleague reviews the
// run says who reviewed it and when — in its footer when it asks again, and when its
// button is pressed — instead of "0 runs reviewed".
func TestRunDialogReviewedByColleague(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	h.user("admin", db.RoleAdmin)
	ops := h.client()
	ops.login("ops")
	adm := h.client()
	adm.login("admin")
	nightly := approvedJob(t, h, adm, "Acme", "Nightly", 1, "Failed", "Warning")
	runID := firstRun(t, h, nightly)

	r := ops.hx("GET", fmt.Sprintf("/runchecks/runs/%d", runID), nil)
	if r.doc.Find("#run-review").Length() != 1 || !strings.Contains(r.text("#run-review-state"), "Not reviewed") ||
		r.doc.Find("#run-footer").AttrOr("hx-trigger", "") != "runs-refreshed from:body" {
		t.Fatalf("dialog before:\n%s", r.body)
	}
	wantStatus(t, adm.hx("POST", "/runchecks/review", url.Values{"run_ids": {fmt.Sprint(runID)}}), http.StatusOK)

	// The open dialog asks for its footer again (app.js, when the queue refreshes).
	r = ops.hx("GET", fmt.Sprintf("/runchecks/runs/%d/footer", runID), nil)
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.text("#run-review-state"), "Reviewed by Admin at") || r.doc.Find("#run-review").Length() != 0 {
		t.Fatalf("footer after the colleague's review:\n%s", r.body)
	}
	// The button pressed in a dialog that did not refresh.
	r = ops.hx("POST", "/runchecks/review", url.Values{"run_ids": {fmt.Sprint(runID)}, "from_modal": {"1"}})
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.text("#flash"), "Already reviewed by Admin at") || strings.Contains(r.body, "0 run") ||
		r.doc.Find(fmt.Sprintf(`[data-run-dialog="%d"]`, runID)).Length() != 1 {
		t.Fatalf("pressing review on a run a colleague reviewed:\n%s", r.body)
	}
	// Reviewing from the dialog closes it and refreshes the queue (where there is one).
	var other int64
	if err := h.db.Bun.NewRaw("SELECT id FROM job_runs WHERE job_id = ? AND id <> ?", nightly, runID).Scan(t.Context(), &other); err != nil {
		t.Fatal(err)
	}
	r = ops.hx("POST", "/runchecks/review", url.Values{"run_ids": {fmt.Sprint(other)}, "from_modal": {"1"}})
	wantStatus(t, r, http.StatusOK)
	if tr := r.Header.Get("HX-Trigger"); !strings.Contains(tr, "closeModal") || !strings.Contains(tr, "runsChanged") ||
		r.Header.Get("HX-Retarget") != "#flash" || !strings.Contains(r.text(".alert"), "Run reviewed") {
		t.Fatalf("review from the dialog: %v\n%s", r.Header, r.body)
	}
}

// TestRunViewReadOnly: viewers open a run read-only (GET /runs/:id, as a dialog or a
// page) and cannot act on it; the operators' dialog stays theirs.
func TestRunViewReadOnly(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	h.user("viewer", db.RoleViewer)
	ops := h.client()
	ops.login("ops")
	nightly := approvedJob(t, h, ops, "Acme", "Nightly", 1, "Failed")
	runID := firstRun(t, h, nightly)
	wantStatus(t, ops.hx("POST", "/tickets", url.Values{"kind": {"ticket"}, "run_id": {fmt.Sprint(runID)},
		"job_id": {fmt.Sprint(nightly)}, "code": {"PSA-7"}, "text": {"Disk full"}}), http.StatusOK)

	v := h.client()
	v.login("viewer")
	actions := []string{"#run-review", "#run-mark-success", "#run-undo-success", "#run-new-ticket", "#run-new-remark", "#run-autotask-create"}
	r := v.hx("GET", fmt.Sprintf("/runs/%d", runID), nil)
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.text("#run-info"), "Failed") || !strings.Contains(r.text("#run-alerts"), "PSA-7") || r.doc.Find("#run-objects").Length() != 1 {
		t.Fatalf("read-only dialog:\n%s", r.body)
	}
	for _, sel := range actions {
		if r.doc.Find(sel).Length() != 0 {
			t.Errorf("a viewer's dialog offers %s", sel)
		}
	}
	if _, ok := r.doc.Find("#run-footer").Attr("hx-get"); ok {
		t.Error("a viewer's dialog asks for the operators' footer")
	}
	// Opened directly, it is a page.
	r = v.get(fmt.Sprintf("/runs/%d", runID))
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find("nav").Length() == 0 || !strings.Contains(r.text("h1"), "Acme / Nightly") || !strings.Contains(r.text("#run-alerts"), "PSA-7") {
		t.Fatalf("read-only page:\n%s", r.body)
	}
	// Acting is refused.
	wantStatus(t, v.hx("GET", fmt.Sprintf("/runchecks/runs/%d", runID), nil), http.StatusForbidden)
	wantStatus(t, v.hx("GET", fmt.Sprintf("/runchecks/runs/%d/footer", runID), nil), http.StatusForbidden)
	for _, p := range []struct {
		path string
		form url.Values
	}{
		{"/runchecks/review", url.Values{"run_ids": {fmt.Sprint(runID)}, "from_modal": {"1"}}},
		{fmt.Sprintf("/runchecks/runs/%d/success", runID), nil},
		{fmt.Sprintf("/runchecks/runs/%d/success/undo", runID), nil},
		{"/tickets", url.Values{"kind": {"remark"}, "run_id": {fmt.Sprint(runID)}, "job_id": {fmt.Sprint(nightly)}, "text": {"x"}}},
		{"/overrides", url.Values{"level": {"object"}, "job_id": {fmt.Sprint(nightly)}, "run_id": {fmt.Sprint(runID)}}},
	} {
		wantStatus(t, v.hx("POST", p.path, p.form), http.StatusForbidden)
	}
	var reviewed, marked bool
	if err := h.db.Bun.NewRaw("SELECT reviewed_at IS NOT NULL, overridden_status IS NOT NULL FROM job_runs WHERE id = ?", runID).Scan(t.Context(), &reviewed, &marked); err != nil || reviewed || marked {
		t.Fatalf("a viewer changed the run: reviewed %v marked %v (%v)", reviewed, marked, err)
	}
	// Operators open the read-only form too (without actions) and keep their dialog.
	if r := ops.hx("GET", fmt.Sprintf("/runs/%d", runID), nil); r.doc.Find("#run-review").Length() != 0 {
		t.Fatal("the read-only dialog offers review")
	}
	if r := ops.hx("GET", fmt.Sprintf("/runchecks/runs/%d", runID), nil); r.doc.Find("#run-review").Length() != 1 {
		t.Fatal("the operators' dialog lost its review button")
	}
}

// TestRunDialogAutotaskNumberCopy: the run's Autotask ticket number has a copy button,
// and a run with its Autotask ticket is not offered another.
func TestRunDialogAutotaskNumberCopy(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("ops")
	nightly := approvedJob(t, h, c, "Acme", "Nightly", 1, "Failed")
	runID := firstRun(t, h, nightly)
	if _, err := h.db.Bun.ExecContext(t.Context(), `UPDATE job_runs SET autotask_ticket_id = 9001, autotask_ticket_number = 'T20260302.0042'
		WHERE id = ?`, runID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.Bun.ExecContext(t.Context(), "UPDATE system_settings SET autotask_enabled = true"); err != nil {
		t.Fatal(err)
	}
	r := c.hx("GET", fmt.Sprintf("/runchecks/runs/%d", runID), nil)
	btn := r.doc.Find(`#run-autotask-ticket button[data-copy="T20260302.0042"]`)
	if btn.Length() != 1 || btn.Find("svg.icon-copy").Length() != 1 || btn.Find("svg.icon-check").Length() != 1 {
		t.Fatalf("no copy button on the Autotask number:\n%s", r.text("#run-info"))
	}
	if e := emoji(r.body); e != "" {
		t.Fatalf("the run dialog uses the glyph %q", e)
	}
	// The run has its Autotask ticket: neither the dialog nor its refreshed footer
	// offers to create one.
	if r.doc.Find("#run-autotask-create").Length() != 0 {
		t.Fatal("the dialog offers a second Autotask ticket")
	}
	if f := c.hx("GET", fmt.Sprintf("/runchecks/runs/%d/footer", runID), nil); f.doc.Find("#run-autotask-create").Length() != 0 {
		t.Fatal("the refreshed footer offers a second Autotask ticket")
	}
}
