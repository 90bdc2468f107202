package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"

	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/db"
)

func TestRunChecksQueue(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("admin", db.RoleAdmin)
	h.user("ops", db.RoleOperator)
	h.user("viewer", db.RoleViewer)
	c := h.client()
	c.login("admin")
	nightly := approvedJob(t, h, c, "Acme", "Nightly", 1, "Success", "Failed")
	weekly := approvedJob(t, h, c, "Globex", "Weekly", 10, "Success")

	o := h.client()
	o.login("ops")
	r := o.get("/runchecks")
	wantStatus(t, r, http.StatusOK)
	groups := r.doc.Find(".runchecks-group")
	if groups.Length() != 2 || groups.First().AttrOr("id", "") != fmt.Sprintf("rc-job-%d", nightly) {
		t.Fatalf("queue: worst job first expected:\n%s", r.text("#runchecks-list"))
	}
	if r.doc.Find(fmt.Sprintf("#rc-job-%d input[name=run_ids]", nightly)).Length() != 2 {
		t.Fatal("the job's two runs are not listed")
	}
	// Filters are in the URL.
	r = o.get("/runchecks?status=Failed")
	if r.doc.Find(".runchecks-group").Length() != 1 || r.doc.Find("input[name=run_ids]").Length() != 1 {
		t.Fatalf("status filter:\n%s", r.text("#runchecks-list"))
	}
	r = o.get("/runchecks?q=globex")
	if r.doc.Find(".runchecks-group").Length() != 1 {
		t.Fatalf("text filter:\n%s", r.text("#runchecks-list"))
	}
	var globex int64
	if err := h.db.Bun.NewRaw("SELECT id FROM customers WHERE name = 'Globex'").Scan(t.Context(), &globex); err != nil {
		t.Fatal(err)
	}
	r = o.get(fmt.Sprintf("/runchecks?customer_id=%d", globex))
	if r.doc.Find(".runchecks-group").Length() != 1 || r.doc.Find(fmt.Sprintf("#rc-job-%d", weekly)).Length() != 1 ||
		r.doc.Find("#filter-customer_id option").Length() != 3 || r.text("#filter-customer_id option[selected]") != "Globex" {
		t.Fatalf("customer filter: %q selected of %d options\n%s", r.text("#filter-customer_id option[selected]"),
			r.doc.Find("#filter-customer_id option").Length(), r.text("#runchecks-list"))
	}

	// Review all of Nightly's runs: its group leaves the queue.
	var ids []string
	r = o.get("/runchecks")
	r.doc.Find(fmt.Sprintf("#rc-job-%d input[name=run_ids]", nightly)).Each(func(_ int, s *goquery.Selection) {
		ids = append(ids, s.AttrOr("value", ""))
	})
	r = o.hx("POST", "/runchecks/review", url.Values{"run_ids": ids, "filter": {""}})
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.text("#flash"), "2 runs reviewed") || r.doc.Find(".runchecks-group").Length() != 1 ||
		r.doc.Find(fmt.Sprintf("#rc-job-%d", weekly)).Length() != 1 {
		t.Fatalf("after review:\n%s", r.body)
	}
	// Admins see reviewed runs on request and can put them back.
	r = c.get("/runchecks?include_reviewed=on")
	if r.doc.Find(".runchecks-group").Length() != 2 || r.doc.Find("#unreview-selected").Length() != 1 {
		t.Fatalf("include reviewed:\n%s", r.text("#runchecks-list"))
	}
	r = c.hx("POST", "/runchecks/unreview", url.Values{"run_ids": ids[:1], "filter": {"include_reviewed=on"}})

	if !strings.Contains(r.text("#flash"), "1 run back in the queue") {
		t.Fatalf("unreview: %q", r.text("#flash"))
	}
	// The job's page shows the review history (admins).
	if r := c.get(fmt.Sprintf("/jobs/%d", nightly)); r.doc.Find("#review-history tbody tr").Length() != 3 {
		t.Fatalf("job review history:\n%s", r.text("#review-history"))
	}
	// Viewers have no Run Checks.
	v := h.client()
	v.login("viewer")
	wantStatus(t, v.get("/runchecks"), http.StatusForbidden)
	// Review events are kept.
	var events int
	if err := h.db.Bun.NewRaw("SELECT count(*) FROM job_run_review_events").Scan(t.Context(), &events); err != nil || events != 3 {
		t.Fatalf("%d review events, want 3 (%v)", events, err)
	}
}

// TestBrowserRunChecksLive: operator A has Run Checks open; operator B reviews a job's
// runs; A's page drops that job without a reload.
func TestBrowserRunChecksLive(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("admin", db.RoleAdmin)
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("admin")
	nightly := approvedJob(t, h, c, "Acme", "Nightly", 1, "Failed")
	approvedJob(t, h, c, "Globex", "Weekly", 10, "Success")

	ctx := browser(t)
	steps(ctx, t, "log in", login(h, "ops")...)
	steps(ctx, t, "open Run Checks",
		chromedp.Navigate(h.url+"/runchecks"),
		chromedp.WaitVisible(fmt.Sprintf("#rc-job-%d", nightly)),
		htmxIdle(),
	)
	run(ctx, t, chromedp.Evaluate[string](`window.__noReload = "still here"`))

	// B reviews Nightly's run through the same endpoint the page uses.
	var runID int64
	if err := h.db.Bun.NewRaw("SELECT id FROM job_runs WHERE job_id = ?", nightly).Scan(t.Context(), &runID); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, c.hx("POST", "/runchecks/review", url.Values{"run_ids": {fmt.Sprint(runID)}}), http.StatusOK)

	steps(ctx, t, "see the job leave", chromedp.WaitNotPresent(fmt.Sprintf("#rc-job-%d", nightly)), htmxIdle())
	if m := run(ctx, t, chromedp.Evaluate[string](`String(window.__noReload)`)); m != "still here" {
		t.Fatalf("the page was reloaded (marker %q)", m)
	}
}

// TestBrowserRunChecksKeyboardAndDialog: j/x/r review a run from the keyboard; a run's
// dialog shows its objects and reviews it too.
func TestBrowserRunChecksKeyboardAndDialog(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")
	nightly := approvedJob(t, h, c, "Acme", "Nightly", 1, "Failed")
	weekly := approvedJob(t, h, c, "Globex", "Weekly", 10, "Success")

	ctx := browser(t)
	steps(ctx, t, "log in", login(h, "admin")...)
	steps(ctx, t, "review the first run from the keyboard",
		chromedp.Navigate(h.url+"/runchecks"),
		chromedp.WaitVisible(fmt.Sprintf("#rc-job-%d", nightly)),
		htmxIdle(),
		chromedp.KeyEvent("j"),
		chromedp.KeyEvent("x"),
		chromedp.KeyEvent("r"),
		chromedp.WaitNotPresent(fmt.Sprintf("#rc-job-%d", nightly)),
		htmxIdle(),
	)
	steps(ctx, t, "open the other run",
		chromedp.Click(fmt.Sprintf("#rc-job-%d .rc-run .text-truncate", weekly)),
		chromedp.WaitVisible("#run-info"),
		htmxIdle(),
		chromedp.WaitVisible("#run-objects"),
	)
	steps(ctx, t, "review it in its dialog",
		chromedp.Click("#run-review"),
		chromedp.WaitVisible("#runchecks-empty"),
		chromedp.WaitNotPresent("#run-info"),
		htmxIdle(),
	)
	screenshot(ctx, t, "11-runchecks-empty")
}
