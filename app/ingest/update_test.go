package ingest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// TestCreateRunsUpdate: a report with Update replaces the result of its job's run for
// the same external id — status, message, time, objects — and the job's summary and
// the overrides follow; without Update it stays a copy (mail); a reviewed run keeps
// the result it was reviewed with.
func TestCreateRunsUpdate(t *testing.T) {
	d := dbtest.New(t)
	var cust, job int64
	if err := d.Bun.NewRaw("INSERT INTO customers (name) VALUES ('Acme') RETURNING id").Scan(ctx, &cust); err != nil {
		t.Fatal(err)
	}
	if err := d.Bun.NewRaw("INSERT INTO jobs (customer_id, job_name, backup_software, backup_type) VALUES (?, 'tenant-a / Repo', 'Veeam Cloud Connect', 'Backup') RETURNING id",
		cust).Scan(ctx, &job); err != nil {
		t.Fatal(err)
	}
	received := time.Date(2026, 3, 4, 6, 0, 0, 0, time.UTC)
	report := func(status, message string, update bool, objects ...parsers.Object) ingest.Report {
		return ingest.Report{Source: ingest.SourceCloudConnect, ExternalID: "vcc-tenant-a-backup-repo-2026-03-04", JobID: job,
			ReceivedAt: received, Update: update,
			Run: parsers.ParsedRun{Status: status, Message: message, Objects: objects}}
	}
	repo := func(status, figures string) parsers.Object {
		return parsers.Object{Name: "tenant-a / Repo", Type: "cloud_connect_repo", Status: status, Error: figures}
	}
	objects := func(runID int64) string {
		var got []string
		if err := d.Bun.NewRaw(`SELECT co.object_name || ' ' || l.status || ' ' || coalesce(l.error_message, '-')
			FROM run_object_links l JOIN customer_objects co ON co.id = l.customer_object_id
			WHERE l.job_run_id = ? ORDER BY 1`, runID).Scan(ctx, &got); err != nil {
			t.Fatal(err)
		}
		return strings.Join(got, "; ")
	}
	summary := func() string {
		var s string
		if err := d.Bun.NewRaw(`SELECT unreviewed_count || ' ' || coalesce(worst_unreviewed_status, '-') || ' ' || coalesce(last_run_status, '-')
			FROM jobs WHERE id = ?`, job).Scan(ctx, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	first, err := createRuns(t, d, report("Failed", "marked red", true, repo("Failed", "used 1 TB of 1 TB"),
		parsers.Object{Name: "extra", Status: "Warning"}))
	if err != nil {
		t.Fatal(err)
	}
	run := first[0].RunID
	if run == 0 || first[0].Copy || first[0].Updated {
		t.Fatalf("first report: %+v", first[0])
	}
	if got := summary(); got != "1 Failed Failed" {
		t.Fatalf("summary after the first report: %s", got)
	}

	// The same report imported again, now white: the run follows, nothing is added.
	later := received.Add(2 * time.Hour)
	again := report("Success", "", true, repo("Success", "used 500 GB of 1 TB"))
	again.ReceivedAt = later
	out, err := createRuns(t, d, again)
	if err != nil {
		t.Fatal(err)
	}
	if out[0] != (ingest.ReportOutcome{JobID: job, RunID: run, Updated: true}) {
		t.Fatalf("update: %+v", out[0])
	}
	var r struct {
		Status  string    `bun:"status"`
		Message *string   `bun:"message"`
		RunAt   time.Time `bun:"run_at"`
	}
	if err := d.Bun.NewRaw("SELECT status, message, run_at FROM job_runs WHERE id = ?", run).Scan(ctx, &r); err != nil {
		t.Fatal(err)
	}
	if r.Status != "Success" || r.Message != nil || !r.RunAt.Equal(later) {
		t.Fatalf("updated run: %+v", r)
	}
	if got := objects(run); got != "tenant-a / Repo Success used 500 GB of 1 TB" {
		t.Fatalf("objects after the update: %s", got)
	}
	if n := count(t, d, "SELECT count(*) FROM job_runs"); n != 1 {
		t.Fatalf("%d runs", n)
	}
	if got := summary(); got != "1 Success Success" {
		t.Fatalf("summary after the update: %s", got)
	}

	// Without Update (mail's way) a report of the same run is a copy: nothing changes.
	copyOut, err := createRuns(t, d, report("Failed", "x", false, repo("Failed", "y")))
	if err != nil {
		t.Fatal(err)
	}
	if copyOut[0] != (ingest.ReportOutcome{JobID: job, RunID: run, Copy: true}) || summary() != "1 Success Success" {
		t.Fatalf("copy: %+v, summary %s", copyOut[0], summary())
	}

	// An override for the new result applies to the updated run.
	if _, err := d.Bun.ExecContext(ctx, `INSERT INTO overrides (level, match_status, match_text, match_mode, treat_as_success)
		VALUES ('global', 'Warning', 'quota', 'contains', true)`); err != nil {
		t.Fatal(err)
	}
	if _, err := createRuns(t, d, report("Warning", "used 95% of the quota", true, repo("Warning", "used 950 GB of 1 TB"))); err != nil {
		t.Fatal(err)
	}
	var overridden *string
	if err := d.Bun.NewRaw("SELECT overridden_status FROM job_runs WHERE id = ?", run).Scan(ctx, &overridden); err != nil {
		t.Fatal(err)
	}
	if overridden == nil || *overridden != "Success" || summary() != "1 Success Success" {
		t.Fatalf("override after the update: %v, summary %s", overridden, summary())
	}
	// ... and no longer once the result no longer matches it.
	if _, err := createRuns(t, d, report("Failed", "repository offline", true)); err != nil {
		t.Fatal(err)
	}
	if got := summary(); got != "1 Failed Failed" {
		t.Fatalf("summary after the override stopped matching: %s", got)
	}
	if got := objects(run); got != "" {
		t.Fatalf("a report without objects leaves none: %s", got)
	}

	// Reviewed: the run keeps what was reviewed; the report is a copy.
	if _, err := d.Bun.ExecContext(ctx, "UPDATE job_runs SET reviewed_at = now() WHERE id = ?", run); err != nil {
		t.Fatal(err)
	}
	rev, err := createRuns(t, d, report("Success", "", true))
	if err != nil {
		t.Fatal(err)
	}
	if rev[0] != (ingest.ReportOutcome{JobID: job, RunID: run, Copy: true}) {
		t.Fatalf("reviewed run: %+v", rev[0])
	}
	if n := count(t, d, "SELECT count(*) FROM job_runs WHERE id = ? AND status = 'Failed'", run); n != 1 {
		t.Fatal("the reviewed run changed")
	}

	// Two reports of one new run in one call: the first is the run, the second a copy
	// (it does not update the run it was created with).
	two, err := createRuns(t, d,
		ingest.Report{Source: ingest.SourceCloudConnect, ExternalID: "vcc-b", JobID: job, ReceivedAt: received, Update: true, Run: parsers.ParsedRun{Status: "Failed"}},
		ingest.Report{Source: ingest.SourceCloudConnect, ExternalID: "vcc-b", JobID: job, ReceivedAt: received, Update: true, Run: parsers.ParsedRun{Status: "Success"}})
	if err != nil {
		t.Fatal(err)
	}
	if two[0].Updated || two[1] != (ingest.ReportOutcome{JobID: job, RunID: two[0].RunID, Copy: true}) {
		t.Fatalf("two reports of one run: %+v", two)
	}
}
