package schedule_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/schedule"
	"github.com/backupchecks/backupchecks/db"
)

var ctx = context.Background()

// fixture inserts customers, jobs and runs with plain SQL.
type fixture struct {
	t *testing.T
	d *db.DB
}

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

func (f fixture) customer(name string, active bool) int64 {
	f.t.Helper()
	return f.int("INSERT INTO customers (name, active) VALUES (?, ?) RETURNING id", name, active)
}

// jobSpec is a job's columns that matter here; zero values are the usual job.
type jobSpec struct {
	name          string
	backupType    string
	learned       *db.Schedule
	manual        *db.Schedule
	locked        bool
	grace         *int
	informational bool
	inactive      bool
	archived      bool
	createdAt     time.Time
}

func jsonOrNil(s *db.Schedule) any {
	if s == nil {
		return nil
	}
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func (f fixture) job(customerID int64, j jobSpec) int64 {
	f.t.Helper()
	if j.name == "" {
		j.name = fmt.Sprintf("Job %d", time.Now().UnixNano())
	}
	if j.backupType == "" {
		j.backupType = "Backup Job"
	}
	if j.createdAt.IsZero() {
		j.createdAt = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	var archivedAt any
	if j.archived {
		archivedAt = j.createdAt
	}
	return f.int(`INSERT INTO jobs (customer_id, job_name, backup_software, backup_type, learned_schedule,
			manual_schedule, schedule_locked, schedule_grace_minutes, informational, active, archived_at, created_at)
		VALUES (?, ?, 'Veeam', ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?, ?, ?) RETURNING id`,
		customerID, j.name, j.backupType, jsonOrNil(j.learned), jsonOrNil(j.manual), j.locked, j.grace,
		j.informational, !j.inactive, archivedAt, j.createdAt)
}

func (f fixture) run(jobID int64, at time.Time, status string) int64 {
	f.t.Helper()
	return f.int(`INSERT INTO job_runs (job_id, status, source_type, external_id, run_at)
		VALUES (?, ?, 'email', ?, ?) RETURNING id`, jobID, status, fmt.Sprintf("test:%d:%d", jobID, at.UnixNano()), at)
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
