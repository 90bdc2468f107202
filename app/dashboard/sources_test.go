package dashboard_test

import (
	"context"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/dashboard"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

func TestMailImportSource(t *testing.T) {
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) *time.Time { at := now.Add(-d); return &at }
	for _, tc := range []struct {
		name string
		s    db.SystemSettings
		want string // "" when the source is left out
		red  bool
	}{
		{"off", db.SystemSettings{MailSource: "graph", MailImportEnabled: false}, "", false},
		{"no source", db.SystemSettings{MailSource: "none", MailImportEnabled: true}, "", false},
		{"never", db.SystemSettings{MailSource: "imap", MailImportEnabled: true, MailImportIntervalMinutes: 15}, dashboard.SourceNever, false},
		{"ok", db.SystemSettings{MailSource: "graph", MailImportEnabled: true, MailImportIntervalMinutes: 15,
			MailLastImportAt: ago(20 * time.Minute), MailLastImportResult: "3 fetched"}, dashboard.SourceOK, false},
		{"failed", db.SystemSettings{MailSource: "graph", MailImportEnabled: true, MailImportIntervalMinutes: 15,
			MailLastImportAt: ago(time.Minute), MailLastImportResult: "failed: graph: 401 InvalidAuthenticationToken"}, dashboard.SourceFailed, true},
		{"overdue", db.SystemSettings{MailSource: "graph", MailImportEnabled: true, MailImportIntervalMinutes: 15,
			MailLastImportAt: ago(2 * time.Hour), MailLastImportResult: "3 fetched"}, dashboard.SourceOverdue, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, ok, err := dashboard.MailImportSource(context.Background(), nil, &tc.s, now)
			if err != nil {
				t.Fatal(err)
			}
			if ok != (tc.want != "") || src.State != tc.want || src.Red() != tc.red {
				t.Fatalf("got %+v (shown %v), want state %q red %v", src, ok, tc.want, tc.red)
			}
		})
	}
}

// TestCoveImportSource: shown while Cove is enabled; red when the last import failed,
// or when the automatic import is on and quiet for a few of its intervals.
func TestCoveImportSource(t *testing.T) {
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) *time.Time { at := now.Add(-d); return &at }
	cove := func(c db.CoveSettings) db.SystemSettings { return db.SystemSettings{CoveSettings: c} }
	for _, tc := range []struct {
		name string
		s    db.SystemSettings
		want string // "" when the source is left out
		red  bool
	}{
		{"off", cove(db.CoveSettings{CoveImportEnabled: true, CoveLastImportAt: ago(time.Minute)}), "", false},
		{"never", cove(db.CoveSettings{CoveEnabled: true, CoveImportEnabled: true, CoveImportIntervalMinutes: 60}), dashboard.SourceNever, false},
		{"ok", cove(db.CoveSettings{CoveEnabled: true, CoveImportEnabled: true, CoveImportIntervalMinutes: 60,
			CoveLastImportAt: ago(90 * time.Minute), CoveLastImportResult: "600 accounts (0 new)"}), dashboard.SourceOK, false},
		{"failed", cove(db.CoveSettings{CoveEnabled: true, CoveImportEnabled: true, CoveImportIntervalMinutes: 60,
			CoveLastImportAt: ago(time.Minute), CoveLastImportResult: "failed: cove: login refused", CoveLastImportFailed: true}), dashboard.SourceFailed, true},
		{"overdue", cove(db.CoveSettings{CoveEnabled: true, CoveImportEnabled: true, CoveImportIntervalMinutes: 60,
			CoveLastImportAt: ago(4 * time.Hour), CoveLastImportResult: "600 accounts (0 new)"}), dashboard.SourceOverdue, true},
		// Without the automatic import, imports run by hand: an old one is no alarm.
		{"manual only", cove(db.CoveSettings{CoveEnabled: true, CoveImportIntervalMinutes: 60,
			CoveLastImportAt: ago(72 * time.Hour), CoveLastImportResult: "600 accounts (0 new)"}), dashboard.SourceOK, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, ok, err := dashboard.CoveImportSource(context.Background(), nil, &tc.s, now)
			if err != nil {
				t.Fatal(err)
			}
			if ok != (tc.want != "") || src.State != tc.want || src.Red() != tc.red {
				t.Fatalf("got %+v (shown %v), want state %q red %v", src, ok, tc.want, tc.red)
			}
		})
	}
}

// TestAutotaskSyncSource reads River's last autotask_sync job: none yet, completed,
// failing (retryable with its error), and quiet for too long.
func TestAutotaskSyncSource(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	now := time.Now().UTC()
	s := &db.SystemSettings{AutotaskEnabled: true}
	check := func(want string, red bool) dashboard.Source {
		t.Helper()
		src, ok, err := dashboard.AutotaskSyncSource(ctx, d.Bun, s, now)
		if err != nil || !ok || src.State != want || src.Red() != red {
			t.Fatalf("got %+v, %v, %v; want %s", src, ok, err, want)
		}
		return src
	}
	if _, ok, _ := dashboard.AutotaskSyncSource(ctx, d.Bun, &db.SystemSettings{}, now); ok {
		t.Fatal("a disabled integration is shown")
	}
	check(dashboard.SourceNever, false)
	insert := func(state string, at time.Time, errs string) {
		t.Helper()
		if _, err := d.Pool.Exec(ctx, `INSERT INTO river_job (kind, args, state, attempt, max_attempts, attempted_at, finalized_at, errors, queue, priority, scheduled_at)
			VALUES ('autotask_sync', '{}', $1::river_job_state, 1, 25, $2, CASE WHEN $1 = 'completed' THEN $2::timestamptz END,
			        CASE WHEN $3 <> '' THEN ARRAY[jsonb_build_object('at', $2::timestamptz, 'attempt', 1, 'error', $3::text)] END, 'default', 1, $2)`,
			state, at, errs); err != nil {
			t.Fatal(err)
		}
	}
	insert("completed", now.Add(-10*time.Minute), "")
	check(dashboard.SourceOK, false)
	insert("retryable", now.Add(-time.Minute), "autotask: 401 Unauthorized")
	if src := check(dashboard.SourceFailed, true); src.Detail != "autotask: 401 Unauthorized" {
		t.Errorf("detail %q", src.Detail)
	}
	if _, err := d.Pool.Exec(ctx, `DELETE FROM river_job`); err != nil {
		t.Fatal(err)
	}
	insert("completed", now.Add(-3*time.Hour), "")
	check(dashboard.SourceOverdue, true)
}
