package tasks_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/app/tasks"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// Insert writes the task row and its live event in the caller's transaction: rolled
// back, neither exists; committed, the task is queued with who started it and live
// views hear of it.
func TestInsertInTransaction(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	var userID int64
	if err := d.Bun.NewRaw(`INSERT INTO users (username, password_hash, roles, active_role)
		VALUES ('ops', 'x', '{admin}', 'admin') RETURNING id`).Scan(ctx, &userID); err != nil {
		t.Fatal(err)
	}
	conn, err := d.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+live.Channel); err != nil {
		t.Fatal(err)
	}

	tx, err := d.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gone, err := tasks.Insert(ctx, tx, tasks.KindMailImport, userID)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := tasks.Get(ctx, d.Bun, gone); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("task %d after a rollback: %v, want not found", gone, err)
	}

	tx, err = d.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id, err := tasks.Insert(ctx, tx, tasks.KindMailReparse, userID)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := tasks.Get(ctx, d.Bun, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != tasks.KindMailReparse || got.Status != "queued" || got.StartedBy == nil || *got.StartedBy != userID || got.FinishedAt != nil {
		t.Fatalf("task after Insert: %+v", got)
	}
	// The only event is the committed task's (the rolled-back one was never sent).
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	n, err := conn.Conn().WaitForNotification(wait)
	if err != nil {
		t.Fatal(err)
	}
	var ev live.Event
	if err := json.Unmarshal([]byte(n.Payload), &ev); err != nil || ev.Topic != live.TopicTasks || len(ev.IDs) != 1 || ev.IDs[0] != id {
		t.Fatalf("event %q (%v), want tasks [%d]", n.Payload, err, id)
	}

	// Started by nobody (the system): no user.
	sys, err := tasks.Insert(ctx, d.Pool, tasks.KindMailImport, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := tasks.Get(ctx, d.Bun, sys); err != nil || got.StartedBy != nil {
		t.Fatalf("system task: %+v, %v", got, err)
	}
}
