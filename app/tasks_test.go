package app

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/backupchecks/backupchecks/app/tasks"
	"github.com/backupchecks/backupchecks/db"
)

// After kill -9 during "Import now" the task row stays "running" with no one working on
// it: the progress fragment and Settings → Imports say it was interrupted instead of
// showing it as still running.
func TestSecurityInterruptedImportShown(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")

	ctx := context.Background()
	taskID, err := tasks.Insert(ctx, h.db.Pool, tasks.KindMailImport, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := tasks.Progress(ctx, h.db.Bun, taskID, 120, -1, "Importing: 120 fetched"); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/tasks/%d", taskID)
	if st, _ := c.hx("GET", path, nil).doc.Find("[data-task-status]").Attr("data-task-status"); st != "running" {
		t.Fatalf("live task: status %q, want running", st)
	}
	// The worker dies: no more heartbeats.
	if _, err := h.db.Bun.ExecContext(ctx, "UPDATE background_tasks SET heartbeat_at = now() - interval '5 minutes', "+
		"updated_at = now() - interval '5 minutes' WHERE id = ?", taskID); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*response{c.hx("GET", path, nil), c.get("/settings/imports")} {
		wantStatus(t, r, 200)
		if st, _ := r.doc.Find("[data-task-status]").Attr("data-task-status"); st != "interrupted" {
			t.Errorf("status %q, want interrupted", st)
		}
		if msg := r.text("#task-message"); !strings.Contains(msg, "Interrupted after 120") {
			t.Errorf("message %q", msg)
		}
		if r.doc.Find("#task-progress .progress").Length() != 0 {
			t.Error("an interrupted task still shows a progress bar")
		}
	}
}
