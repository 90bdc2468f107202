package jobs_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/cove"
	"github.com/backupchecks/backupchecks/app/cove/covetest"
	"github.com/backupchecks/backupchecks/app/metrics"
	"github.com/backupchecks/backupchecks/app/tasks"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
	"github.com/backupchecks/backupchecks/jobs"
)

// useCove saves Settings → Integrations → Cove for fake (every 30 minutes) and, when
// last is set, records a previous import at last.
func useCove(t *testing.T, d *db.DB, fake *covetest.Server, importEnabled bool, password string, last *time.Time) {
	t.Helper()
	ctx := context.Background()
	if _, err := cove.UpdateSettings(ctx, d.Bun, testKeys, audit.Actor{Name: "test"}, cove.Input{
		Enabled: true, APIURL: fake.URL, Username: covetest.Username, Password: password, ImportEnabled: importEnabled,
		IntervalMinutes: "30", WarningDays: "3", FailedDays: "7",
	}); err != nil {
		t.Fatalf("save cove settings: %v", err)
	}
	if last != nil {
		if err := cove.RecordImport(ctx, d.Bun, *last, cove.ImportResult{}, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// coveImports reads the metric of Cove import passes that failed or not.
func coveImports(t *testing.T, failed bool) float64 {
	t.Helper()
	result := "ok"
	if failed {
		result = "error"
	}
	rec := httptest.NewRecorder()
	metrics.Handler(metrics.Process{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	prefix := `backupchecks_imports_total{result="` + result + `",source="cove"} `
	for line := range strings.Lines(rec.Body.String()) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no %s in the metrics", prefix)
	return 0
}

func coveWorker(t *testing.T, d *db.DB, now time.Time) *rivertest.Worker[jobs.CoveImportArgs, pgxTx] {
	t.Helper()
	return rivertest.NewWorker(t, riverpgxv5.New(d.Pool), &river.Config{}, &jobs.CoveImportWorker{
		DB: d, Keys: testKeys, Now: func() time.Time { return now },
		Client: func(c *cove.Config) { c.Sleep = func(context.Context, time.Duration) error { return nil } },
	})
}

// A periodic tick imports only when due; one that is not due does not contact Cove.
func TestCoveImportWorkerPeriodic(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	at := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	for _, tc := range []struct {
		name     string
		enabled  bool
		last     *time.Time
		imported bool
	}{
		{name: "not due: imported 10 minutes ago", enabled: true, last: at(10 * time.Minute)},
		{name: "not due: automatic import off", enabled: false},
		{name: "due: never imported", enabled: true, imported: true},
		{name: "due: interval passed", enabled: true, last: at(30 * time.Minute), imported: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := dbtest.New(t)
			fake := covetest.New(t)
			fake.SetAccounts(covetest.Fleet(3, now.Add(-time.Hour)))
			useCove(t, d, fake, tc.enabled, covetest.Password, tc.last)
			work(t, d, coveWorker(t, d, now), jobs.CoveImportArgs{})

			s := lastImport(t, d)
			if !tc.imported {
				if len(fake.Requests()) != 0 {
					t.Fatalf("a tick that is not due called Cove %d times", len(fake.Requests()))
				}
				return
			}
			if s.CoveLastImportAt == nil || !s.CoveLastImportAt.Equal(now) || !strings.Contains(s.CoveLastImportResult, "3 accounts (3 new)") ||
				s.CovePartnerID == nil || *s.CovePartnerID != covetest.PartnerID {
				t.Fatalf("last import recorded as %v %q partner %v", s.CoveLastImportAt, s.CoveLastImportResult, s.CovePartnerID)
			}
		})
	}
}

// "Run import now" imports whether or not the periodic import is due and finishes its
// task with the result; a failure finishes it as failed, with Cove's reason.
func TestCoveImportWorkerManual(t *testing.T) {
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	for _, tc := range []struct {
		name, password, status, message string
	}{
		{"imports", covetest.Password, "done", "Import finished: 3 accounts (3 new)"},
		{"wrong password", "wrong", "failed", "Cove refused the user name or password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := dbtest.New(t)
			fake := covetest.New(t)
			fake.SetAccounts(covetest.Fleet(3, now.Add(-time.Hour)))
			recent := now.Add(-time.Minute)
			useCove(t, d, fake, false, tc.password, &recent)
			taskID, err := tasks.Insert(ctx, d.Pool, cove.TaskKind, 0)
			if err != nil {
				t.Fatal(err)
			}
			tx, err := d.Pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx) //nolint:errcheck
			before := coveImports(t, tc.status == "failed")
			res, err := coveWorker(t, d, now).Work(ctx, t, tx, jobs.CoveImportArgs{TaskID: taskID}, nil)
			if tc.status == "done" && (err != nil || res.EventKind != river.EventKindJobCompleted) {
				t.Fatalf("Work: %v %v", res, err)
			}
			if tc.status == "failed" && (res == nil || res.EventKind != river.EventKindJobCancelled) {
				t.Fatalf("a failed manual import is not retried by itself: %v %v", res, err)
			}
			if after := coveImports(t, tc.status == "failed"); after != before+1 {
				t.Errorf("cove imports counted %v, want %v", after, before+1)
			}
			got, err := tasks.Get(ctx, d.Bun, taskID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.status || got.FinishedAt == nil || !strings.Contains(got.Message, tc.message) {
				t.Fatalf("task %s: %q, want %s with %q", got.Status, got.Message, tc.status, tc.message)
			}
			s := lastImport(t, d)
			if s.CoveLastImportAt == nil || !s.CoveLastImportAt.Equal(now) || s.CoveLastImportFailed != (tc.status == "failed") {
				t.Fatalf("last import %v %q failed=%v", s.CoveLastImportAt, s.CoveLastImportResult, s.CoveLastImportFailed)
			}
		})
	}
}
