package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/autotask/autotasktest"
	"github.com/backupchecks/backupchecks/app/config"
	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/app/psa"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/db"
	riverjobs "github.com/backupchecks/backupchecks/jobs"
)

func TestRunChecksAutotaskTicket(t *testing.T) {
	fake := autotasktest.NewServer(t)
	company := fake.AddCompany("Acme Corp", true)
	h := newHarness(t, Options{Registry: parserstest.Registry()}, func(c *config.Config) { c.AutotaskZoneURLs = fake.Config().ZoneLookupURLs })
	h.user("admin", db.RoleAdmin)
	h.user("ops", db.RoleOperator)
	admin := h.client()
	admin.login("admin")
	ops := h.client()
	ops.login("ops")
	nightly := approvedJob(t, h, ops, "Acme", "Nightly", 1, "Failed", "Failed", "Failed")
	var runs []int64
	if err := h.db.Bun.NewRaw("SELECT id FROM job_runs WHERE job_id = ? ORDER BY run_at", nightly).Scan(t.Context(), &runs); err != nil || len(runs) != 3 {
		t.Fatalf("runs: %v %v", runs, err)
	}
	create := func(run int64) *response {
		return ops.hx("POST", fmt.Sprintf("/runchecks/runs/%d/autotask-ticket", run), nil)
	}

	// Off: the dialog offers nothing and the endpoint says why.
	if r := ops.hx("GET", fmt.Sprintf("/runchecks/runs/%d", runs[0]), nil); r.doc.Find("#run-autotask-create").Length() != 0 {
		t.Fatal("Create Autotask ticket offered while the integration is off")
	}
	wantStatus(t, create(runs[0]), http.StatusUnprocessableEntity)

	settingsForm := url.Values{"autotask_enabled": {"on"}, "autotask_environment": {"production"},
		"autotask_username": {autotasktest.Username}, "autotask_secret": {autotasktest.Secret},
		"autotask_integration_code": {autotasktest.IntegrationCode}, "autotask_base_url": {"https://bc.example.com"}}
	wantStatus(t, admin.hx("PUT", "/settings/integrations/autotask", settingsForm), http.StatusOK)

	// Not mapped yet: a clear message, nothing raised.
	r := create(runs[0])
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.body, "not mapped to an Autotask company") {
		t.Fatalf("unmapped customer: %s", r.body)
	}
	var customerID int64
	if err := h.db.Bun.NewRaw("SELECT customer_id FROM jobs WHERE id = ?", nightly).Scan(t.Context(), &customerID); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, ops.hx("PUT", fmt.Sprintf("/customers/%d/autotask", customerID), url.Values{"company_id": {fmt.Sprint(company)}}), http.StatusOK)

	// No defaults yet: the message says where to set them.
	if r := create(runs[0]); !strings.Contains(r.body, "Settings → Integrations → Autotask") {
		t.Fatalf("missing defaults: %s", r.body)
	}
	wantStatus(t, admin.hx("POST", "/settings/integrations/autotask/reference", nil), http.StatusOK)
	settingsForm.Set("autotask_queue_id", "29683354")
	settingsForm.Set("autotask_priority_id", "1")
	settingsForm.Set("autotask_status_id", "1")
	settingsForm.Set("autotask_source_id", "4")
	wantStatus(t, admin.hx("PUT", "/settings/integrations/autotask", settingsForm), http.StatusOK)
	if len(fake.Calls("POST /ATServicesRest/v1.0/Tickets")) != 0 {
		t.Fatal("a ticket was raised while blocked")
	}

	r = create(runs[0])
	wantStatus(t, r, http.StatusOK)
	posts := fake.Calls("POST /ATServicesRest/v1.0/Tickets")
	if len(posts) != 1 {
		t.Fatalf("%d ticket POSTs, want 1", len(posts))
	}
	for _, want := range []string{`"companyID":` + fmt.Sprint(company), `"queueID":29683354`, `"priority":1`, `"status":1`, `"source":4`,
		"Nightly", "vm01", "https://bc.example.com/jobs/"} {
		if !strings.Contains(posts[0].Body, want) {
			t.Errorf("ticket body lacks %s: %s", want, posts[0].Body)
		}
	}
	number := r.text("#run-autotask-ticket")
	if !strings.HasPrefix(number, "ticket T") || !strings.Contains(r.text("#flash"), "created") {
		t.Fatalf("dialog after creating: %q / flash %q", number, r.text("#flash"))
	}
	if r.doc.Find("#run-autotask-create").Length() != 0 {
		t.Fatal("still offers to create a ticket")
	}
	number = strings.TrimPrefix(number, "ticket ")

	// The mirror ticket follows the job: the next run shows it at once.
	if a := ops.get(fmt.Sprintf("/api/job-runs/%d/alerts", runs[1])); a.doc.Find(fmt.Sprintf(`.copy-button[data-copy=%q]`, number)).Length() != 1 ||
		a.text(".ticket-code") != number {
		t.Fatalf("run 2's alerts lack %s with its copy button: %s", number, a.body)
	}
	if p := ops.get("/tickets"); p.doc.Find(fmt.Sprintf(`.copy-button[data-copy=%q]`, number)).Length() != 1 {
		t.Fatal("the Tickets list has no copy button for the ticket number")
	}
	// Raising again for another run reuses the open ticket.
	r = create(runs[1])
	wantStatus(t, r, http.StatusOK)
	if len(fake.Calls("POST /ATServicesRest/v1.0/Tickets")) != 1 || !strings.Contains(r.text("#flash"), "now covers") ||
		r.text("#run-autotask-ticket") != "ticket "+number {
		t.Fatalf("not reused: flash %q, ticket %q", r.text("#flash"), r.text("#run-autotask-ticket"))
	}

	// A run that arrives while the ticket is open carries it (missed runs use the same path).
	newRunTicket := func(n int) string {
		t.Helper()
		if r := ops.upload(map[string][]byte{fmt.Sprintf("%d.eml", n): parserstest.Mail(n, "Failed", "Nightly")}); r.StatusCode != http.StatusOK {
			t.Fatalf("upload: %d", r.StatusCode)
		}
		var num *string
		if err := h.db.Bun.NewRaw("SELECT autotask_ticket_number FROM job_runs WHERE job_id = ? ORDER BY id DESC LIMIT 1", nightly).Scan(t.Context(), &num); err != nil {
			t.Fatal(err)
		}
		if num == nil {
			return ""
		}
		return *num
	}
	if got := newRunTicket(10); got != number {
		t.Fatalf("a new run carries Autotask ticket %q, want %q", got, number)
	}

	// Once the mirror is resolved, a new failure gets a new ticket.
	var internalID int64
	if err := h.db.Bun.NewRaw("SELECT id FROM tickets WHERE ticket_code = ? AND autotask_ticket_id IS NOT NULL", number).Scan(t.Context(), &internalID); err != nil {
		t.Fatal("no mirrored internal ticket: ", err)
	}
	wantStatus(t, ops.hx("POST", fmt.Sprintf("/tickets/ticket/%d/resolve", internalID), nil), http.StatusOK)
	if got := newRunTicket(11); got != "" {
		t.Fatalf("a run after resolving carries Autotask ticket %q", got)
	}
	wantStatus(t, create(runs[2]), http.StatusOK)
	if n := len(fake.Calls("POST /ATServicesRest/v1.0/Tickets")); n != 2 {
		t.Fatalf("%d tickets raised after resolving, want 2", n)
	}
	// autotask_sync: the second ticket is completed in Autotask, the first was deleted there.
	var second struct {
		ID     int64  `bun:"autotask_ticket_id"`
		Number string `bun:"autotask_ticket_number"`
	}
	if err := h.db.Bun.NewRaw("SELECT autotask_ticket_id, autotask_ticket_number FROM job_runs WHERE id = ?", runs[2]).Scan(t.Context(), &second); err != nil {
		t.Fatal(err)
	}
	if second.Number == number {
		t.Fatal("the run after resolving reused the resolved ticket")
	}
	rec := fake.Record("Tickets", second.ID)
	rec["status"] = 5
	fake.Add("Tickets", rec)
	var firstID int64
	if err := h.db.Bun.NewRaw("SELECT autotask_ticket_id FROM job_runs WHERE id = ?", runs[0]).Scan(t.Context(), &firstID); err != nil {
		t.Fatal(err)
	}
	fake.Remove("Tickets", firstID)
	// The first ticket's mirror is resolved already; reopen it so the sync looks at it.
	wantStatus(t, ops.hx("POST", fmt.Sprintf("/tickets/ticket/%d/reopen", internalID), nil), http.StatusOK)
	worker := &riverjobs.AutotaskSyncWorker{DB: h.db.Bun, Keys: h.app.keys, ZoneURLs: fake.Config().ZoneLookupURLs, Now: time.Now}
	if err := worker.Work(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	var resolved bool
	if err := h.db.Bun.NewRaw("SELECT resolved_at IS NOT NULL FROM tickets WHERE ticket_code = ?", second.Number).Scan(t.Context(), &resolved); err != nil || !resolved {
		t.Fatalf("the ticket completed in Autotask is not resolved (%v)", err)
	}
	var deleted int
	if err := h.db.Bun.NewRaw("SELECT count(*) FROM job_runs WHERE autotask_ticket_id = ? AND autotask_ticket_deleted_at IS NOT NULL", firstID).Scan(t.Context(), &deleted); err != nil || deleted != 3 {
		t.Fatalf("%d runs mark the deleted Autotask ticket as deleted, want 3 (%v)", deleted, err)
	}
	// A deleted ticket neither shows on its runs nor is inherited by new ones.
	if r := ops.hx("GET", fmt.Sprintf("/runchecks/runs/%d", runs[0]), nil); r.doc.Find("#run-autotask-create").Length() != 1 {
		t.Fatal("a run whose Autotask ticket was deleted does not offer a new one")
	}
	if got := newRunTicket(12); got != "" {
		t.Fatalf("a new run inherited %q", got)
	}
	// Its mirrored internal ticket is resolved as deleted in Autotask: it stops following
	// the job onto new runs, the Tickets list says why, and the next sync does not read
	// it again (nor audit it).
	var mirror struct {
		Resolved bool `bun:"resolved"`
		Deleted  bool `bun:"deleted"`
		Runs     int  `bun:"runs"`
	}
	if err := h.db.Bun.NewRaw(`SELECT t.resolved_at IS NOT NULL AS resolved, t.autotask_deleted_at IS NOT NULL AS deleted,
		(SELECT count(*) FROM ticket_job_runs l WHERE l.ticket_id = t.id
		  AND l.job_run_id = (SELECT max(id) FROM job_runs WHERE job_id = ?)) AS runs
		FROM tickets t WHERE t.id = ?`, nightly, internalID).Scan(t.Context(), &mirror); err != nil {
		t.Fatal(err)
	}
	if !mirror.Resolved || !mirror.Deleted || mirror.Runs != 0 {
		t.Fatalf("the deleted Autotask ticket's mirror: %+v, want resolved, deleted, not on the new run", mirror)
	}
	if r := ops.get("/tickets?state=resolved"); !strings.Contains(r.text("#tickets-table"), "deleted in Autotask") {
		t.Fatalf("the Tickets list does not say the ticket was deleted in Autotask:\n%s", r.text("#tickets-table"))
	}
	audits := func() int {
		var n int
		if err := h.db.Bun.NewRaw("SELECT count(*) FROM audit_log WHERE action = ?", psa.ActionSynced).Scan(t.Context(), &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	reads := len(fake.Calls("Tickets/query"))
	auditsBefore := audits()
	if err := worker.Work(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if audits() != auditsBefore || len(fake.Calls("Tickets/query")) != reads {
		t.Fatal("the next sync read or audited the deleted ticket again")
	}

	// Two operators raise a ticket for two runs of the job at the same moment: one
	// ticket is raised, and both runs carry it.
	var fresh []int64
	if err := h.db.Bun.NewRaw("SELECT id FROM job_runs WHERE job_id = ? AND autotask_ticket_id IS NULL ORDER BY id DESC LIMIT 2", nightly).Scan(t.Context(), &fresh); err != nil || len(fresh) != 2 {
		t.Fatalf("runs without a ticket: %v %v", fresh, err)
	}
	st, err := settings.Load(t.Context(), h.db.Bun)
	if err != nil {
		t.Fatal(err)
	}
	client, err := settings.AutotaskClient(st, h.app.keys, fake.Config().ZoneLookupURLs)
	if err != nil {
		t.Fatal(err)
	}
	defaults := psa.Defaults{QueueID: st.AutotaskQueueID, PriorityID: st.AutotaskPriorityID, StatusID: st.AutotaskStatusID}
	before := len(fake.Calls("POST /ATServicesRest/v1.0/Tickets"))
	results := make([]psa.Result, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, run := range fresh {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = psa.CreateTicketForRun(t.Context(), h.db.Bun, client, audit.Actor{Name: fmt.Sprint("op", i)}, defaults, run, time.Now())
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || results[0].TicketID != results[1].TicketID || results[0].Reused == results[1].Reused {
		t.Fatalf("simultaneous raises: %+v %v / %+v %v", results[0], errs[0], results[1], errs[1])
	}
	if n := len(fake.Calls("POST /ATServicesRest/v1.0/Tickets")) - before; n != 1 {
		t.Fatalf("%d tickets raised by two simultaneous requests, want 1", n)
	}

	// Raised in Autotask, but our database refuses the write: the error names the
	// ticket so that it can be entered by hand.
	if _, err := h.db.Bun.ExecContext(t.Context(), "UPDATE tickets SET resolved_at = now() WHERE autotask_ticket_id = ?", results[0].TicketID); err != nil {
		t.Fatal(err)
	}
	newRunTicket(13)
	var last int64
	if err := h.db.Bun.NewRaw("SELECT max(id) FROM job_runs WHERE job_id = ?", nightly).Scan(t.Context(), &last); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'disk full'; END$$",
		"CREATE TRIGGER refuse BEFORE INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION refuse()",
	} {
		if _, err := h.db.Bun.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	_, err = psa.CreateTicketForRun(t.Context(), h.db.Bun, client, audit.Actor{}, defaults, last, time.Now())
	if err == nil || !strings.Contains(err.Error(), "was raised but could not be stored here") || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("a failed write after raising: %v", err)
	}
	if _, err := h.db.Bun.ExecContext(t.Context(), "DROP TRIGGER refuse ON tickets"); err != nil {
		t.Fatal(err)
	}

	if a := admin.get("/audit"); !strings.Contains(a.body, "autotask.synced") || !strings.Contains(a.body, "autotask.ticket_created") || !strings.Contains(a.body, "autotask.ticket_reused") {
		t.Fatal("ticket raising is not audited")
	}
}
