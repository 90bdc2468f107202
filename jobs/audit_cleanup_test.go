package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"

	"github.com/backupchecks/backupchecks/db/dbtest"
	"github.com/backupchecks/backupchecks/jobs"
)

// TestAuditCleanupWorker: the job deletes the audit entries past the retention (two
// years by default) and keeps the younger ones.
func TestAuditCleanupWorker(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	if _, err := d.Bun.ExecContext(ctx, `INSERT INTO audit_log (at, action) VALUES
		(?::timestamptz - interval '731 days', 'old'), (?::timestamptz - interval '729 days', 'kept'), (?, 'new')`, now, now, now); err != nil {
		t.Fatal(err)
	}
	w := rivertest.NewWorker(t, riverpgxv5.New(d.Pool), &river.Config{},
		&jobs.AuditCleanupWorker{DB: d.Bun, Now: func() time.Time { return now }})
	tx, err := d.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	res, err := w.Work(ctx, t, tx, jobs.AuditCleanupArgs{}, nil)
	if err != nil || res.EventKind != river.EventKindJobCompleted {
		t.Fatalf("Work: %v %v", res, err)
	}
	var left []string
	if err := d.Bun.NewRaw("SELECT action FROM audit_log ORDER BY at").Scan(ctx, &left); err != nil {
		t.Fatal(err)
	}
	if len(left) != 2 || left[0] != "kept" || left[1] != "new" {
		t.Fatalf("left %v, want kept and new", left)
	}
}
