package tasks_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/tasks"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// A task whose worker was killed (kill -9: no Finish, no more heartbeats) reads as
// interrupted once its heartbeat is stale; a live, queued or finished one never does.
func TestSecurityInterruptedTask(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	run := func(t *testing.T, idb bun.IDB, id int64) {
		if err := tasks.Progress(ctx, idb, id, 3, 10, "Importing"); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name      string
		setup     func(t *testing.T, id int64)
		age       string // backdates heartbeat_at and updated_at by this interval; "" leaves them
		wantInter bool
	}{
		{name: "queued, never started", age: "10 minutes"},
		{name: "running, beating", setup: func(t *testing.T, id int64) { run(t, d.Bun, id) }},
		{name: "running, heartbeat stopped", setup: func(t *testing.T, id int64) { run(t, d.Bun, id) }, age: "2 minutes", wantInter: true},
		{name: "running, heartbeat recent", setup: func(t *testing.T, id int64) { run(t, d.Bun, id) }, age: "30 seconds"},
		{name: "finished long ago", setup: func(t *testing.T, id int64) {
			run(t, d.Bun, id)
			if err := tasks.Finish(ctx, d.Bun, id, "done", nil); err != nil {
				t.Fatal(err)
			}
		}, age: "1 hour"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			taskID, err := tasks.Insert(ctx, d.Pool, tasks.KindMailImport, 0)
			if err != nil {
				t.Fatal(err)
			}
			if tc.setup != nil {
				tc.setup(t, taskID)
			}
			if tc.age != "" {
				if _, err := d.Bun.ExecContext(ctx, "UPDATE background_tasks SET heartbeat_at = heartbeat_at - ?::interval, "+
					"updated_at = updated_at - ?::interval WHERE id = ?", tc.age, tc.age, taskID); err != nil {
					t.Fatal(err)
				}
			}
			got, err := tasks.Get(ctx, d.Bun, taskID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Interrupted != tc.wantInter {
				t.Errorf("Get: interrupted = %v, want %v (status %s)", got.Interrupted, tc.wantInter, got.Status)
			}
			latest, err := tasks.Latest(ctx, d.Bun, tasks.KindMailImport)
			if err != nil {
				t.Fatal(err)
			}
			if latest.ID != taskID || latest.Interrupted != tc.wantInter {
				t.Errorf("Latest: task %d interrupted = %v, want task %d %v", latest.ID, latest.Interrupted, taskID, tc.wantInter)
			}
		})
	}
}

// KeepAlive beats at once and stops beating when stopped.
func TestKeepAlive(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	taskID, err := tasks.Insert(ctx, d.Pool, tasks.KindMailReparse, 0)
	if err != nil {
		t.Fatal(err)
	}
	stop := tasks.KeepAlive(ctx, d.Bun, taskID)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := tasks.Get(ctx, d.Bun, taskID)
		if err != nil {
			t.Fatal(err)
		}
		if got.HeartbeatAt != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no heartbeat recorded")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if err := tasks.Finish(ctx, d.Bun, taskID, "ok", nil); err != nil {
		t.Fatal(err)
	}
	var before, after time.Time
	if err := d.Bun.NewRaw("SELECT heartbeat_at FROM background_tasks WHERE id = ?", taskID).Scan(ctx, &before); err != nil {
		t.Fatal(err)
	}
	// A finished task is never beaten for again (a late beat must not touch it).
	time.Sleep(5 * time.Millisecond)
	if err := tasks.Heartbeat(ctx, d.Bun, taskID); err != nil {
		t.Fatal(err)
	}
	if err := d.Bun.NewRaw("SELECT heartbeat_at FROM background_tasks WHERE id = ?", taskID).Scan(ctx, &after); err != nil {
		t.Fatal(err)
	}
	if !after.Equal(before) {
		t.Errorf("heartbeat of a finished task moved: %s → %s", before, after)
	}
}
