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

// TestJobDetailRunTicketsAndRemarks: Job Details shows each run's tickets and remarks
// from both sources — linked to the run (a resolved one stays, dimmed, as the run's
// history) and open on its job, customer or object — with copy buttons on ticket
// numbers; a run opens as the operators' dialog, or read-only for viewers.
func TestJobDetailRunTicketsAndRemarks(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	h.user("viewer", db.RoleViewer)
	ops := h.client()
	ops.login("ops")
	nightly := approvedJob(t, h, ops, "Acme", "Nightly", 1, "Failed")
	first := firstRun(t, h, nightly)
	acme := h.jobCustomer(nightly)
	wantStatus(t, ops.hx("POST", "/tickets", url.Values{"kind": {"ticket"}, "run_id": {fmt.Sprint(first)},
		"job_id": {fmt.Sprint(nightly)}, "code": {"PSA-1"}, "text": {"Disk full"}}), http.StatusOK)
	var resolved int64
	if err := h.db.Bun.NewRaw("SELECT id FROM tickets WHERE ticket_code = 'PSA-1'").Scan(t.Context(), &resolved); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, ops.hx("POST", fmt.Sprintf("/tickets/ticket/%d/resolve", resolved), nil), http.StatusOK)
	wantStatus(t, ops.hx("POST", "/tickets", url.Values{"kind": {"remark"}, "customer_id": {fmt.Sprint(acme)},
		"whole_customer": {"on"}, "text": {"Office move on Friday"}}), http.StatusOK)
	// A second run, after the ticket was resolved.
	if r := ops.upload(map[string][]byte{"9.eml": parserstest.Mail(9, "Failed", "Nightly", "object: vm01 Failed again")}); r.StatusCode != http.StatusOK {
		t.Fatal(r.StatusCode)
	}
	var second int64
	if err := h.db.Bun.NewRaw("SELECT max(id) FROM job_runs WHERE job_id = ?", nightly).Scan(t.Context(), &second); err != nil || second == first {
		t.Fatalf("second run %d (%v)", second, err)
	}

	v := h.client()
	v.login("viewer")
	r := v.get(fmt.Sprintf("/jobs/%d", nightly))
	wantStatus(t, r, http.StatusOK)
	row := func(id int64) string { return fmt.Sprintf("#job-run-%d", id) }
	if r.doc.Find(row(first)+" .ticket-mark.resolved").Length() != 1 || r.text(row(first)+" .ticket-code") != "PSA-1" ||
		r.doc.Find(row(first)+` [data-copy="PSA-1"]`).Length() != 1 {
		t.Fatalf("the first run's resolved ticket: %q", r.text(row(first)))
	}
	for _, id := range []int64{first, second} {
		if r.doc.Find(row(id)+` .remark-mark[title="Office move on Friday"]`).Length() != 1 {
			t.Errorf("run %d lacks the customer's open remark: %q", id, r.text(row(id)))
		}
	}
	if r.doc.Find(row(second)+" .ticket-mark").Length() != 0 {
		t.Errorf("the resolved ticket shows on a later run: %q", r.text(row(second)))
	}
	if !strings.Contains(r.text("#job-alerts"), "Office move on Friday") || strings.Contains(r.text("#job-alerts"), "PSA-1") {
		t.Errorf("open on the job: %q", r.text("#job-alerts"))
	}
	if got := r.doc.Find(row(first)).AttrOr("hx-get", ""); got != fmt.Sprintf("/runs/%d", first) {
		t.Errorf("a viewer's run opens %q", got)
	}
	if e := emoji(r.body); e != "" {
		t.Errorf("Job Details uses the glyph %q", e)
	}
	// An open ticket on the job: listed with a copy button; operators open the full dialog.
	wantStatus(t, ops.hx("POST", "/tickets", url.Values{"kind": {"ticket"}, "run_id": {fmt.Sprint(second)},
		"job_id": {fmt.Sprint(nightly)}, "code": {"PSA-2"}, "text": {"Repository offline"}}), http.StatusOK)
	r = ops.get(fmt.Sprintf("/jobs/%d", nightly))
	if r.doc.Find(`#job-alerts [data-copy="PSA-2"]`).Length() != 1 || r.doc.Find(row(second)+` [data-copy="PSA-2"]`).Length() != 1 {
		t.Fatalf("open ticket on Job Details: %q / %q", r.text("#job-alerts"), r.text(row(second)))
	}
	if got := r.doc.Find(row(first)).AttrOr("hx-get", ""); got != fmt.Sprintf("/runchecks/runs/%d", first) {
		t.Errorf("an operator's run opens %q", got)
	}
}
