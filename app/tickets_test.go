package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/db"
)

func TestTicketsFromARun(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	h.user("viewer", db.RoleViewer)
	c := h.client()
	c.login("ops")
	nightly := approvedJob(t, h, c, "Acme", "Nightly", 1, "Failed")
	var runID int64
	if err := h.db.Bun.NewRaw("SELECT id FROM job_runs WHERE job_id = ?", nightly).Scan(t.Context(), &runID); err != nil {
		t.Fatal(err)
	}
	r := c.hx("GET", fmt.Sprintf("/tickets/new?kind=remark&run_id=%d", runID), nil)
	wantStatus(t, r, http.StatusOK)
	form := url.Values{"kind": {"remark"}, "run_id": {fmt.Sprint(runID)}, "job_id": {fmt.Sprint(nightly)}, "text": {""}}
	r = c.hx("POST", "/tickets", form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if r.text("#f-text-error") == "" {
		t.Fatalf("empty remark accepted:\n%s", r.body)
	}
	form.Set("text", "Vendor case 4711 open")
	wantStatus(t, c.hx("POST", "/tickets", form), http.StatusOK)
	r = c.hx("POST", "/tickets", url.Values{"kind": {"ticket"}, "run_id": {fmt.Sprint(runID)}, "job_id": {fmt.Sprint(nightly)}, "text": {"Disk full"}})
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.text("#flash"), "Ticket T") {
		t.Fatalf("ticket flash: %q", r.text("#flash"))
	}
	// Raised from the run's dialog, the dialog comes back with the ticket and the remark
	// at its top, before the run's details and the mail, and the queue is told to refresh.
	if r.doc.Find(fmt.Sprintf(`[data-run-dialog="%d"]`, runID)).Length() != 1 || r.Header.Get("HX-Reswap") != "" ||
		!strings.Contains(r.Header.Get("HX-Trigger"), "runsChanged") || strings.Contains(r.Header.Get("HX-Trigger"), "closeModal") {
		t.Fatalf("after creating a ticket from the run, the run dialog does not come back (%v):\n%s", r.Header, r.body)
	}
	first := r.doc.Find(".modal-body").Children().First()
	if first.AttrOr("id", "") != "run-alerts" || !strings.Contains(r.text("#run-alerts"), "Disk full") ||
		!strings.Contains(r.text("#run-alerts"), "Vendor case 4711") {
		t.Fatalf("the dialog does not start with its tickets and remarks (first: %s):\n%s", first.AttrOr("id", first.Nodes[0].Data), r.body)
	}
	var code string
	if err := h.db.Bun.NewRaw("SELECT ticket_code FROM tickets").Scan(t.Context(), &code); err != nil {
		t.Fatal(err)
	}
	if r.doc.Find("#run-alerts svg.icon-ticket").Length() != 1 || r.doc.Find("#run-alerts svg.icon-remark").Length() != 1 ||
		r.doc.Find(fmt.Sprintf(`#run-alerts [data-copy="%s"]`, code)).Length() != 1 {
		t.Fatalf("ticket and remark marks in the dialog:\n%s", r.text("#run-alerts"))
	}

	// The run's alerts, as HTML and as JSON.
	r = c.hx("GET", fmt.Sprintf("/api/job-runs/%d/alerts", runID), nil)
	if !strings.Contains(r.text("#run-alerts"), "Disk full") || !strings.Contains(r.text("#run-alerts"), "Vendor case 4711") {
		t.Fatalf("alerts fragment:\n%s", r.body)
	}
	req, _ := http.NewRequest("GET", h.url+fmt.Sprintf("/api/job-runs/%d/alerts", runID), nil)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var alerts struct {
		Tickets []struct{ Code string } `json:"tickets"`
		Remarks []struct{ Text string } `json:"remarks"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&alerts); err != nil || len(alerts.Tickets) != 1 || len(alerts.Remarks) != 1 {
		t.Fatalf("alerts JSON: %+v %v", alerts, err)
	}
	resp.Body.Close()

	// The job's page shows what is open on it.
	if r := c.get(fmt.Sprintf("/jobs/%d", nightly)); !strings.Contains(r.text("#job-alerts"), "Disk full") {
		t.Fatalf("job alerts: %q", r.text("#job-alerts"))
	}
	// Run Checks shows the indicators, the ticket's number beside its icon (drawn, no
	// emoji); the Tickets page lists and resolves.
	r = c.get("/runchecks")
	group := fmt.Sprintf("#rc-job-%d", nightly)
	if r.text(group+" .ticket-mark") != code || r.doc.Find(group+" .ticket-mark svg.icon-ticket").Length() != 1 ||
		r.doc.Find(group+" .remark-mark svg.icon-remark").Length() != 1 {
		t.Fatalf("ticket and remark markers in Run Checks: %q\n%s", r.text(group+" .ticket-mark"), r.body)
	}
	if e := emoji(r.body); e != "" {
		t.Fatalf("Run Checks uses the glyph %q", e)
	}
	r = c.get("/tickets?kind=ticket")
	if r.doc.Find("#tickets-table tbody tr").Length() != 1 || r.doc.Find("[data-copy]").Length() != 1 {
		t.Fatalf("tickets page:\n%s", r.text("#tickets-table"))
	}
	var ticketID int64
	if err := h.db.Bun.NewRaw("SELECT id FROM tickets").Scan(t.Context(), &ticketID); err != nil {
		t.Fatal(err)
	}
	v := h.client()
	v.login("viewer")
	wantStatus(t, v.hx("POST", fmt.Sprintf("/tickets/ticket/%d/resolve", ticketID), nil), http.StatusForbidden)
	r = c.hx("POST", fmt.Sprintf("/tickets/ticket/%d/resolve?state=open", ticketID), nil)
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find("#tickets-table tbody tr").Length() != 0 {
		t.Fatal("a resolved ticket is still listed as open")
	}
	if r := c.get("/runchecks"); r.doc.Find(group+" .ticket-mark").Length() != 0 {
		t.Fatal("the ticket indicator stays after resolving")
	}
}

func TestTicketsFilters(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("ops")
	nightly := approvedJob(t, h, c, "Acme", "Nightly", 1, "Failed")
	weekly := approvedJob(t, h, c, "Globex", "Weekly", 5, "Failed")
	raise := func(job int64, text string) {
		t.Helper()
		var run int64
		if err := h.db.Bun.NewRaw("SELECT id FROM job_runs WHERE job_id = ? LIMIT 1", job).Scan(t.Context(), &run); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, c.hx("POST", "/tickets", url.Values{"kind": {"ticket"}, "run_id": {fmt.Sprint(run)}, "job_id": {fmt.Sprint(job)}, "text": {text}}), http.StatusOK)
	}
	raise(nightly, "Disk full on the repository")
	raise(weekly, "Tape drive offline")
	rows := func(path string) []string {
		t.Helper()
		r := c.get(path)
		wantStatus(t, r, http.StatusOK)
		var out []string
		r.doc.Find("#tickets-table tbody tr").Each(func(_ int, s *goquery.Selection) {
			out = append(out, strings.Join(strings.Fields(s.Text()), " "))
		})
		return out
	}
	if got := rows("/tickets?kind=ticket&state=open"); len(got) != 2 {
		t.Fatalf("unfiltered: %q", got)
	}
	for path, want := range map[string]string{
		"/tickets?kind=ticket&state=open&q=globex":                                 "Tape drive offline",
		"/tickets?kind=ticket&state=open&q=DISK":                                   "Disk full",
		"/tickets?kind=ticket&state=open&q=nightly":                                "Disk full",
		fmt.Sprintf("/tickets?kind=ticket&job_id=%d", weekly):                      "Tape drive offline",
		fmt.Sprintf("/tickets?kind=ticket&customer_id=%d", h.jobCustomer(nightly)): "Disk full",
	} {
		got := rows(path)
		if len(got) != 1 || !strings.Contains(got[0], want) {
			t.Errorf("%s: %q, want only %q", path, got, want)
		}
	}
	if got := rows("/tickets?kind=ticket&q=%25"); len(got) != 0 {
		t.Errorf("a %% in the search matched everything: %q", got)
	}
	r := c.get(fmt.Sprintf("/tickets?kind=ticket&job_id=%d", weekly))
	if !strings.Contains(r.text("#tickets-narrowed"), "Globex / Weekly") {
		t.Fatalf("narrowed banner: %q", r.text("#tickets-narrowed"))
	}
	// Narrowed, the list raises new ones for that job or customer, without a run.
	if r.doc.Find("#tickets-new").Length() != 1 {
		t.Fatal("no New button on a narrowed list")
	}
	acme := h.jobCustomer(nightly)
	f := c.hx("GET", fmt.Sprintf("/tickets/new?kind=remark&customer_id=%d", acme), nil)
	wantStatus(t, f, http.StatusOK)
	if f.doc.Find(`input[name=whole_customer][type=hidden]`).Length() != 1 || !strings.Contains(f.body, "Acme") {
		t.Fatalf("customer remark form: %s", f.body)
	}
	wantStatus(t, c.hx("POST", "/tickets", url.Values{"kind": {"remark"}, "customer_id": {fmt.Sprint(acme)}, "whole_customer": {"on"},
		"text": {"Customer moves office on Friday"}}), http.StatusOK)
	if got := rows(fmt.Sprintf("/tickets?kind=remark&customer_id=%d", acme)); len(got) != 1 || !strings.Contains(got[0], "Customer moves office") {
		t.Fatalf("customer remark: %q", got)
	}
	// It covers the customer's unreviewed runs at once.
	var n int
	if err := h.db.Bun.NewRaw(`SELECT count(*) FROM remark_job_runs l JOIN job_runs r ON r.id = l.job_run_id WHERE r.job_id = ?`, nightly).Scan(t.Context(), &n); err != nil || n == 0 {
		t.Fatalf("customer remark linked to %d runs (%v)", n, err)
	}
	wantStatus(t, c.hx("GET", "/tickets/new?kind=ticket", nil), http.StatusBadRequest)

	// The state links keep the filter.
	if href, _ := r.doc.Find(`a[href*="state=resolved"]`).Attr("href"); !strings.Contains(href, fmt.Sprintf("job_id=%d", weekly)) {
		t.Fatalf("state link drops the filter: %q", href)
	}
}

func (h *harness) jobCustomer(job int64) int64 {
	var id int64
	if err := h.db.Bun.NewRaw("SELECT customer_id FROM jobs WHERE id = ?", job).Scan(context.Background(), &id); err != nil {
		h.t.Fatal(err)
	}
	return id
}

func TestTicketEdit(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	h.user("viewer", db.RoleViewer)
	c := h.client()
	c.login("ops")
	nightly := approvedJob(t, h, c, "Acme", "Nightly", 1, "Failed")
	var run int64
	if err := h.db.Bun.NewRaw("SELECT id FROM job_runs WHERE job_id = ? LIMIT 1", nightly).Scan(t.Context(), &run); err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"PSA-1", "PSA-2"} {
		wantStatus(t, c.hx("POST", "/tickets", url.Values{"kind": {"ticket"}, "run_id": {fmt.Sprint(run)}, "job_id": {fmt.Sprint(nightly)},
			"code": {code}, "text": {"Disk full"}}), http.StatusOK)
	}
	var id int64
	if err := h.db.Bun.NewRaw("SELECT id FROM tickets WHERE ticket_code = 'PSA-1'").Scan(t.Context(), &id); err != nil {
		t.Fatal(err)
	}
	back := fmt.Sprintf("kind=ticket&state=open&job_id=%d", nightly)
	r := c.hx("GET", fmt.Sprintf("/tickets/ticket/%d/edit?%s", id, back), nil)
	wantStatus(t, r, http.StatusOK)
	if v, _ := r.doc.Find("#f-code").Attr("value"); v != "PSA-1" {
		t.Fatalf("edit form code: %q", v)
	}
	if hx, _ := r.doc.Find("#ticket-form").Attr("hx-put"); !strings.Contains(hx, fmt.Sprintf("job_id=%d", nightly)) {
		t.Fatalf("the form forgets the list's filter: %q", hx)
	}
	put := func(form url.Values) *response {
		return c.hx("PUT", fmt.Sprintf("/tickets/ticket/%d?%s", id, back), form)
	}
	r = put(url.Values{"code": {""}, "text": {"x"}, "active_from": {"31-03-2026"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if r.text("#f-code-error") == "" || r.text("#f-active_from-error") == "" {
		t.Fatalf("errors beside the fields: %q / %q", r.text("#f-code-error"), r.text("#f-active_from-error"))
	}
	if r := put(url.Values{"code": {"PSA-2"}, "text": {"x"}}); !strings.Contains(r.text("#f-code-error"), "exists already") {
		t.Fatalf("duplicate number: %q", r.text("#f-code-error"))
	}
	r = put(url.Values{"code": {"PSA-10"}, "text": {"Disk full, vendor case 4711"}, "active_from": {"2026-03-31"}})
	wantStatus(t, r, http.StatusOK)
	if r.Header.Get("HX-Retarget") != "#tickets-table" || !strings.Contains(r.text("#tickets-table"), "Disk full, vendor case 4711") ||
		!strings.Contains(r.text("#tickets-table"), "PSA-10") {
		t.Fatalf("list after saving: %q", r.text("#tickets-table"))
	}
	h.user("admin", db.RoleAdmin)
	adm := h.client()
	adm.login("admin")
	if a := adm.get("/audit"); !strings.Contains(a.body, "ticket.updated") {
		t.Fatal("edit not audited")
	}
	// A ticket mirroring an Autotask ticket keeps Autotask's number.
	if _, err := h.db.Bun.ExecContext(t.Context(), "UPDATE tickets SET autotask_ticket_id = 77 WHERE id = ?", id); err != nil {
		t.Fatal(err)
	}
	if r := put(url.Values{"code": {"OTHER"}, "text": {"x"}}); !strings.Contains(r.text("#f-code-error"), "Autotask") {
		t.Fatalf("renumbering an Autotask ticket: %q", r.text("#f-code-error"))
	}
	v := h.client()
	v.login("viewer")
	wantStatus(t, v.hx("PUT", fmt.Sprintf("/tickets/ticket/%d", id), url.Values{"code": {"V"}, "text": {"v"}}), http.StatusForbidden)
}

func TestRemarkScopedToAnObject(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("ops")
	nightly := approvedJob(t, h, c, "Acme", "Nightly", 1, "Failed")
	weekly := approvedJob(t, h, c, "Globex", "Weekly", 5, "Failed") // also has a "vm01", of another customer
	var run, vm01 int64
	if err := h.db.Bun.NewRaw("SELECT id FROM job_runs WHERE job_id = ? LIMIT 1", nightly).Scan(t.Context(), &run); err != nil {
		t.Fatal(err)
	}
	r := c.hx("GET", fmt.Sprintf("/tickets/new?kind=remark&run_id=%d", run), nil)
	r.doc.Find("#f-object_id option").Each(func(_ int, s *goquery.Selection) {
		if strings.TrimSpace(s.Text()) == "vm01" {
			fmt.Sscan(s.AttrOr("value", ""), &vm01)
		}
	})
	if vm01 == 0 {
		t.Fatalf("the form offers no vm01: %q", r.text("#f-object_id"))
	}
	wantStatus(t, c.hx("POST", "/tickets", url.Values{"kind": {"remark"}, "run_id": {fmt.Sprint(run)}, "job_id": {fmt.Sprint(nightly)},
		"object_id": {fmt.Sprint(vm01)}, "text": {"vm01 is being migrated"}}), http.StatusOK)
	if got := c.get("/tickets?kind=remark").text("#tickets-table tbody tr"); !strings.Contains(got, "Acme / object vm01") {
		t.Fatalf("the list does not name the object scope: %q", got)
	}
	linked := func(job int64) bool {
		t.Helper()
		var n int
		if err := h.db.Bun.NewRaw(`SELECT count(*) FROM remark_job_runs l JOIN job_runs r ON r.id = l.job_run_id
			WHERE r.job_id = ? AND r.id = (SELECT max(id) FROM job_runs WHERE job_id = ?)`, job, job).Scan(t.Context(), &n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	// A new run of the job with vm01 carries it; Globex's own vm01 is another object.
	if r := c.upload(map[string][]byte{"20.eml": parserstest.Mail(20, "Failed", "Nightly", "object: vm01 Failed again")}); r.StatusCode != http.StatusOK {
		t.Fatal(r.StatusCode)
	}
	if r := c.upload(map[string][]byte{"21.eml": parserstest.Mail(21, "Failed", "Weekly", "object: vm01 Failed")}); r.StatusCode != http.StatusOK {
		t.Fatal(r.StatusCode)
	}
	if !linked(nightly) {
		t.Fatal("a new run with the object did not get the remark")
	}
	if linked(weekly) {
		t.Fatal("another customer's object of the same name got the remark")
	}
	// An object that is not part of the run is refused.
	wantStatus(t, c.hx("POST", "/tickets", url.Values{"kind": {"remark"}, "run_id": {fmt.Sprint(run)}, "job_id": {fmt.Sprint(nightly)},
		"object_id": {"999999"}, "text": {"x"}}), http.StatusUnprocessableEntity)
}

// emoji returns the first emoji or symbol glyph in s that a machine may lack a font for
// (pictographs, dingbats, ⧉ and the like), or "".
func emoji(s string) string {
	for _, r := range s {
		switch {
		case r >= 0x1F000 && r <= 0x1FAFF, r >= 0x2600 && r <= 0x27BF, r >= 0x2900 && r <= 0x2BFF:
			return string(r)
		}
	}
	return ""
}

// TestTicketFormExplainsItsDates: the ticket form says, beside each date, that the date
// is recorded only (propagation is link-based and does not read it).
func TestTicketFormExplainsItsDates(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("ops")
	nightly := approvedJob(t, h, c, "Acme", "Nightly", 1, "Failed")
	var runID int64
	if err := h.db.Bun.NewRaw("SELECT id FROM job_runs WHERE job_id = ?", nightly).Scan(t.Context(), &runID); err != nil {
		t.Fatal(err)
	}
	r := c.hx("GET", fmt.Sprintf("/tickets/new?kind=ticket&run_id=%d", runID), nil)
	wantStatus(t, r, http.StatusOK)
	for _, f := range []string{"active_from", "start_date"} {
		help := strings.Join(strings.Fields(r.doc.Find("#f-"+f).Parent().Find(".form-text").Text()), " ")
		if !strings.Contains(help, "records") {
			t.Errorf("%s has no explanation: %q", f, help)
		}
	}
	if r.doc.Find("#ticket-back-to-run").AttrOr("hx-get", "") != fmt.Sprintf("/runchecks/runs/%d", runID) {
		t.Fatalf("the form raised from a run has no way back to it:\n%s", r.body)
	}
}
