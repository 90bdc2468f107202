package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/mail/graph/graphtest"
	"github.com/backupchecks/backupchecks/app/mail/mailbox"
	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/app/tasks"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
	"github.com/backupchecks/backupchecks/jobs"
)

// pgxTx is the transaction type of River's pgx driver.
type pgxTx = pgx.Tx

var testKeys = secrets.NewKeyring("test-secret-key-test-secret-key-0123")

// graphMailbox is a fake Graph mailbox with two backup reports waiting in Inbox.
func graphMailbox(t *testing.T) *graphtest.FakeServer {
	t.Helper()
	fake := graphtest.NewFakeServer(t)
	fake.AddFolder("Inbox/Processed")
	fake.AddMessage("Inbox", parserstest.Mail(1, "Success", "Nightly"), time.Now())
	fake.AddMessage("Inbox", parserstest.Mail(2, "Failed", "Nightly"), time.Now())
	return fake
}

// useGraph saves Settings → Imports for fake's mailbox (every 15 minutes) and, when
// last is set, records a previous import at last.
func useGraph(t *testing.T, d *db.DB, fake *graphtest.FakeServer, enabled bool, last *time.Time) {
	t.Helper()
	ctx := context.Background()
	if _, err := settings.UpdateImports(ctx, d.Bun, testKeys, audit.Actor{Name: "test"}, settings.ImportsInput{
		Source: settings.MailSourceGraph, Enabled: enabled, IntervalMinutes: "15", BatchSize: "50",
		GraphTenantID: fake.TenantID, GraphClientID: fake.ClientID, GraphClientSecret: fake.ClientSecret,
		GraphMailbox: fake.Mailbox, GraphSourceFolder: "Inbox", GraphProcessedFolder: "Inbox/Processed",
	}); err != nil {
		t.Fatalf("save import settings: %v", err)
	}
	if last != nil {
		if err := ingest.RecordImport(ctx, d.Bun, *last, ingest.ImportResult{}, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func importWorker(t *testing.T, d *db.DB, fake *graphtest.FakeServer, now time.Time) *rivertest.Worker[jobs.MailImportArgs, pgxTx] {
	t.Helper()
	return rivertest.NewWorker(t, riverpgxv5.New(d.Pool), &river.Config{}, &jobs.MailImportWorker{
		DB: d, Registry: parserstest.Registry(), Keys: testKeys,
		Sources: mailbox.Options{GraphLoginURL: fake.URL, GraphURL: fake.URL + "/v1.0"},
		Now:     func() time.Time { return now },
	})
}

// work runs args through w in a transaction rolled back at the end of the test and
// wants the job completed.
func work[T river.JobArgs](t *testing.T, d *db.DB, w *rivertest.Worker[T, pgxTx], args T) {
	t.Helper()
	ctx := context.Background()
	tx, err := d.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	res, err := w.Work(ctx, t, tx, args, nil)
	if err != nil {
		t.Fatalf("Work: %v", err)
	}
	if res.EventKind != river.EventKindJobCompleted {
		t.Fatalf("job ended as %s, want completed", res.EventKind)
	}
}

func lastImport(t *testing.T, d *db.DB) *db.SystemSettings {
	t.Helper()
	s, err := settings.Load(context.Background(), d.Bun)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A periodic tick imports only when the import is due; one that is not due does not
// even contact the mailbox.
func TestMailImportWorkerPeriodic(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	at := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	for _, tc := range []struct {
		name     string
		enabled  bool
		last     *time.Time
		imported bool
	}{
		{name: "not due: imported 5 minutes ago", enabled: true, last: at(5 * time.Minute)},
		{name: "not due: imports disabled", enabled: false},
		{name: "due: never imported", enabled: true, imported: true},
		{name: "due: interval passed", enabled: true, last: at(15 * time.Minute), imported: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := dbtest.New(t)
			fake := graphMailbox(t)
			useGraph(t, d, fake, tc.enabled, tc.last)
			work(t, d, importWorker(t, d, fake, now), jobs.MailImportArgs{})

			s := lastImport(t, d)
			moved := len(fake.Messages("Inbox/Processed"))
			if !tc.imported {
				if fake.TokenRequests() != 0 || len(fake.Calls()) != 0 || moved != 0 {
					t.Fatalf("a tick that is not due contacted the mailbox (%d calls) and moved %d mails", len(fake.Calls()), moved)
				}
				if (s.MailLastImportAt == nil) != (tc.last == nil) || (tc.last != nil && !s.MailLastImportAt.Equal(*tc.last)) {
					t.Fatalf("last import changed to %v", s.MailLastImportAt)
				}
				return
			}
			if moved != 2 {
				t.Fatalf("%d mails moved to Processed, want 2", moved)
			}
			if s.MailLastImportAt == nil || !s.MailLastImportAt.Equal(now) || !strings.Contains(s.MailLastImportResult, "2 fetched") {
				t.Fatalf("last import recorded as %v %q, want %v and 2 fetched", s.MailLastImportAt, s.MailLastImportResult, now)
			}
		})
	}
}

// "Import now" (a job with a TaskID) imports whether or not the periodic import is due
// and finishes its task with the result.
func TestMailImportWorkerManual(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	fake := graphMailbox(t)
	now := time.Now().Truncate(time.Second)
	recent := now.Add(-time.Minute)
	useGraph(t, d, fake, false, &recent)
	taskID, err := tasks.Insert(ctx, d.Pool, tasks.KindMailImport, 0)
	if err != nil {
		t.Fatal(err)
	}

	work(t, d, importWorker(t, d, fake, now), jobs.MailImportArgs{TaskID: taskID})

	got, err := tasks.Get(ctx, d.Bun, taskID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "done" || got.FinishedAt == nil || !strings.Contains(got.Message, "2 new") {
		t.Fatalf("task %s (finished %v): %q, want done with 2 new", got.Status, got.FinishedAt, got.Message)
	}
	if n := len(fake.Messages("Inbox/Processed")); n != 2 {
		t.Fatalf("%d mails moved to Processed, want 2", n)
	}
	n, err := d.Bun.NewSelect().Model((*db.MailMessage)(nil)).Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("%d mails stored, want 2", n)
	}
	if s := lastImport(t, d); s.MailLastImportAt == nil || !s.MailLastImportAt.Equal(now) {
		t.Fatalf("last import at %v, want %v", s.MailLastImportAt, now)
	}
}
