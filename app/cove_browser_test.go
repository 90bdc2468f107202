package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/backupchecks/backupchecks/db"
)

// TestBrowserCoveLinkUnlink links an account to an existing job through the dialog's
// job type-ahead (the dialog closes, the row shows the job, the runs exist), then
// unlinks it after the confirmation (the job keeps its runs), and creates a job for
// another account with the customer Cove suggests.
func TestBrowserCoveLinkUnlink(t *testing.T) {
	ctx0 := context.Background()
	h := newHarness(t, Options{Now: func() time.Time { return coveNow }})
	h.user("op", db.RoleOperator)
	coveAccounts(t, h, fleetDevices(3)...)
	var job int64
	if err := h.db.Bun.NewRaw(`WITH c AS (INSERT INTO customers (name) VALUES ('Customer 1') RETURNING id)
		INSERT INTO jobs (customer_id, job_name, backup_software, backup_type) SELECT id, 'Nightly server', 'Cove Data Protection', 'Server' FROM c
		RETURNING id`).Scan(ctx0, &job); err != nil {
		t.Fatal(err)
	}
	runs := func() int {
		var n int
		if err := h.db.Bun.NewRaw("SELECT count(*) FROM job_runs WHERE job_id = ?", job).Scan(ctx0, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	ctx := browser(t)
	steps(ctx, t, "log in", login(h, "op")...)
	steps(ctx, t, "open the accounts page from the navbar",
		chromedp.Click(`nav a[href="/cove/accounts"]`),
		chromedp.WaitVisible("#cove-table"),
		htmxIdle(),
	)
	screenshot(ctx, t, "cove-01-accounts")

	option := fmt.Sprintf("#cove-job-option-%d", job)
	steps(ctx, t, "link an account through the job type-ahead",
		chromedp.Click("#cove-link-100001"),
		chromedp.WaitVisible("#cove-link-form #f-job_search"),
		htmxIdle(),
		modalShown(),
		chromedp.SendKeys("#f-job_search", "nightly"),
		chromedp.WaitVisible(option),
		htmxIdle(),
		chromedp.Click(option),
		chromedp.Click("#cove-link-submit"),
		chromedp.WaitNotPresent("#cove-link-form"),
		chromedp.WaitVisible("#cove-job-100001"),
		htmxIdle(),
	)
	screenshot(ctx, t, "cove-02-linked")
	if got := run(ctx, t, chromedp.Text("#cove-job-100001")); !strings.Contains(got, "Customer 1 / Nightly server") {
		t.Fatalf("linked row shows %q", got)
	}
	if open := run(ctx, t, chromedp.Evaluate[bool](`document.getElementById("modal").classList.contains("show")`)); open {
		t.Fatal("the dialog is still open after linking")
	}
	if n := runs(); n != 26 {
		t.Fatalf("linking made %d runs, want the last session and 25 days of history", n)
	}

	run(ctx, t, chromedp.Evaluate[bool](`window.confirm = (msg) => { window.__asked = msg; return true; }; true`))
	steps(ctx, t, "unlink after the confirmation",
		chromedp.Click("#cove-unlink-100001"),
		chromedp.WaitVisible("#cove-link-100001"),
		htmxIdle(),
	)
	if asked := run(ctx, t, chromedp.Evaluate[string](`window.__asked || ""`)); !strings.Contains(asked, "The job keeps its runs") {
		t.Fatalf("confirmation = %q", asked)
	}
	if n := runs(); n != 26 {
		t.Fatalf("the unlinked job has %d runs, want the 26 it had", n)
	}

	steps(ctx, t, "create a job with the customer Cove suggests",
		chromedp.Click("#cove-create-100002"),
		chromedp.WaitVisible("#cove-create-form #f-customer_name"),
		htmxIdle(),
		modalShown(),
		chromedp.Click("#cove-create-submit"),
		chromedp.WaitNotPresent("#cove-create-form"),
		chromedp.WaitVisible("#cove-job-100002"),
		htmxIdle(),
	)
	if got := run(ctx, t, chromedp.Text("#cove-job-100002")); got != "Customer 1 / device-00002" {
		t.Fatalf("created job row shows %q", got)
	}
	screenshot(ctx, t, "cove-03-created")
}
