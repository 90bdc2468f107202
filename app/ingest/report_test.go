package ingest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// TestCreateRuns drives the source-neutral entry with reports of an integration (no
// mail): the job found by its id or its matching key, staging when none is known, one
// run per external id however often it is reported, objects with their own results
// and times, then the step after runs are created (the job's summary).
func TestCreateRuns(t *testing.T) {
	d := dbtest.New(t)
	acme := dbtest.Fixture(t, d).Customer("Acme")
	linked := acme.Job(dbtest.Job{Name: "LAPTOP-07", Software: "Cove Data Protection", Type: "Workstation", CoveAccountID: 4711}).ID
	keyed := acme.Job(dbtest.Job{Name: "Tenant A", Software: "Veeam Cloud Connect", Type: "Backup", From: "cc01.example.net"}).ID
	archivedAt := time.Now()
	archived := acme.Job(dbtest.Job{Name: "Old", Software: "Cove Data Protection", Type: "Server", ArchivedAt: &archivedAt}).ID
	started := time.Date(2026, 3, 2, 22, 0, 0, 0, time.UTC)
	ended, seen := started.Add(40*time.Minute), started.Add(25*time.Minute)
	session := func(id, status string, objects ...parsers.Object) ingest.Report {
		return ingest.Report{Source: ingest.SourceCove, ExternalID: id, JobID: linked, ReceivedAt: ended.Add(time.Hour),
			Run: parsers.ParsedRun{BackupSoftware: "Cove Data Protection", BackupType: "Workstation", JobName: "LAPTOP-07",
				Status: status, StartedAt: &started, EndedAt: &ended, Host: "LAPTOP-07", Message: "2 of 3 sources ok", Objects: objects}}
	}
	first := session("cove:4711:1001", parsers.StatusFailed,
		parsers.Object{Name: "Files and folders", Type: "Data source", Status: parsers.StatusSuccess, ObservedAt: &seen},
		parsers.Object{Name: "System state", Type: "Data source", Status: parsers.StatusWarning, Error: "VSS timed out"},
		parsers.Object{Name: "System state", Type: "Data source", Status: parsers.StatusFailed, Error: "VSS failed"},
	)
	byKey := ingest.Report{Source: ingest.SourceCloudConnect, ExternalID: "cc:tenant-a:7", From: "CC01.example.net",
		ReceivedAt: started.Add(2 * time.Hour),
		Run:        parsers.ParsedRun{BackupSoftware: "Veeam Cloud Connect", BackupType: "Backup", JobName: "Tenant A", Status: parsers.StatusSuccess}}
	unknown := byKey
	unknown.ExternalID, unknown.Run.JobName = "cc:tenant-b:1", "Tenant B"
	toArchived := session("cove:9:1", parsers.StatusSuccess)
	toArchived.JobID = archived

	out, err := createRuns(t, d, first, byKey, unknown, toArchived, session("cove:4711:1001", parsers.StatusFailed))
	if err != nil {
		t.Fatal(err)
	}
	if out[0].JobID != linked || out[0].RunID == 0 || out[0].Copy {
		t.Fatalf("the linked job's report: %+v", out[0])
	}
	if out[1].JobID != keyed || out[1].RunID == 0 || out[1].Copy {
		t.Fatalf("the report matched by its key: %+v", out[1])
	}
	if out[2] != (ingest.ReportOutcome{}) || out[3] != (ingest.ReportOutcome{}) {
		t.Fatalf("reports of no (active) job are staged: %+v %+v", out[2], out[3])
	}
	if out[4] != (ingest.ReportOutcome{JobID: linked, RunID: out[0].RunID, Copy: true}) {
		t.Fatalf("the same session twice in one call: %+v", out[4])
	}

	var run struct {
		Status     string    `bun:"status"`
		Source     string    `bun:"source_type"`
		ExternalID string    `bun:"external_id"`
		RunAt      time.Time `bun:"run_at"`
		Host       string    `bun:"host"`
		MailID     *int64    `bun:"mail_message_id"`
	}
	if err := d.Bun.NewRaw("SELECT status, source_type, external_id, run_at, host, mail_message_id FROM job_runs WHERE id = ?",
		out[0].RunID).Scan(ctx, &run); err != nil {
		t.Fatal(err)
	}
	if run.Status != "Failed" || run.Source != "cove_api" || run.ExternalID != "cove:4711:1001" || !run.RunAt.Equal(started) ||
		run.Host != "LAPTOP-07" || run.MailID != nil {
		t.Fatalf("run = %+v", run)
	}

	var objects []string
	if err := d.Bun.NewRaw(`
		SELECT co.object_name || ' ' || coalesce(l.status, '-') || ' ' || coalesce(l.error_message, '-') || ' ' ||
		       to_char(jl.first_seen_at AT TIME ZONE 'UTC', 'HH24:MI') || ' ' || to_char(co.last_seen_at AT TIME ZONE 'UTC', 'HH24:MI')
		FROM run_object_links l JOIN customer_objects co ON co.id = l.customer_object_id
		JOIN job_object_links jl ON jl.customer_object_id = co.id AND jl.job_id = ?
		WHERE l.job_run_id = ? ORDER BY co.object_name`, linked, out[0].RunID).Scan(ctx, &objects); err != nil {
		t.Fatal(err)
	}
	want := []string{"Files and folders Success - 22:25 22:25", "System state Failed VSS failed 22:00 22:00"}
	if strings.Join(objects, "; ") != strings.Join(want, "; ") {
		t.Fatalf("objects:\n got %q\nwant %q", objects, want)
	}

	// Reported again (the next poll): the same run, nothing added.
	again, err := createRuns(t, d, first, byKey)
	if err != nil {
		t.Fatal(err)
	}
	if again[0] != (ingest.ReportOutcome{JobID: linked, RunID: out[0].RunID, Copy: true}) ||
		again[1] != (ingest.ReportOutcome{JobID: keyed, RunID: out[1].RunID, Copy: true}) {
		t.Fatalf("reported again: %+v", again)
	}
	if n := count(t, d, "SELECT count(*) FROM job_runs"); n != 2 {
		t.Fatalf("%d runs, want 2", n)
	}
	if n := count(t, d, "SELECT count(*) FROM run_object_links"); n != 2 {
		t.Fatalf("%d run objects, want 2", n)
	}
	// The step after runs are created kept the summaries: each run counted once.
	if n := count(t, d, "SELECT unreviewed_count FROM jobs WHERE id = ? AND worst_unreviewed_status = 'Failed' AND last_run_at = ?", linked, started); n != 1 {
		t.Fatalf("the linked job's summary counts %d runs", n)
	}

	// A report the entry cannot store is refused before anything is written.
	bad := session("cove:4711:1002", "Partially failed")
	if _, err := createRuns(t, d, bad); err == nil || !strings.Contains(err.Error(), "unknown status") {
		t.Fatalf("unknown status: err = %v", err)
	}
	noID := session("", parsers.StatusSuccess)
	if _, err := createRuns(t, d, noID); err == nil || !strings.Contains(err.Error(), "without an external id") {
		t.Fatalf("no external id: err = %v", err)
	}
}

func createRuns(t *testing.T, d *db.DB, reports ...ingest.Report) ([]ingest.ReportOutcome, error) {
	t.Helper()
	tx, err := d.Bun.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ingest.CreateRuns(ctx, tx, reports)
	if err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return out, nil
}

// A backfilled report (reconstructed history) becomes a run that arrives reviewed and
// marked as backfilled: it never enters the unreviewed count, yet it is the job's
// last run when it is the latest.
func TestCreateRunsBackfilled(t *testing.T) {
	d := dbtest.New(t)
	var cust, job int64
	if err := d.Bun.NewRaw("INSERT INTO customers (name) VALUES ('Acme') RETURNING id").Scan(ctx, &cust); err != nil {
		t.Fatal(err)
	}
	if err := d.Bun.NewRaw("INSERT INTO jobs (customer_id, job_name, backup_software, backup_type, cove_account_id) VALUES (?, 'SRV-01', 'Cove Data Protection', 'Server', 5) RETURNING id", cust).Scan(ctx, &job); err != nil {
		t.Fatal(err)
	}
	day := func(n int, status string, backfilled bool) ingest.Report {
		at := time.Date(2026, 3, n, 22, 0, 0, 0, time.UTC)
		return ingest.Report{Source: ingest.SourceCove, ExternalID: "cove-colorbar-5-" + at.Format(time.DateOnly), JobID: job,
			ReceivedAt: at, Backfilled: backfilled, Run: parsers.ParsedRun{Status: status}}
	}
	out, err := createRuns(t, d, day(1, parsers.StatusFailed, true), day(2, parsers.StatusSuccess, true))
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, d, "SELECT count(*) FROM job_runs WHERE id IN (?, ?) AND backfilled AND reviewed_at IS NOT NULL AND reviewed_by IS NULL",
		out[0].RunID, out[1].RunID); n != 2 {
		t.Fatalf("%d of 2 backfilled runs arrived reviewed and marked", n)
	}
	last := time.Date(2026, 3, 2, 22, 0, 0, 0, time.UTC)
	if n := count(t, d, "SELECT count(*) FROM jobs WHERE id = ? AND unreviewed_count = 0 AND worst_unreviewed_status IS NULL AND last_run_at = ? AND last_run_status = 'Success'",
		job, last); n != 1 {
		t.Fatal("backfilled runs: the summary counts them as work, or misses the last run")
	}
	// A reported run beside them: it is work; the backfilled ones stay history.
	if _, err := createRuns(t, d, day(3, parsers.StatusWarning, false)); err != nil {
		t.Fatal(err)
	}
	if n := count(t, d, "SELECT count(*) FROM jobs WHERE id = ? AND unreviewed_count = 1 AND worst_unreviewed_status = 'Warning' AND last_run_status = 'Warning'", job); n != 1 {
		t.Fatal("a reported run after backfilled ones: summary wrong")
	}
	if n := count(t, d, "SELECT count(*) FROM job_runs WHERE NOT backfilled AND reviewed_at IS NULL"); n != 1 {
		t.Fatal("the reported run is not open work")
	}
}
