package app

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/db"
)

// cloudConnectReport is the parsers' Cloud Connect fixture (all sections, twelve
// tenant repositories); edits are replacements in its text, in pairs.
func cloudConnectReport(t *testing.T, edits ...string) []byte {
	t.Helper()
	raw, err := os.ReadFile("parsers/testdata/cloudconnect/report-all-sections.eml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(s, edits[i]) {
			t.Fatalf("the fixture has no %q", edits[i])
		}
		s = strings.ReplaceAll(s, edits[i], edits[i+1])
	}
	return []byte(s)
}

func (h *harness) scanID(t *testing.T, q string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := h.db.Bun.NewRaw(q, args...).Scan(t.Context(), &id); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return id
}

// TestCloudConnectAccountsPage: an uploaded report is no Inbox mail but accounts on the
// page (operators; not viewers); Create job with a field error, then right; Link to an
// existing job; the run dialog shows the run's own row of the report and nothing of the
// other tenants; Unlink; Scan inbox.
func TestCloudConnectAccountsPage(t *testing.T) {
	h := newHarness(t, Options{Now: func() time.Time { return time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC) }})
	h.user("op", db.RoleOperator)
	h.user("viewer", db.RoleViewer)
	c := h.client()
	c.login("op")

	up := c.upload(map[string][]byte{"cc.eml": cloudConnectReport(t)})
	wantStatus(t, up, http.StatusOK)
	if msg := up.text("#flash"); !strings.Contains(msg, "1 was a Cloud Connect report") || !strings.Contains(msg, "0 wait in the Inbox") {
		t.Fatalf("upload flash = %q", msg)
	}
	if inbox := c.get("/inbox"); strings.Contains(inbox.body, "Veeam Cloud Connect report") {
		t.Fatal("the report is listed in the Inbox")
	}

	page := c.get("/cloud-connect/accounts")
	wantStatus(t, page, http.StatusOK)
	if n := page.doc.Find("#cc-accounts tbody tr[id^=cc-account-]").Length(); n != 12 {
		t.Fatalf("%d account rows, want 12", n)
	}
	if g := page.text("#cc-accounts tr.cc-group"); g != "Not linked (12)" {
		t.Fatalf("group header %q", g)
	}
	if nav := page.doc.Find(`a[href="/cloud-connect/accounts"]`).Length(); nav == 0 {
		t.Fatal("no navbar entry")
	}
	fox := h.scanID(t, "SELECT id FROM cloud_connect_accounts WHERE user_name = 'tenant-foxtrot'")
	row := page.text(fmt.Sprintf("#cc-account-%d", fox))
	if !strings.Contains(row, "95% of the quota used (95 GB of 100 GB; alert at 90%)") || !strings.Contains(row, "Warning") {
		t.Fatalf("foxtrot row = %q", row)
	}
	if page.doc.Find(fmt.Sprintf("#cc-account-%d .progress-bar.bg-warning[data-progress='95']", fox)).Length() != 1 {
		t.Fatal("foxtrot's usage bar")
	}

	v := h.client()
	v.login("viewer")
	wantStatus(t, v.get("/cloud-connect/accounts"), http.StatusForbidden)
	if strings.Contains(v.get("/").body, `href="/cloud-connect/accounts"`) {
		t.Fatal("a viewer sees the navbar entry")
	}

	// Create job: the dialog suggests the name; no customer is a field error.
	std := h.scanID(t, "SELECT id FROM cloud_connect_accounts WHERE user_name = 'tenant-charlie' AND repo_name = 'Standard'")
	dlg := c.hx("GET", fmt.Sprintf("/cloud-connect/accounts/%d/create-job", std), nil)
	wantStatus(t, dlg, http.StatusOK)
	if v, _ := dlg.doc.Find("#f-job_name").Attr("value"); v != "tenant-charlie - Standard" {
		t.Fatalf("suggested job name %q", v)
	}
	bad := c.hx("POST", fmt.Sprintf("/cloud-connect/accounts/%d/create-job", std), url.Values{"job_name": {"Charlie std"}, "customer_name": {""}})
	wantStatus(t, bad, http.StatusUnprocessableEntity)
	if msg := bad.text("#cc-create-form .invalid-feedback"); !strings.Contains(msg, "customer") {
		t.Fatalf("customer error = %q", msg)
	}
	ok := c.hx("POST", fmt.Sprintf("/cloud-connect/accounts/%d/create-job", std),
		url.Values{"job_name": {"Charlie std"}, "customer_name": {"Charlie BV"}, "customer_id": {"new"}, "q": {""}})
	wantStatus(t, ok, http.StatusOK)
	if ok.Header.Get("HX-Retarget") != "#cc-list" || !strings.Contains(ok.Header.Get("HX-Trigger"), "closeModal") {
		t.Fatalf("after create: retarget %q trigger %q", ok.Header.Get("HX-Retarget"), ok.Header.Get("HX-Trigger"))
	}
	if msg := ok.text("#flash"); !strings.Contains(msg, "Job Charlie BV / Charlie std created: 1 stored report became a run.") {
		t.Fatalf("flash = %q", msg)
	}
	if txt := ok.text(fmt.Sprintf("#cc-account-%d", std)); !strings.Contains(txt, "Charlie BV / Charlie std") || !strings.Contains(txt, "Unlink") {
		t.Fatalf("linked row = %q", txt)
	}
	jobID := h.scanID(t, "SELECT job_id FROM cloud_connect_accounts WHERE id = ?", std)
	runID := h.scanID(t, "SELECT id FROM job_runs WHERE job_id = ?", jobID)

	// The run dialog: its own row, nothing of the provider's other tenants, no mail.
	run := c.hx("GET", fmt.Sprintf("/runchecks/runs/%d", runID), nil)
	wantStatus(t, run, http.StatusOK)
	if u := run.text("#cc-run-user"); u != "tenant-charlie" {
		t.Fatalf("panel user %q", u)
	}
	if src := run.text("#cc-run-source-row tbody"); !strings.Contains(src, "Standard") || !strings.Contains(src, "1.2 TB") {
		t.Fatalf("source row %q", src)
	}
	for _, other := range []string{"tenant-alpha", "tenant-bravo", "Immutable", "tenant-golf", "tenant-juliett"} {
		if strings.Contains(run.body, other) {
			t.Fatalf("the run dialog shows %q, another tenant's row", other)
		}
	}
	if run.doc.Find("iframe.mail-body").Length() != 0 || strings.Contains(run.body, "/eml") {
		t.Fatal("the run dialog shows or offers the provider's whole mail")
	}
	if src := run.text("#run-info"); !strings.Contains(src, "Veeam Cloud Connect report") {
		t.Fatalf("source = %q", src)
	}
	// The read-only page of the run too.
	if page := c.get(fmt.Sprintf("/runs/%d", runID)); strings.Contains(page.body, "tenant-bravo") || page.doc.Find("#cc-run-source").Length() != 1 {
		t.Fatal("the run's page")
	}

	// Link to an existing job, found by name; a linked job is refused with a message.
	imm := h.scanID(t, "SELECT id FROM cloud_connect_accounts WHERE user_name = 'tenant-charlie' AND repo_name = 'Immutable'")
	opts := c.hx("GET", "/cloud-connect/jobs?job_search=charlie", nil)
	if n := opts.doc.Find(`input[name="job_id"]`).Length(); n != 1 {
		t.Fatalf("%d job options", n)
	}
	taken := c.hx("POST", fmt.Sprintf("/cloud-connect/accounts/%d/link", imm), url.Values{"job_id": {fmt.Sprint(jobID)}, "job_search": {"charlie"}})
	wantStatus(t, taken, http.StatusUnprocessableEntity)
	if msg := taken.text("#cc-link-form .invalid-feedback"); !strings.Contains(msg, "linked to the account tenant-charlie / Backup / Standard already") {
		t.Fatalf("taken job: %q", msg)
	}
	var cust int64
	if err := h.db.Bun.NewRaw("SELECT customer_id FROM jobs WHERE id = ?", jobID).Scan(t.Context(), &cust); err != nil {
		t.Fatal(err)
	}
	other := h.scanID(t, "INSERT INTO jobs (customer_id, job_name, backup_software, backup_type) VALUES (?, 'Charlie immutable', 'Veeam Cloud Connect', 'Backup') RETURNING id", cust)
	linked := c.hx("POST", fmt.Sprintf("/cloud-connect/accounts/%d/link", imm), url.Values{"job_id": {fmt.Sprint(other)}})
	wantStatus(t, linked, http.StatusOK)
	if msg := linked.text("#flash"); !strings.Contains(msg, "Linked to Charlie BV / Charlie immutable: 1 stored report became a run.") {
		t.Fatalf("flash = %q", msg)
	}

	// Unlink, and the list filtered to linked accounts.
	un := c.hx("POST", fmt.Sprintf("/cloud-connect/accounts/%d/unlink", imm), url.Values{"show": {"linked"}})
	wantStatus(t, un, http.StatusOK)
	if n := un.doc.Find("#cc-accounts tbody tr[id^=cc-account-]").Length(); n != 1 || !strings.Contains(un.text("#flash"), "unlinked") {
		t.Fatalf("after unlink: %d rows, flash %q", n, un.text("#flash"))
	}
	if n := h.scanID(t, "SELECT count(*) FROM job_runs WHERE job_id = ?", other); n != 1 {
		t.Fatal("the unlinked job lost its run")
	}

	// Scan inbox: safe to repeat, the same runs.
	for range 2 {
		scan := c.hx("POST", "/cloud-connect/scan", url.Values{})
		wantStatus(t, scan, http.StatusOK)
		if msg := scan.text("#flash"); !strings.Contains(msg, "1 Cloud Connect report read; 12 accounts, 11 not linked") {
			t.Fatalf("scan flash = %q", msg)
		}
	}
	if n := h.scanID(t, "SELECT count(*) FROM job_runs"); n != 2 {
		t.Fatalf("%d runs after scanning", n)
	}

	// Search narrows the list.
	s := c.hx("GET", "/cloud-connect/accounts?q=golf", nil)
	if n := s.doc.Find("#cc-accounts tbody tr[id^=cc-account-]").Length(); n != 1 {
		t.Fatalf("search: %d rows", n)
	}
	if none := c.hx("GET", "/cloud-connect/accounts?q=nothing-like-it", nil); none.doc.Find("#cc-none").Length() != 1 {
		t.Fatal("no 'no match' message")
	}
}

// TestCloudConnectRulesSettings: the rules' section on Settings → Integrations, edited
// with a field error, then saved and audited.
func TestCloudConnectRulesSettings(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")
	page := c.get("/settings/integrations")
	if page.doc.Find(`#settings-cloud-connect[hx-get="/settings/integrations/cloud-connect"]`).Length() != 1 {
		t.Fatal("the section is not on the Integrations page")
	}
	view := c.hx("GET", "/settings/integrations/cloud-connect", nil)
	if q := view.text("#value-cloud_connect_quota_percent"); q != "at 90% of the quota used" {
		t.Fatalf("quota shown %q", q)
	}
	if d := view.text("#value-cloud_connect_inactive_days"); !strings.HasPrefix(d, "off") {
		t.Fatalf("inactivity shown %q", d)
	}
	wantStatus(t, c.hx("GET", "/settings/integrations/cloud-connect/edit", nil), http.StatusOK)
	bad := c.hx("PUT", "/settings/integrations/cloud-connect", url.Values{"cloud_connect_quota_percent": {"120"}, "cloud_connect_inactive_days": {"30"}})
	wantStatus(t, bad, http.StatusUnprocessableEntity)
	if msg := bad.text("#f-cloud_connect_quota_percent-error"); !strings.Contains(msg, "from 1 to 100") {
		t.Fatalf("error = %q", msg)
	}
	ok := c.hx("PUT", "/settings/integrations/cloud-connect", url.Values{"cloud_connect_quota_percent": {""}, "cloud_connect_inactive_days": {"30"}})
	wantStatus(t, ok, http.StatusOK)
	if q, d := ok.text("#value-cloud_connect_quota_percent"), ok.text("#value-cloud_connect_inactive_days"); q != "off" ||
		d != "last active more than 30 days before the report" {
		t.Fatalf("saved: %q, %q", q, d)
	}
	if n := h.scanID(t, "SELECT count(*) FROM audit_log WHERE target = 'settings:cloud_connect'"); n != 1 {
		t.Fatal("not audited")
	}
	op := h.client()
	h.user("op", db.RoleOperator)
	op.login("op")
	wantStatus(t, op.hx("PUT", "/settings/integrations/cloud-connect", url.Values{"cloud_connect_quota_percent": {"50"}}), http.StatusForbidden)
}
