package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/cove"
	"github.com/backupchecks/backupchecks/app/cove/covetest"
	"github.com/backupchecks/backupchecks/app/tasks"
	"github.com/backupchecks/backupchecks/db"
)

// coveNow is the clock of the Cove page tests: Monday 9 March 2026, noon UTC; the
// accounts' last session was the night before.
var (
	coveNow   = time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	coveNight = time.Date(2026, 3, 8, 21, 0, 0, 0, time.UTC)
)

// waitTask waits for the latest task of kind to finish.
func waitTask(t *testing.T, h *harness, kind string) *db.BackgroundTask {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		task, err := tasks.Latest(context.Background(), h.db.Bun, kind)
		if err != nil {
			t.Fatal(err)
		}
		if task != nil && task.FinishedAt != nil {
			return task
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the %s task did not finish", kind)
	return nil
}

func coveForm(fake *covetest.Server, password string) url.Values {
	return url.Values{"cove_enabled": {"on"}, "cove_api_url": {fake.URL}, "cove_username": {covetest.Username},
		"cove_password": {password}, "cove_import_interval_minutes": {"30"},
		"cove_offline_warning_days": {"3"}, "cove_offline_failed_days": {"7"}}
}

func TestCoveSettings(t *testing.T) {
	fake := covetest.New(t)
	fake.SetAccounts(covetest.Fleet(3, coveNight))
	h := newHarness(t, Options{})
	h.user("admin", db.RoleAdmin)
	h.user("op", db.RoleOperator)
	c := h.client()
	c.login("admin")

	r := c.get("/settings/integrations")
	if r.doc.Find(`#settings-cove[hx-get="/settings/integrations/cove"][hx-trigger="load"]`).Length() != 1 {
		t.Fatal("the Integrations tab does not load the Cove section")
	}
	if r.doc.Find(`nav a[href="/cove/accounts"]`).Length() != 0 {
		t.Fatal("the navbar offers Cove accounts while Cove is off")
	}
	r = c.hx("GET", "/settings/integrations/cove", nil)
	if r.text("#value-cove_enabled") != "Off" || r.text("#value-cove_api_url") != cove.DefaultURL || r.doc.Find("#cove-run-button").Length() != 0 {
		t.Fatalf("the section before anything is saved:\n%.2000s", r.body)
	}
	// Testing before anything is saved says what is missing instead of calling out.
	r = c.hx("POST", "/settings/integrations/cove/test", nil)
	if !strings.Contains(r.text("#cove-test-result"), "enter and save the Cove API user name and password") {
		t.Fatalf("test without credentials: %q", r.text("#cove-test-result"))
	}

	bad := url.Values{"cove_enabled": {"on"}, "cove_import_enabled": {"on"}, "cove_api_url": {"ftp://cove"}, "cove_username": {""},
		"cove_password": {""}, "cove_import_interval_minutes": {"2"}, "cove_offline_warning_days": {"5"}, "cove_offline_failed_days": {"3"}}
	r = c.hx("PUT", "/settings/integrations/cove", bad)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	for _, f := range []string{"cove_api_url", "cove_username", "cove_password", "cove_import_interval_minutes", "cove_offline_failed_days"} {
		if r.text("#f-"+f+"-error") == "" {
			t.Errorf("no error beside %s", f)
		}
	}
	if r.doc.Find("#f-cove_api_url").AttrOr("value", "") != "ftp://cove" {
		t.Error("the form lost what was typed")
	}

	form := coveForm(fake, covetest.Password)
	r = c.hx("PUT", "/settings/integrations/cove", form)
	wantStatus(t, r, http.StatusOK)
	if strings.Contains(r.body, covetest.Password) || !strings.Contains(r.text("#value-cove_password"), "(set)") || r.text("#value-cove_enabled") != "On" {
		t.Fatal("the password is rendered back, or not shown as set")
	}
	r = c.hx("POST", "/settings/integrations/cove/test", nil)
	if !strings.Contains(r.text("#cove-test-result"), "Connected to Cove as partner 424242") || r.text("#value-cove_partner_id") != "424242" {
		t.Fatalf("test connection: %q, partner %q", r.text("#cove-test-result"), r.text("#value-cove_partner_id"))
	}
	// The same as JSON: {ok, partner_id, message}.
	jr := c.send("POST", "/settings/integrations/cove/test", "", "", map[string]string{"Accept": "application/json", "X-CSRF-Token": c.csrf})
	var res struct {
		OK        bool   `json:"ok"`
		PartnerID int64  `json:"partner_id"`
		Message   string `json:"message"`
	}
	if err := json.Unmarshal([]byte(jr.body), &res); err != nil || !res.OK || res.PartnerID != covetest.PartnerID || res.Message == "" {
		t.Fatalf("JSON test: %s (%v)", jr.body, err)
	}

	// Run import now: live progress, then the accounts are there.
	r = c.hx("POST", "/settings/integrations/cove/run", nil)
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find("#task-progress [hx-get]").Length() != 1 {
		t.Fatalf("no progress that follows the task:\n%.2000s", r.body)
	}
	task := waitTask(t, h, cove.TaskKind)
	if task.Status != "done" || !strings.Contains(task.Message, "3 accounts (3 new)") {
		t.Fatalf("import task %s: %q", task.Status, task.Message)
	}
	r = c.hx("GET", "/settings/integrations/cove", nil)
	if !strings.Contains(r.text("#value-cove_last_import"), "3 accounts (3 new)") {
		t.Fatalf("last import: %q", r.text("#value-cove_last_import"))
	}
	if r = c.get("/settings/integrations"); r.doc.Find(`nav a[href="/cove/accounts"]`).Length() != 1 {
		t.Fatal("the navbar lacks Cove accounts while Cove is on")
	}

	// A wrong password: the test says Cove refused it.
	form.Set("cove_password", "wrong")
	wantStatus(t, c.hx("PUT", "/settings/integrations/cove", form), http.StatusOK)
	r = c.hx("POST", "/settings/integrations/cove/test", nil)
	if !strings.Contains(r.text("#cove-test-result"), "Cove refused the user name or password") {
		t.Fatalf("wrong password: %q", r.text("#cove-test-result"))
	}
	var n int
	if err := h.db.Bun.NewRaw(`SELECT count(*) FROM audit_log WHERE target = 'settings:cove' AND action IN ('settings.updated', 'cove.connection_tested', 'cove.import_started')`).Scan(context.Background(), &n); err != nil || n != 6 {
		t.Fatalf("%d audit entries for 2 saves, 3 tests, 1 import (%v)", n, err)
	}

	op := h.client()
	op.login("op")
	wantStatus(t, op.hx("PUT", "/settings/integrations/cove", coveForm(fake, "x")), http.StatusForbidden)
}

// coveAccounts stores accounts as an import would, and enables Cove.
func coveAccounts(t *testing.T, h *harness, devices ...covetest.Device) {
	t.Helper()
	ctx := context.Background()
	accounts := make([]cove.Account, len(devices))
	for i, d := range devices {
		a := d.Account()
		accounts[i] = cove.Account{ID: a.ID, Settings: a.Settings}
	}
	if _, err := cove.UpsertAccounts(ctx, h.db.Bun, accounts, coveNow); err != nil {
		t.Fatal(err)
	}
	if _, err := cove.UpdateSettings(ctx, h.db.Bun, h.app.keys, audit.Actor{Name: "test"}, cove.Input{Enabled: true, APIURL: "http://127.0.0.1:1/jsonapi",
		Username: "u", Password: "p", IntervalMinutes: "30", WarningDays: "3", FailedDays: "7"}); err != nil {
		t.Fatal(err)
	}
}

func fleetDevices(n int) []covetest.Device {
	out := make([]covetest.Device, n)
	for i := range out {
		out[i] = covetest.Device{ID: int64(100000 + i), Name: fmt.Sprintf("device-%05d", i), Computer: fmt.Sprintf("SRV-%05d", i),
			Customer: fmt.Sprintf("Customer %d", i/10+1), OSType: "2", Sources: []string{"D01", "D10"}, Status: "5",
			LastSession: coveNight, LastSuccess: coveNight, ColorBar: "0555555555555555555555558250"}
	}
	return out
}

func TestCoveAccountsPage(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, Options{Now: func() time.Time { return coveNow }})
	h.user("op", db.RoleOperator)
	h.user("viewer", db.RoleViewer)
	coveAccounts(t, h, fleetDevices(55)...)
	var cust1 int64
	if err := h.db.Bun.NewRaw("INSERT INTO customers (name) VALUES ('customer 1') RETURNING id").Scan(ctx, &cust1); err != nil {
		t.Fatal(err)
	}
	c := h.client()
	c.login("op")

	r := c.get("/cove/accounts")
	wantStatus(t, r, http.StatusOK)
	rows := r.doc.Find("#cove-table tbody tr")
	if rows.Length() != coveAccountsPerPage || !strings.Contains(r.text("#cove-counts"), "55 accounts · 55 not linked") {
		t.Fatalf("%d rows, counts %q", rows.Length(), r.text("#cove-counts"))
	}
	first := r.doc.Find("#cove-account-100000")
	cells := first.Find(".cove-bar .cove-day")
	if cells.Length() != 28 || !cells.Eq(0).HasClass("cove-day-none") || !cells.Eq(24).HasClass("cove-day-warning") ||
		!cells.Eq(25).HasClass("cove-day-failed") || !cells.Eq(26).HasClass("cove-day-success") ||
		cells.Eq(24).AttrOr("title", "") != "Fri 6 Mar 2026: Completed with errors" || cells.Eq(27).AttrOr("title", "") != "Mon 9 Mar 2026: no backup" {
		t.Fatalf("colour bar cells: %d, 6 March %q", cells.Length(), cells.Eq(24).AttrOr("title", ""))
	}
	if r.doc.Find(".cove-day[style]").Length() != 0 {
		t.Fatal("inline styles in the colour bar")
	}
	if got := r.doc.Find(`nav a[href="/cove/accounts"]`).Length(); got != 1 {
		t.Fatalf("navbar entries for Cove: %d", got)
	}
	if r := c.get("/cove/accounts?page=2"); r.doc.Find("#cove-table tbody tr").Length() != 5 {
		t.Fatal("page 2 does not hold the other 5")
	}
	if r := c.hx("GET", "/cove/accounts?q=SRV-00042", nil); r.doc.Find("#cove-table tbody tr").Length() != 1 || r.doc.Find("#cove-account-100042").Length() != 1 {
		t.Fatalf("search: %.2000s", r.body)
	}

	// Create job: the customer suggested from Cove, matched by name.
	r = c.hx("GET", "/cove/accounts/100000/create?list=q%3Ddevice", nil)
	if r.doc.Find("#f-job_name").AttrOr("value", "") != "device-00000" || r.doc.Find(`#f-backup_type option[selected]`).Text() != "Server" ||
		r.doc.Find(fmt.Sprintf(`input[name="customer_id"][value="%d"][checked]`, cust1)).Length() != 1 {
		t.Fatalf("create dialog:\n%.2000s", r.body)
	}
	bad := c.hx("POST", "/cove/accounts/100000/create", url.Values{"job_name": {""}, "backup_type": {"Tape"}, "customer_name": {""}, "customer_id": {""}})
	wantStatus(t, bad, http.StatusUnprocessableEntity)
	if bad.doc.Find("#f-job_name.is-invalid").Length() != 1 || bad.doc.Find("#f-backup_type.is-invalid").Length() != 1 || bad.doc.Find("#f-customer_name.is-invalid").Length() != 1 {
		t.Fatalf("refused create: %s", bad.body)
	}
	r = c.hx("POST", "/cove/accounts/100000/create", url.Values{"job_name": {"SRV-00000 backup"}, "backup_type": {"Server"},
		"customer_name": {"Customer 1"}, "customer_id": {fmt.Sprint(cust1)}, "list": {"q=device-0000"}})
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Header.Get("HX-Trigger"), "closeModal") || r.Header.Get("HX-Retarget") != "#cove-accounts" ||
		!strings.Contains(r.text("#cove-job-100000"), "customer 1 / SRV-00000 backup") || r.doc.Find("#cove-table tbody tr").Length() != 10 {
		t.Fatalf("after create: %v\n%s", r.Header, r.body)
	}
	var job struct {
		ID       int64  `bun:"id"`
		Software string `bun:"backup_software"`
		Runs     int    `bun:"runs"`
	}
	if err := h.db.Bun.NewRaw(`SELECT j.id, j.backup_software, (SELECT count(*) FROM job_runs r WHERE r.job_id = j.id) AS runs
		FROM jobs j WHERE cove_account_id = 100000`).Scan(ctx, &job); err != nil || job.Software != "Cove Data Protection" || job.Runs != 26 {
		t.Fatalf("created job %+v (%v); want 1 run and 25 backfilled days", job, err)
	}

	// The run dialog and the job page show Cove as the source.
	var runID, filledID int64
	_ = h.db.Bun.NewRaw("SELECT id FROM job_runs WHERE job_id = ? AND NOT backfilled", job.ID).Scan(ctx, &runID)
	_ = h.db.Bun.NewRaw("SELECT id FROM job_runs WHERE job_id = ? AND backfilled ORDER BY run_at DESC LIMIT 1", job.ID).Scan(ctx, &filledID)
	r = c.hx("GET", fmt.Sprintf("/runchecks/runs/%d", runID), nil)
	if !strings.Contains(r.text("#run-info"), "Cove API") || r.doc.Find("#run-cove-sources tbody tr").Length() != 2 ||
		!strings.Contains(r.text("#run-cove"), "SRV-00000") || r.doc.Find("#run-objects").Length() != 0 || r.doc.Find("#run-backfilled").Length() != 0 {
		t.Fatalf("Cove run dialog:\n%.2000s", r.body)
	}
	if r = c.hx("GET", fmt.Sprintf("/runchecks/runs/%d", filledID), nil); r.doc.Find("#run-backfilled").Length() != 1 {
		t.Fatalf("backfilled run dialog:\n%.2000s", r.body)
	}
	r = c.get(fmt.Sprintf("/jobs/%d", job.ID))
	if !strings.Contains(r.text("#job-cove-section"), "device-00000") || !strings.Contains(r.text("#runs-table"), "Cove API") {
		t.Fatalf("job page: %q", r.text("#job-cove-section"))
	}

	// Link to existing: the job type-ahead puts the account's customer first.
	var manual int64
	if err := h.db.Bun.NewRaw(`INSERT INTO customers (name) VALUES ('Customer 2') RETURNING id`).Scan(ctx, &manual); err != nil {
		t.Fatal(err)
	}
	if err := h.db.Bun.NewRaw(`INSERT INTO jobs (customer_id, job_name, backup_software, backup_type) VALUES (?, 'Manual', 'Cove Data Protection', 'Server') RETURNING id`, manual).Scan(ctx, &manual); err != nil {
		t.Fatal(err)
	}
	r = c.hx("GET", "/cove/accounts/100010/link", nil)
	if r.doc.Find(`#cove-job-options input[name="job_id"]`).First().AttrOr("value", "") != fmt.Sprint(manual) {
		t.Fatalf("link dialog: %.2000s", r.body)
	}
	if r = c.hx("GET", "/cove/accounts/jobs?job_search=manu", nil); r.doc.Find(fmt.Sprintf("#cove-job-option-%d", manual)).Length() != 1 {
		t.Fatalf("job type-ahead: %.2000s", r.body)
	}
	if r = c.hx("GET", "/cove/accounts/jobs?job_search=SRV-00000", nil); r.doc.Find("input[name=job_id]").Length() != 0 {
		t.Fatal("the type-ahead offers a job that has a Cove account already")
	}
	wantStatus(t, c.hx("POST", "/cove/accounts/100010/link", url.Values{"job_id": {""}}), http.StatusUnprocessableEntity)
	r = c.hx("POST", "/cove/accounts/100010/link", url.Values{"job_id": {fmt.Sprint(manual)}, "list": {"q=device-00010"}})
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.text("#cove-job-100010"), "Customer 2 / Manual") || !strings.Contains(r.text("#flash"), "1 new run and 25 days") {
		t.Fatalf("after link:\n%.2000s", r.body)
	}

	// Unlink: the job keeps its runs.
	r = c.hx("POST", "/cove/accounts/100010/unlink", url.Values{"list": {""}})
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find("#cove-link-100010").Length() != 1 {
		t.Fatalf("after unlink the account is not unlinked:\n%.2000s", r.body)
	}
	var kept int
	_ = h.db.Bun.NewRaw("SELECT count(*) FROM job_runs WHERE job_id = ?", manual).Scan(ctx, &kept)
	if kept != 26 {
		t.Fatalf("the unlinked job kept %d runs", kept)
	}

	// Bulk: accounts of one customer at once; of two customers refused.
	r = c.hx("GET", "/cove/accounts/bulk?account_id=100020&account_id=100021", nil)
	if r.doc.Find("#cove-bulk-accounts li").Length() != 2 || r.doc.Find("#cove-create-error").Length() != 0 {
		t.Fatalf("bulk dialog: %.2000s", r.body)
	}
	r = c.hx("POST", "/cove/accounts/bulk", url.Values{"account_id": {"100020", "100021"}, "customer_id": {"new"}, "customer_name": {"Customer 3"}})
	wantStatus(t, r, http.StatusOK)
	var bulk int
	_ = h.db.Bun.NewRaw("SELECT count(*) FROM jobs j JOIN customers c ON c.id = j.customer_id WHERE c.name = 'Customer 3' AND j.cove_account_id IN (100020, 100021)").Scan(ctx, &bulk)
	if bulk != 2 {
		t.Fatalf("bulk created %d jobs", bulk)
	}
	r = c.hx("POST", "/cove/accounts/bulk", url.Values{"account_id": {"100030", "100040"}, "customer_id": {"new"}, "customer_name": {"Customer 4"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.text("#cove-create-error"), "one Cove customer") {
		t.Fatalf("bulk of two customers: %d %.2000s", r.StatusCode, r.body)
	}
	if r = c.hx("GET", "/cove/accounts/bulk", nil); r.doc.Find("#cove-select-first").Length() != 1 {
		t.Fatal("bulk with nothing selected does not say what to do")
	}

	v := h.client()
	v.login("viewer")
	wantStatus(t, v.get("/cove/accounts"), http.StatusForbidden)
}
