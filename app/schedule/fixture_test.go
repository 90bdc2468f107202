package schedule_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/schedule"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

var ctx = context.Background()

// fixture is the shared test fixture (dbtest.Fixture: customers, jobs, runs) plus
// this package's queries.
type fixture struct {
	*dbtest.Fixtures
	t *testing.T
	d *db.DB
}

func newFixture(t *testing.T, d *db.DB) fixture {
	return fixture{Fixtures: dbtest.Fixture(t, d), t: t, d: d}
}

// longAgo is when jobs were created that existed before every day a test looks at.
var longAgo = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func (f fixture) exec(query string, args ...any) {
	f.t.Helper()
	if _, err := f.d.Bun.ExecContext(ctx, query, args...); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
}

func (f fixture) int(query string, args ...any) int64 {
	f.t.Helper()
	var n int64
	if err := f.d.Bun.NewRaw(query, args...).Scan(ctx, &n); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// missed returns a job's missed runs as "local date@UTC instant", superseded ones
// marked with a trailing "(superseded)".
func (f fixture) missed(jobID int64) []string {
	f.t.Helper()
	var rows []struct {
		ExternalID   string     `bun:"external_id"`
		RunAt        time.Time  `bun:"run_at"`
		SupersededAt *time.Time `bun:"superseded_at"`
	}
	if err := f.d.Bun.NewRaw(`SELECT external_id, run_at, superseded_at FROM job_runs
		WHERE job_id = ? AND source_type = 'missed' ORDER BY run_at`, jobID).Scan(ctx, &rows); err != nil {
		f.t.Fatal(err)
	}
	out := []string{}
	prefix := fmt.Sprintf("missed-%d-", jobID)
	for _, r := range rows {
		s := r.ExternalID[len(prefix):] + "@" + r.RunAt.UTC().Format("15:04Z")
		if r.SupersededAt != nil {
			s += " (superseded)"
		}
		out = append(out, s)
	}
	return out
}

func generate(t *testing.T, d *db.DB, loc *time.Location, now time.Time) int {
	t.Helper()
	n, err := schedule.GenerateMissedRuns(ctx, d.Bun, loc, now)
	if err != nil {
		t.Fatalf("GenerateMissedRuns: %v", err)
	}
	return n
}
