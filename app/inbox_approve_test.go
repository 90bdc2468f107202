package app

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/customers"
	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/db"
)

// scriptMail is a report of a product no parser knows (a backup script): the generic
// parser reads its status from the subject, and no job name.
func scriptMail(n int, subject string) []byte {
	return []byte(fmt.Sprintf("From: Borg on srv-web2 <borg@srv-web2.example.org>\r\nTo: reports@msp.example.com\r\n"+
		"Subject: %s\r\nDate: Tue, 03 Mar 2026 02:%02d:00 +0100\r\nMessage-ID: <borg-%d@srv-web2.example.org>\r\n\r\n"+
		"Archive srv-web2-%d created.\r\n", subject, n%60, n, n))
}

// A mail of an unsupported product: the approver names the job (prefilled from the
// subject), the rule is stored and shown on the job, where it can be edited, and the
// stream's next mail becomes a run.
func TestApproveMailOfUnknownProduct(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("ops")
	wantStatus(t, c.upload(map[string][]byte{"1.eml": scriptMail(1, "Borg backup srv-web2: failed - 2026-03-03 02:01")}), http.StatusOK)
	id := mailIDs(t, h, "location = 'inbox'")[0]

	r := c.hx("GET", fmt.Sprintf("/inbox/%d", id), nil)
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find("#not-approvable").Length() != 0 {
		t.Fatalf("a generic mail cannot be approved: %s", r.text("#not-approvable"))
	}
	name, _ := r.doc.Find("#f-job_name").Attr("value")
	pattern, _ := r.doc.Find("#f-subject_pattern").Attr("value")
	if name != "Borg backup srv-web2" || pattern != "Borg backup srv-web2: * - *" {
		t.Fatalf("prefilled %q / %q", name, pattern)
	}

	// Errors beside their fields, all at once.
	r = c.hx("POST", fmt.Sprintf("/inbox/%d/approve", id), url.Values{"customer_id": {"new"}, "customer_name": {""},
		"job_name": {" "}, "subject_pattern": {"Borg backup srv-db1: *"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	for _, f := range []string{"job_name", "subject_pattern", "customer_name"} {
		if r.doc.Find("#f-"+f+".is-invalid").Length() != 1 || strings.TrimSpace(r.doc.Find("#f-"+f).Next().Text()) == "" {
			t.Errorf("no error beside %s:\n%s", f, r.body)
		}
	}
	if v, _ := r.doc.Find("#f-subject_pattern").Attr("value"); v != "Borg backup srv-db1: *" {
		t.Errorf("the typed pattern is not kept: %q", v)
	}

	r = c.hx("POST", fmt.Sprintf("/inbox/%d/approve", id), url.Values{"customer_id": {"new"}, "customer_name": {"Web Shop"},
		"job_name": {name}, "subject_pattern": {pattern}})
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.text("#flash"), "job created for Web Shop; 1 mail became a run") {
		t.Fatalf("flash %q", r.text("#flash"))
	}
	var jobID int64
	if err := h.db.Bun.NewRaw("SELECT id FROM jobs WHERE job_name = ?", name).Scan(t.Context(), &jobID); err != nil {
		t.Fatal(err)
	}
	if r := c.upload(map[string][]byte{"2.eml": scriptMail(2, "Borg backup srv-web2: success - 2026-03-04 02:01")}); !strings.Contains(r.text("#flash"), "1 became a run of a known job") {
		t.Fatalf("the stream's next mail: %q", r.text("#flash"))
	}

	// The rule on Job Details, and editing it.
	r = c.get(fmt.Sprintf("/jobs/%d", jobID))
	if r.text("#matching-from") != "borg@srv-web2.example.org" || r.text("#matching-pattern") != pattern {
		t.Fatalf("job page shows %q / %q", r.text("#matching-from"), r.text("#matching-pattern"))
	}
	wantStatus(t, c.hx("GET", fmt.Sprintf("/jobs/%d/matching/edit", jobID), nil), http.StatusOK)
	r = c.hx("PUT", fmt.Sprintf("/jobs/%d/matching", jobID), url.Values{"from_address": {"not an address"}, "subject_pattern": {"*"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if r.doc.Find("#f-from_address.is-invalid").Length() != 1 || r.doc.Find("#f-subject_pattern.is-invalid").Length() != 1 {
		t.Fatalf("no field errors:\n%s", r.body)
	}
	r = c.hx("PUT", fmt.Sprintf("/jobs/%d/matching", jobID), url.Values{"from_address": {"borg@srv-web2.example.org"}, "subject_pattern": {"Borg backup srv-web2*"}})
	wantStatus(t, r, http.StatusOK)
	if r.text("#matching-pattern") != "Borg backup srv-web2*" || !strings.Contains(r.text("#flash"), "rule saved") {
		t.Fatalf("after saving: %q, flash %q", r.text("#matching-pattern"), r.text("#flash"))
	}
	var audited int
	if err := h.db.Bun.NewRaw("SELECT count(*) FROM audit_log WHERE action = 'job.match_rule_set'").Scan(t.Context(), &audited); err != nil || audited != 1 {
		t.Fatalf("audit entries: %d %v", audited, err)
	}
	// A job whose parser names it has no rule to edit: the page says how it is matched.
	other := approvedJob(t, h, c, "Acme", "Nightly", 10, "Success")
	if r := c.get(fmt.Sprintf("/jobs/%d", other)); !strings.Contains(r.text("#matching-parser"), "nas@backup.example.net") || r.doc.Find("#edit-matching").Length() != 0 {
		t.Fatalf("keyed job's matching: %q", r.text("#job-matching-section"))
	}
}

// The approve form lists the first customers at once (no "No customers yet" with
// customers there), comes before the mail, in a wide dialog.
func TestApproveFormListsCustomersFirst(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("ops")
	wantStatus(t, c.upload(map[string][]byte{"a.eml": parserstest.Mail(1, "Failed", "Nightly")}), http.StatusOK)
	id := mailIDs(t, h, "location = 'inbox'")[0]

	r := c.hx("GET", fmt.Sprintf("/inbox/%d", id), nil)
	if got := r.text("#customer-hint"); !strings.Contains(got, "No customers yet") {
		t.Fatalf("no customers: hint %q", got)
	}
	for i := range 10 {
		if _, err := customers.Create(t.Context(), h.db.Bun, audit.Actor{}, fmt.Sprintf("Customer %02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	r = c.hx("GET", fmt.Sprintf("/inbox/%d", id), nil)
	if n := r.doc.Find(`#customer-options input[name="customer_id"]`).Length(); n != 8 {
		t.Fatalf("%d customers listed, want the first 8:\n%s", n, r.body)
	}
	if got := r.text("#customer-hint"); strings.Contains(got, "No customers") || !strings.Contains(got, "other customers") {
		t.Fatalf("hint with 10 customers: %q", got)
	}
	if r.doc.Find(`.modal-body[data-dialog-size="xl"]`).Length() != 1 {
		t.Fatal("the mail dialog is not a wide one")
	}
	html, _ := r.doc.Find(".modal-body").Html()
	if a, m := strings.Index(html, `id="approve-form"`), strings.Index(html, `class="mail-`); a < 0 || m < 0 || a > m {
		t.Fatalf("the approve section is not above the mail (%d, %d)", a, m)
	}
	if r.doc.Find("#f-customer_name[data-autofocus]").Length() != 1 {
		t.Fatal("the customer field does not get the focus")
	}
	// The type-ahead says when more customers match than it lists.
	r = c.hx("GET", "/customers/typeahead?customer_name=customer", nil)
	if n := r.doc.Find(`input[name="customer_id"]`).Length(); n != 9 || !strings.Contains(r.text("#customer-hint"), "More customers match") {
		t.Fatalf("type-ahead: %d choices, hint %q", n, r.text("#customer-hint"))
	}
}

// A report and its forwarded copy, uploaded: one run, and the summary says what became
// of the copy.
func TestUploadedCopyOfAReportIsNoSecondRun(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("ops")
	read := func(name string) []byte {
		b, err := os.ReadFile("parsers/testdata/veeam/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	wantStatus(t, c.upload(map[string][]byte{"report.eml": read("agent-windows-relay-offset.eml")}), http.StatusOK)
	id := mailIDs(t, h, "location = 'inbox'")[0]
	wantStatus(t, c.hx("POST", fmt.Sprintf("/inbox/%d/approve", id), url.Values{"customer_id": {"new"}, "customer_name": {"Sales Ltd"}}), http.StatusOK)
	r := c.upload(map[string][]byte{"forwarded.eml": read("agent-windows-relay-offset-forward.eml")})
	if flash := r.text("#flash"); !strings.Contains(flash, "0 became runs of known jobs, 0 wait in the Inbox, 1 was a copy of a report already imported") {
		t.Fatalf("flash %q", flash)
	}
	var runs int
	if err := h.db.Bun.NewRaw("SELECT count(*) FROM job_runs").Scan(t.Context(), &runs); err != nil || runs != 1 {
		t.Fatalf("%d runs (%v), want 1", runs, err)
	}
}

// The parser playground reads a report whose mail does not tell the sender's zone (a
// forwarded copy) in the UI timezone, as imports do.
func TestPlaygroundReadsReportsInTheUIZone(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")
	if _, err := h.db.Bun.ExecContext(t.Context(), "UPDATE system_settings SET ui_timezone = 'Europe/Istanbul'"); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("parsers/testdata/veeam/agent-windows-relay-offset-forward.eml")
	if err != nil {
		t.Fatal(err)
	}
	r := c.hx("POST", "/parsers/playground", url.Values{"raw": {string(raw)}})
	wantStatus(t, r, http.StatusOK)
	if got := r.doc.Find("dt:contains('Start / end')").Next().Text(); !strings.Contains(got, "21:00") || !strings.Contains(got, "21:03") {
		t.Fatalf("start / end shown as %q, want the report's 21:00 – 21:03", got)
	}
}
