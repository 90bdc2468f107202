package overrides_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/overrides"
	"github.com/backupchecks/backupchecks/app/review"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// TestUndoMarkSuccess: "Mark as Success" can be taken back until the run is reviewed;
// the run shows its reported status again (or what a rule still makes of it), the job's
// summary follows and both acts are audited with who did them.
func TestUndoMarkSuccess(t *testing.T) {
	d := dbtest.New(t)
	at := time.Date(2026, 3, 3, 8, 12, 0, 0, time.UTC)
	var userID int64
	if err := d.Bun.NewRaw("INSERT INTO users (username, display_name, roles, active_role, password_hash) VALUES ('bob', 'Bob', '{operator}', 'operator', 'x') RETURNING id").
		Scan(ctx, &userID); err != nil {
		t.Fatal(err)
	}
	nightly := dbtest.Fixture(t, d).Customer("Acme").Job(dbtest.Job{Name: "Nightly", Software: "Veeam", Type: "Backup"})
	job := nightly.ID
	failed := nightly.Run(dbtest.Run{Status: "Failed", At: at.Add(-10 * time.Hour), Message: "Disk full"})
	warned := nightly.Run(dbtest.Run{Status: "Warning", At: at.Add(-10 * time.Hour), Message: "Disk full"})
	bob := audit.Actor{ID: userID, Name: "bob"}
	worst := func() string {
		t.Helper()
		var w *string
		if err := d.Bun.NewRaw("SELECT worst_unreviewed_status FROM jobs WHERE id = ?", job).Scan(ctx, &w); err != nil {
			t.Fatal(err)
		}
		if w == nil {
			return ""
		}
		return *w
	}

	if ok, err := overrides.MarkSuccess(ctx, d.Bun, bob, failed, at); err != nil || !ok {
		t.Fatalf("mark: %v %v", ok, err)
	}
	st, err := review.GetRunState(ctx, d.Bun, failed)
	if err != nil || !st.ManualSuccess || st.Overridden != "Success" || st.MarkedBy != "Bob" || st.MarkedAt == nil || !st.MarkedAt.Equal(at) {
		t.Fatalf("marked run state: %+v %v", st, err)
	}
	if w := worst(); w != "Warning" {
		t.Fatalf("worst after marking: %q", w)
	}
	// Undo: Failed again, the summary follows; a second undo changes nothing.
	if ok, err := overrides.UndoMarkSuccess(ctx, d.Bun, bob, failed, at.Add(time.Minute)); err != nil || !ok {
		t.Fatalf("undo: %v %v", ok, err)
	}
	st, err = review.GetRunState(ctx, d.Bun, failed)
	if err != nil || st.ManualSuccess || st.Overridden != "" || st.Status != "Failed" {
		t.Fatalf("after undo: %+v %v", st, err)
	}
	if w := worst(); w != "Failed" {
		t.Fatalf("worst after undo: %q", w)
	}
	if ok, err := overrides.UndoMarkSuccess(ctx, d.Bun, bob, failed, at); err != nil || ok {
		t.Fatalf("second undo: %v %v", ok, err)
	}
	// A rule that covers the run takes over when the hand-made success is undone.
	if _, err := d.Bun.ExecContext(ctx, `INSERT INTO overrides (level, job_id, match_status, match_text, match_mode, treat_as_success)
		VALUES ('object', ?, 'Warning', 'disk', 'contains', true)`, job); err != nil {
		t.Fatal(err)
	}
	if ok, err := overrides.MarkSuccess(ctx, d.Bun, bob, warned, at); err != nil || !ok {
		t.Fatalf("mark the warning: %v %v", ok, err)
	}
	if ok, err := overrides.UndoMarkSuccess(ctx, d.Bun, bob, warned, at); err != nil || !ok {
		t.Fatalf("undo on the warning: %v %v", ok, err)
	}
	if st, _ := review.GetRunState(ctx, d.Bun, warned); st.ManualSuccess || st.Overridden != "Success" {
		t.Fatalf("the rule does not apply after the undo: %+v", st)
	}
	// A reviewed run keeps its hand-made success.
	if ok, _ := overrides.MarkSuccess(ctx, d.Bun, bob, failed, at); !ok {
		t.Fatal("mark again")
	}
	if n, err := review.ReviewRuns(ctx, d.Bun, bob, []int64{failed}, at); err != nil || n != 1 {
		t.Fatalf("review: %d %v", n, err)
	}
	if ok, err := overrides.UndoMarkSuccess(ctx, d.Bun, bob, failed, at); err != nil || ok {
		t.Fatalf("undo on a reviewed run: %v %v", ok, err)
	}
	var audited []string
	if err := d.Bun.NewRaw("SELECT action || ' ' || target || ' ' || actor_name FROM audit_log WHERE action LIKE 'run.%' ORDER BY id").Scan(ctx, &audited); err != nil {
		t.Fatal(err)
	}
	want := []string{"run.marked_success run:%[1]d bob", "run.marked_success_undone run:%[1]d bob", "run.marked_success run:%[2]d bob",
		"run.marked_success_undone run:%[2]d bob", "run.marked_success run:%[1]d bob"}
	if len(audited) != len(want) {
		t.Fatalf("audited %q", audited)
	}
	for i, w := range want {
		if got := audited[i]; got != fmt.Sprintf(w, failed, warned) {
			t.Fatalf("audit %d: %q, want %q", i, got, fmt.Sprintf(w, failed, warned))
		}
	}
}
