package jobs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"
	"github.com/riverqueue/river/rivertype"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/autotask/autotasktest"
	"github.com/backupchecks/backupchecks/app/psa"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
	"github.com/backupchecks/backupchecks/jobs"
)

// autotaskWorld is a job whose runs carry Autotask tickets mirrored by internal ones:
// one still open in Autotask, one completed there, one deleted there, and one whose
// mirror is resolved already (the sync leaves it alone).
type autotaskWorld struct {
	d    *db.DB
	fake *autotasktest.Server
	// Autotask ticket ids.
	open, completed, deleted, resolved int64
	job                                *dbtest.JobRef
}

func newAutotaskWorld(t *testing.T) *autotaskWorld {
	t.Helper()
	w := &autotaskWorld{d: dbtest.New(t), fake: autotasktest.NewServer(t)}
	company := w.fake.AddCompany("Acme Corp", true)
	w.open = w.fake.AddTicket(company, "Nightly failed", 1)
	w.completed = w.fake.AddTicket(company, "Weekly failed", 5)
	w.deleted = w.fake.AddTicket(company, "Old failure", 1)
	w.fake.Remove("Tickets", w.deleted)
	w.resolved = w.fake.AddTicket(company, "Long ago", 5)

	at := time.Date(2026, 3, 2, 22, 0, 0, 0, time.UTC)
	w.job = dbtest.Fixture(t, w.d).Customer("Acme").Job(dbtest.Job{Name: "Nightly"})
	for i, id := range []int64{w.open, w.completed, w.deleted, w.deleted, w.resolved} {
		w.job.Run(dbtest.Run{Status: db.StatusFailed, At: at.Add(time.Duration(i) * time.Hour),
			AutotaskTicketID: id, AutotaskTicketNumber: fmt.Sprintf("T%d", id)})
	}
	for _, id := range []int64{w.open, w.completed, w.deleted} {
		if _, err := w.d.Bun.ExecContext(context.Background(), "INSERT INTO tickets (ticket_code, autotask_ticket_id) VALUES (?, ?)",
			fmt.Sprintf("T%d", id), id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.d.Bun.ExecContext(context.Background(), "INSERT INTO tickets (ticket_code, autotask_ticket_id, resolved_at) VALUES (?, ?, ?)",
		fmt.Sprintf("T%d", w.resolved), w.resolved, at); err != nil {
		t.Fatal(err)
	}
	return w
}

// useAutotask saves Settings → Integrations → Autotask for the fake, with secret.
func (w *autotaskWorld) useAutotask(t *testing.T, enabled bool, secret string) {
	t.Helper()
	if _, err := settings.UpdateAutotask(context.Background(), w.d.Bun, testKeys, audit.Actor{Name: "test"}, settings.AutotaskInput{
		Enabled: enabled, Environment: settings.AutotaskProduction, Username: autotasktest.Username, Secret: secret,
		IntegrationCode: autotasktest.IntegrationCode, BaseURL: "https://bc.example.com",
	}); err != nil {
		t.Fatalf("save Autotask settings: %v", err)
	}
}

func (w *autotaskWorld) worker(t *testing.T, now time.Time) *rivertest.Worker[jobs.AutotaskSyncArgs, pgxTx] {
	return rivertest.NewWorker(t, riverpgxv5.New(w.d.Pool), &river.Config{}, &jobs.AutotaskSyncWorker{
		DB: w.d.Bun, Keys: testKeys, ZoneURLs: w.fake.Config().ZoneLookupURLs, Now: func() time.Time { return now }})
}

// ticketState is an internal ticket's state, found by its Autotask id.
type ticketState struct {
	Resolved *time.Time `bun:"resolved_at"`
	Deleted  *time.Time `bun:"autotask_deleted_at"`
	// Runs carrying the Autotask ticket that mark it deleted there.
	RunsMarked int `bun:"runs_marked"`
}

func (w *autotaskWorld) ticket(t *testing.T, autotaskID int64) ticketState {
	t.Helper()
	var s ticketState
	if err := w.d.Bun.NewRaw(`SELECT resolved_at, autotask_deleted_at,
		(SELECT count(*) FROM job_runs WHERE autotask_ticket_id = ?0 AND autotask_ticket_deleted_at IS NOT NULL) AS runs_marked
		FROM tickets WHERE autotask_ticket_id = ?0`, autotaskID).Scan(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func (w *autotaskWorld) syncAudits(t *testing.T) int {
	t.Helper()
	var n int
	if err := w.d.Bun.NewRaw("SELECT count(*) FROM audit_log WHERE action = ?", psa.ActionSynced).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAutotaskSyncWorker: a pass resolves the internal tickets whose Autotask ticket
// was completed, resolves and marks (on the ticket and its runs) those deleted in
// Autotask, leaves open ones open, and audits what it did; it only reads Autotask. The
// next pass reads only the tickets still open and, changing nothing, audits nothing.
func TestAutotaskSyncWorker(t *testing.T) {
	w := newAutotaskWorld(t)
	w.useAutotask(t, true, autotasktest.Secret)
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	worker := w.worker(t, now)

	work(t, w.d, worker, jobs.AutotaskSyncArgs{})

	if s := w.ticket(t, w.completed); s.Resolved == nil || !s.Resolved.Equal(now) || s.Deleted != nil || s.RunsMarked != 0 {
		t.Errorf("completed in Autotask: %+v, want resolved at %s, not marked deleted", s, now)
	}
	if s := w.ticket(t, w.deleted); s.Resolved == nil || !s.Resolved.Equal(now) || s.Deleted == nil || !s.Deleted.Equal(now) || s.RunsMarked != 2 {
		t.Errorf("deleted in Autotask: %+v, want resolved and marked deleted at %s, on both its runs", s, now)
	}
	if s := w.ticket(t, w.open); s.Resolved != nil || s.Deleted != nil || s.RunsMarked != 0 {
		t.Errorf("open in Autotask: %+v, want it left open", s)
	}
	if s := w.ticket(t, w.resolved); s.Resolved == nil || s.Resolved.Equal(now) {
		t.Errorf("resolved before the pass: %+v, want it left as it was", s)
	}
	if n := w.syncAudits(t); n != 1 {
		t.Errorf("%d audit entries of the sync, want 1", n)
	}
	for _, r := range w.fake.Requests {
		if r.Method != "GET" && !strings.HasSuffix(r.Path, "/query") {
			t.Errorf("the sync wrote to Autotask: %s %s", r.Method, r.Path)
		}
	}

	queries := len(w.fake.Calls("Tickets/query"))
	work(t, w.d, worker, jobs.AutotaskSyncArgs{})
	calls := w.fake.Calls("Tickets/query")
	if len(calls) != queries+1 {
		t.Fatalf("the second pass made %d ticket queries, want 1", len(calls)-queries)
	}
	last := calls[len(calls)-1].Body
	if !strings.Contains(last, fmt.Sprint(w.open)) || strings.Contains(last, fmt.Sprint(w.completed)) || strings.Contains(last, fmt.Sprint(w.deleted)) {
		t.Errorf("the second pass asked for %s, want the open ticket %d only", last, w.open)
	}
	if n := w.syncAudits(t); n != 1 {
		t.Errorf("a pass that changed nothing was audited (%d entries)", n)
	}
}

// With the integration off the worker completes without contacting Autotask.
func TestAutotaskSyncWorkerOff(t *testing.T) {
	w := newAutotaskWorld(t)
	w.useAutotask(t, false, autotasktest.Secret)

	work(t, w.d, w.worker(t, time.Now()), jobs.AutotaskSyncArgs{})

	if n := len(w.fake.Requests); n != 0 {
		t.Fatalf("%d requests to Autotask while the integration is off", n)
	}
	if s := w.ticket(t, w.completed); s.Resolved != nil {
		t.Fatalf("a ticket was resolved while the integration is off: %+v", s)
	}
}

// When Autotask refuses the saved credentials the job fails, to be retried by River,
// with Autotask's answer in its error, and nothing changes.
func TestAutotaskSyncWorkerRefused(t *testing.T) {
	w := newAutotaskWorld(t)
	w.useAutotask(t, true, "not-the-secret")
	ctx := context.Background()
	tx, err := w.d.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })

	res, err := w.worker(t, time.Now()).Work(ctx, t, tx, jobs.AutotaskSyncArgs{}, nil)
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("Work: %v, want Autotask's 401", err)
	}
	// Retried: scheduled again (River makes an early retry available at once), not discarded.
	if st := res.Job.State; res.EventKind != river.EventKindJobFailed || (st != rivertype.JobStateRetryable && st != rivertype.JobStateAvailable) {
		t.Fatalf("job ended as %s (%s), want failed and to be retried", res.EventKind, st)
	}
	for _, id := range []int64{w.completed, w.deleted} {
		if s := w.ticket(t, id); s.Resolved != nil || s.Deleted != nil || s.RunsMarked != 0 {
			t.Fatalf("ticket %d changed by a refused sync: %+v", id, s)
		}
	}
	if n := w.syncAudits(t); n != 0 {
		t.Fatalf("a refused sync was audited (%d entries)", n)
	}
}
