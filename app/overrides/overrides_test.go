package overrides_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/overrides"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

var ctx = context.Background()

// world is one customer with two jobs; runs are added per case.
type world struct {
	d          *db.DB
	f          *dbtest.Fixtures
	veeam, nas *dbtest.JobRef
	object     int64 // customer object "srv-app01" of the veeam job
}

func newWorld(t *testing.T) *world {
	t.Helper()
	d := dbtest.New(t)
	f := dbtest.Fixture(t, d)
	acme := f.Customer("Acme")
	return &world{d: d, f: f,
		veeam:  acme.Job(dbtest.Job{Name: "Daily VMs", Software: "Veeam Backup & Replication", Type: "Backup Job", From: "veeam@example.com"}),
		nas:    acme.Job(dbtest.Job{Name: "NAS", Software: "Synology", Type: "Hyper Backup", From: "nas@example.com"}),
		object: acme.Object("srv-app01", "VM"),
	}
}

var runAt = time.Date(2026, 3, 2, 22, 0, 0, 0, time.UTC)

// run adds an unreviewed run; objectError, when set, is srv-app01's message in it.
func (w *world) run(job *dbtest.JobRef, status, message, objectError string) int64 {
	id := job.Run(dbtest.Run{Status: status, At: runAt, Message: message})
	if objectError != "" {
		w.f.RunObject(id, w.object, "Failed", objectError)
	}
	return id
}

type rule struct {
	level, software, typ, object, status, text, mode string
	job                                              int64
	from, until                                      *time.Time
}

func (w *world) override(t *testing.T, r rule) int64 {
	t.Helper()
	if r.mode == "" {
		r.mode = overrides.ModeContains
	}
	var id int64
	var job any
	if r.job != 0 {
		job = r.job
	}
	if err := w.d.Bun.NewRaw(`INSERT INTO overrides (level, backup_software, backup_type, job_id, object_name, match_status, match_text, match_mode, valid_from, valid_until)
		VALUES (?, nullif(?, ''), nullif(?, ''), ?, nullif(?, ''), nullif(?, ''), nullif(?, ''), ?, ?, ?) RETURNING id`,
		r.level, r.software, r.typ, job, r.object, r.status, r.text, r.mode, r.from, r.until).Scan(ctx, &id); err != nil {
		t.Fatal(err)
	}
	return id
}

func effective(t *testing.T, idb bun.IDB, run int64) (string, *int64) {
	t.Helper()
	var st string
	var ov *int64
	if err := idb.NewRaw("SELECT coalesce(overridden_status, status), override_id FROM job_runs WHERE id = ?", run).Scan(ctx, &st, &ov); err != nil {
		t.Fatal(err)
	}
	return st, ov
}

func TestMatching(t *testing.T) {
	early, late := runAt.Add(-time.Hour), runAt.Add(time.Hour)
	for _, tc := range []struct {
		name    string
		rule    func(w *world) rule
		status  string
		message string
		objErr  string
		onNAS   bool
		want    bool
	}{
		{"global, any", func(*world) rule { return rule{level: "global"} }, "Failed", "", "", false, true},
		{"global, other software", func(*world) rule { return rule{level: "global", software: "Synology"} }, "Failed", "", "", false, false},
		{"global, this software and type", func(*world) rule {
			return rule{level: "global", software: "Veeam Backup & Replication", typ: "Backup Job"}
		}, "Warning", "", "", false, true},
		{"status must match", func(*world) rule { return rule{level: "global", status: "Warning"} }, "Failed", "", "", false, false},
		{"status matches", func(*world) rule { return rule{level: "global", status: "Warning"} }, "Warning", "", "", false, true},
		{"contains, any case", func(*world) rule { return rule{level: "global", text: "QUOTA"} }, "Failed", "Repository quota exceeded", "", false, true},
		{"contains, no", func(*world) rule { return rule{level: "global", text: "network"} }, "Failed", "Repository quota exceeded", "", false, false},
		{"exact", func(*world) rule { return rule{level: "global", text: "disk full", mode: overrides.ModeExact} }, "Failed", "Disk full", "", false, true},
		{"exact is not contains", func(*world) rule { return rule{level: "global", text: "disk", mode: overrides.ModeExact} }, "Failed", "Disk full", "", false, false},
		{"starts with", func(*world) rule { return rule{level: "global", text: "repo", mode: overrides.ModeStartsWith} }, "Failed", "Repository quota", "", false, true},
		{"ends with", func(*world) rule { return rule{level: "global", text: "QUOTA", mode: overrides.ModeEndsWith} }, "Failed", "Repository quota", "", false, true},
		{"ends with, no", func(*world) rule { return rule{level: "global", text: "repo", mode: overrides.ModeEndsWith} }, "Failed", "Repository quota", "", false, false},
		{"text in an object message", func(*world) rule { return rule{level: "global", text: "snapshot"} }, "Failed", "1 of 2 VMs failed", "Snapshot removal failed", false, true},
		{"window: inside", func(*world) rule { return rule{level: "global", from: &early, until: &late} }, "Failed", "", "", false, true},
		{"window: until is exclusive", func(*world) rule { return rule{level: "global", until: &runAt} }, "Failed", "", "", false, false},
		{"window: from is inclusive", func(*world) rule { return rule{level: "global", from: &runAt} }, "Failed", "", "", false, true},
		{"window: not yet", func(*world) rule { return rule{level: "global", from: &late} }, "Failed", "", "", false, false},
		{"object level: the job", func(w *world) rule { return rule{level: "object", job: w.veeam.ID} }, "Failed", "", "", false, true},
		{"object level: another job", func(w *world) rule { return rule{level: "object", job: w.veeam.ID} }, "Failed", "", "", true, false},
		{"object level: the object", func(w *world) rule { return rule{level: "object", job: w.veeam.ID, object: "SRV-APP01"} }, "Failed", "", "x", false, true},
		{"object level: object not in run", func(w *world) rule { return rule{level: "object", job: w.veeam.ID, object: "srv-db01"} }, "Failed", "", "x", false, false},
		{"missed runs", func(*world) rule { return rule{level: "global", status: "Missed"} }, "Missed", "", "", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			job := w.veeam
			if tc.onNAS {
				job = w.nas
			}
			id := w.override(t, tc.rule(w))
			run := w.run(job, tc.status, tc.message, tc.objErr)
			if _, err := overrides.Apply(ctx, w.d.Bun, []int64{run}); err != nil {
				t.Fatal(err)
			}
			st, ov := effective(t, w.d.Bun, run)
			got := ov != nil && *ov == id && st == "Success"
			if got != tc.want {
				t.Fatalf("override applied = %v (status %s, override %v), want %v", got, st, ov, tc.want)
			}
		})
	}
}

func TestPrecedenceAndReevaluation(t *testing.T) {
	w := newWorld(t)
	global := w.override(t, rule{level: "global"})
	object := w.override(t, rule{level: "object", job: w.veeam.ID})
	run := w.run(w.veeam, "Failed", "boom", "")
	reviewed := w.run(w.nas, "Failed", "boom", "")
	if _, err := w.d.Bun.ExecContext(ctx, "UPDATE job_runs SET reviewed_at = now() WHERE id = ?", reviewed); err != nil {
		t.Fatal(err)
	}
	if _, err := overrides.Apply(ctx, w.d.Bun, []int64{run, reviewed}); err != nil {
		t.Fatal(err)
	}
	if _, ov := effective(t, w.d.Bun, run); ov == nil || *ov != object {
		t.Fatalf("object level must win over global: override %v", ov)
	}
	if st, ov := effective(t, w.d.Bun, reviewed); st != "Failed" || ov != nil {
		t.Fatalf("a reviewed run changed: %s %v", st, ov)
	}
	// The object rule expires: re-evaluation falls back to the global one; then that
	// goes too and the run is Failed again.
	// The job's summary follows each re-evaluation (it was never counted before).
	summary := func() string {
		t.Helper()
		var n int
		var worst *string
		if err := w.d.Bun.NewRaw("SELECT unreviewed_count, worst_unreviewed_status FROM jobs WHERE id = ?", w.veeam.ID).Scan(ctx, &n, &worst); err != nil {
			t.Fatal(err)
		}
		if worst == nil {
			return fmt.Sprint(n)
		}
		return fmt.Sprint(n, " ", *worst)
	}
	if _, err := w.d.Bun.ExecContext(ctx, "UPDATE overrides SET valid_until = ? WHERE id = ?", runAt, object); err != nil {
		t.Fatal(err)
	}
	if n, err := overrides.Reevaluate(ctx, w.d.Bun, runAt.Add(time.Hour), 30); err != nil || n != 1 {
		t.Fatalf("reevaluate: %d %v", n, err)
	}
	if _, ov := effective(t, w.d.Bun, run); ov == nil || *ov != global {
		t.Fatalf("after the object rule expired: override %v, want %d", ov, global)
	}
	if got := summary(); got != "1 Success" {
		t.Fatalf("summary after the object rule expired: %s", got)
	}
	if _, err := w.d.Bun.ExecContext(ctx, "UPDATE overrides SET match_status = 'Warning' WHERE id = ?", global); err != nil {
		t.Fatal(err)
	}
	if _, err := overrides.Reevaluate(ctx, w.d.Bun, runAt.Add(time.Hour), 30); err != nil {
		t.Fatal(err)
	}
	if st, ov := effective(t, w.d.Bun, run); st != "Failed" || ov != nil {
		t.Fatalf("no rule matches any more: %s %v", st, ov)
	}
	if got := summary(); got != "1 Failed" {
		t.Fatalf("summary when no rule matches: %s", got)
	}
}
