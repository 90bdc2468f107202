package jobs_test

import (
	"archive/zip"
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/mail/graph"
	"github.com/backupchecks/backupchecks/app/mail/graph/graphtest"
	"github.com/backupchecks/backupchecks/app/outbound"
	"github.com/backupchecks/backupchecks/app/reports"
	"github.com/backupchecks/backupchecks/app/tasks"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
	"github.com/backupchecks/backupchecks/jobs"
)

// reportData is two customers with a job each and a run a day in February 2026, and a
// monthly definition for both with recipients.
func reportData(t *testing.T, d *db.DB) (defID int64) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO customers (name) VALUES ('Müller GmbH'), ('Łódź Logistics')`,
		`INSERT INTO jobs (customer_id, job_name, backup_software, backup_type) SELECT id, 'Nightly', 'Veeam', 'Backup Job' FROM customers`,
		`INSERT INTO job_runs (job_id, status, source_type, external_id, run_at)
		 SELECT j.id, 'Success', 'email', 'r' || d::date, d + interval '21 hours'
		 FROM jobs j, generate_series('2026-02-01'::timestamptz, '2026-02-28', interval '1 day') d`,
	} {
		if _, err := d.Bun.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var ids []int64
	if err := d.Bun.NewRaw("SELECT id FROM customers ORDER BY id").Scan(ctx, &ids); err != nil {
		t.Fatal(err)
	}
	def, err := reports.SaveDefinition(ctx, d.Bun, audit.Actor{Name: "test"}, 0, reports.DefinitionInput{
		Name: "Monthly", CustomerIDs: ids, Period: reports.PeriodPreviousMonth, ShowJobs: true, ShowGrid: true,
		ShowTrend: true, ShowFailures: true, Schedule: reports.ScheduleMonthly,
		Recipients: "Müller GmbH: it@mueller.example\nŁódź Logistics: it@lodz.example",
	}, time.Date(2026, 2, 3, 9, 0, 0, 0, time.UTC), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return def.ID
}

// A large report is built by its River job: progress on the task, a ZIP with one PDF
// per customer kept for download, removed by the cleanup once its retention ended.
func TestReportGenerateWorker(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	defID := reportData(t, d)
	taskID, err := tasks.Insert(ctx, d.Pool, reports.TaskKind, 0)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 8, 0, 0, 0, time.UTC)
	w := rivertest.NewWorker(t, riverpgxv5.New(d.Pool), &river.Config{},
		&jobs.ReportGenerateWorker{DB: d, Now: func() time.Time { return now }})
	work(t, d, w, jobs.ReportGenerateArgs{TaskID: taskID, DefinitionID: defID, Format: reports.FormatPDF})

	got, err := tasks.Get(ctx, d.Bun, taskID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "done" || !strings.HasPrefix(got.Message, "Built monthly-2026-02-01-to-2026-02-28.zip") || got.Done != 2 {
		t.Fatalf("task %s %d: %q", got.Status, got.Done, got.Message)
	}
	f, err := reports.FileForTask(ctx, d.Bun, taskID, now)
	if err != nil || f == nil {
		t.Fatalf("no file: %v", err)
	}
	full, err := reports.GetFile(ctx, d.Bun, f.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(full.Data), int64(len(full.Data)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, zf := range zr.File {
		names = append(names, zf.Name)
	}
	if strings.Join(names, ",") != "monthly-2026-02-01-to-2026-02-28-müller-gmbh.pdf,monthly-2026-02-01-to-2026-02-28-łódź-logistics.pdf" &&
		strings.Join(names, ",") != "monthly-2026-02-01-to-2026-02-28-łódź-logistics.pdf,monthly-2026-02-01-to-2026-02-28-müller-gmbh.pdf" {
		t.Errorf("zip entries %v", names)
	}

	// Kept for the retention days (7 by default), then cleaned up.
	cleanup := rivertest.NewWorker(t, riverpgxv5.New(d.Pool), &river.Config{},
		&jobs.ReportFilesCleanupWorker{DB: d, Now: func() time.Time { return now.Add(6 * 24 * time.Hour) }})
	work(t, d, cleanup, jobs.ReportFilesCleanupArgs{})
	if _, err := reports.GetFile(ctx, d.Bun, f.ID, now); err != nil {
		t.Fatalf("deleted before its retention ended: %v", err)
	}
	cleanup = rivertest.NewWorker(t, riverpgxv5.New(d.Pool), &river.Config{},
		&jobs.ReportFilesCleanupWorker{DB: d, Now: func() time.Time { return now.Add(7*24*time.Hour + time.Second) }})
	work(t, d, cleanup, jobs.ReportFilesCleanupArgs{})
	var left int
	if err := d.Bun.NewRaw("SELECT count(*) FROM report_files").Scan(ctx, &left); err != nil || left != 0 {
		t.Errorf("%d files left after their retention (%v)", left, err)
	}
}

// The schedule sweep plans February on March 1st and enqueues one delivery job per
// customer; the delivery job mails the PDF through Graph sendMail.
func TestReportScheduleAndDeliver(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	reportData(t, d)
	if _, err := d.Bun.ExecContext(ctx, "UPDATE report_settings SET delivery_channel = 'graph', company_name = 'MSP'"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Bun.ExecContext(ctx, "UPDATE system_settings SET ui_timezone = 'UTC'"); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
	sweep := rivertest.NewWorker(t, riverpgxv5.New(d.Pool), &river.Config{},
		&jobs.ReportScheduleWorker{DB: d, Now: func() time.Time { return now }})
	tx, err := d.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := sweep.Work(ctx, t, tx, jobs.ReportScheduleArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	queued := rivertest.RequireManyInsertedTx[*riverpgxv5.Driver](ctx, t, tx, []rivertest.ExpectedJob{
		{Args: jobs.ReportDeliverArgs{}}, {Args: jobs.ReportDeliverArgs{}},
	})
	if len(queued) != 2 {
		t.Fatalf("%d deliveries enqueued", len(queued))
	}

	fake := graphtest.NewFakeServer(t)
	sender, err := graph.NewSender(fake.Config("", ""))
	if err != nil {
		t.Fatal(err)
	}
	deliver := rivertest.NewWorker(t, riverpgxv5.New(d.Pool), &river.Config{},
		&jobs.ReportDeliverWorker{DB: d, Now: func() time.Time { return now }, Mailer: outbound.GraphMailer{Sender: sender}})
	var ids []int64
	if err := d.Bun.NewRaw("SELECT id FROM report_deliveries ORDER BY id").Scan(ctx, &ids); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		work(t, d, deliver, jobs.ReportDeliverArgs{DeliveryID: id})
	}
	sent := fake.Sent()
	if len(sent) != 2 || len(sent[0].Attachments) != 1 || !bytes.HasPrefix(sent[0].Attachments[0].Data, []byte("%PDF-")) {
		t.Fatalf("sent %d mails: %+v", len(sent), sent)
	}
	var statuses []string
	if err := d.Bun.NewRaw("SELECT status FROM report_deliveries ORDER BY id").Scan(ctx, &statuses); err != nil || strings.Join(statuses, ",") != "sent,sent" {
		t.Errorf("statuses %v %v", statuses, err)
	}
}
