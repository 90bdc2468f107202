package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/riverqueue/river"

	"github.com/backupchecks/backupchecks/app/background"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/jobs"
)

// waitUntil polls cond (a database condition) for up to a minute.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBackgroundPage: an admin sees River's queues, the kinds of job with their last
// outcome and the recent jobs, filters them, and retries and cancels a job (audited);
// other roles cannot open the page, and the navbar offers it to admins only.
func TestBackgroundPage(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("admin", db.RoleAdmin)
	h.user("op", db.RoleOperator)
	ctx := context.Background()
	scan := func(q string, args ...any) int64 {
		t.Helper()
		var n int64
		if err := h.db.Bun.NewRaw(q, args...).Scan(ctx, &n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	// The periodic jobs run on start: wait for the session cleanup to finish once.
	waitUntil(t, "a completed session_cleanup job", func() bool {
		return scan(`SELECT count(*) FROM river_job WHERE kind = 'session_cleanup' AND state = 'completed'`) > 0
	})
	// One job that failed for good, with its errors.
	failed := scan(`SELECT id FROM river_job WHERE kind = 'session_cleanup' AND state = 'completed' ORDER BY id LIMIT 1`)
	if _, err := h.db.Bun.ExecContext(ctx, `UPDATE river_job SET state = 'discarded', attempt = max_attempts,
		errors = ARRAY['{"at":"2026-03-01T10:00:00Z","attempt":1,"error":"database unreachable: connection refused"}'::jsonb]
		WHERE id = ?`, failed); err != nil {
		t.Fatal(err)
	}
	// One job waiting far in the future, to cancel.
	res, err := h.app.queue.Client.Insert(ctx, jobs.MailReparseArgs{TaskID: 424242}, &river.InsertOpts{ScheduledAt: time.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	waiting := res.Job.ID

	c := h.client()
	c.login("admin")
	r := c.get("/background")
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find("#background-queues td code").FilterFunction(func(_ int, s *goquery.Selection) bool { return s.Text() == "default" }).Length() != 1 {
		t.Errorf("no default queue:\n%s", r.doc.Find("#background-queues").Text())
	}
	kind := r.doc.Find(`#background-kinds tr[data-kind="session_cleanup"]`)
	if kind.Length() != 1 || !strings.Contains(kind.Text(), "Session cleanup") || !strings.Contains(kind.Text(), "1") {
		t.Errorf("session_cleanup row: %q", kind.Text())
	}
	if row := r.doc.Find(fmt.Sprintf("#river-job-%d", failed)); row.Length() != 1 || !strings.Contains(row.Text(), "connection refused") ||
		row.Find(".background-retry").Length() != 1 || row.Find(".background-cancel").Length() != 0 {
		t.Errorf("the failed job's row shows its error and Retry only: %q", row.Text())
	}
	if r.doc.Find(`nav a[href="/background"]`).Length() != 1 {
		t.Error("the Admin menu has no Background jobs link")
	}

	// The filter (htmx: the list alone), and a state River does not know.
	r = c.hx("GET", "/background?kind=session_cleanup&state=discarded", nil)
	wantStatus(t, r, http.StatusOK)
	if strings.Contains(r.body, "<html") || r.doc.Find("#background-jobs-table tbody tr").Length() != 1 {
		t.Fatalf("filtered list: want the fragment with one row:\n%.600s", r.body)
	}
	r = c.get("/background?state=exploded")
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.doc.Find("#background-jobs .alert").Text(), "does not exist") {
		t.Error("an unknown state is not explained")
	}

	// Retry and cancel: the row comes back in its new state; both are audited.
	r = c.hx("POST", fmt.Sprintf("/background/jobs/%d/retry", failed), nil)
	wantStatus(t, r, http.StatusOK)
	// A bare <tr> (htmx swaps it into the table) is dropped by an HTML parser: read the text.
	if !strings.Contains(r.body, fmt.Sprintf(`id="river-job-%d"`, failed)) || strings.Contains(r.body, `data-state="discarded"`) {
		t.Errorf("retried job's row:\n%.500s", r.body)
	}
	r = c.hx("POST", fmt.Sprintf("/background/jobs/%d/cancel", waiting), nil)
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.body, fmt.Sprintf(`id="river-job-%d" data-state="cancelled"`, waiting)) {
		t.Errorf("cancelled job's row:\n%.500s", r.body)
	}
	if n := scan(`SELECT count(*) FROM audit_log WHERE action IN (?, ?) AND actor_name = 'admin'`,
		background.ActionRetried, background.ActionCancelled); n != 2 {
		t.Errorf("%d audit entries, want 2", n)
	}
	wantStatus(t, c.hx("POST", "/background/jobs/987654321/retry", nil), http.StatusNotFound)

	op := h.client()
	op.login("op")
	wantStatus(t, op.get("/background"), http.StatusForbidden)
	if op.get("/").doc.Find(`a[href="/background"]`).Length() != 0 {
		t.Error("an operator is offered Background jobs")
	}
}
