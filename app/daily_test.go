package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// dailyFixture makes a job with a set daily 22:00 schedule whose only run is on
// 2 March 2026 (the test mails' date), and looks at the days around it.
func dailyFixture(t *testing.T) (*harness, *client, int64) {
	t.Helper()
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC) // 13:00 in Amsterdam
	h := newHarness(t, Options{Registry: parserstest.Registry(), Now: func() time.Time { return now }})
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")
	id := approvedJob(t, h, c, "Acme", "Nightly", 1, "Failed")
	// The job existed before the days looked at, with a learned daily 22:00 schedule.
	if _, err := h.db.Bun.ExecContext(t.Context(), `UPDATE jobs SET created_at = '2026-02-01',
		learned_schedule = '{"kind":"daily","time":"22:00"}', schedule_learned_at = now() WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	return h, c, id
}

func TestDailyJobs(t *testing.T) {
	h, c, id := dailyFixture(t)
	status := func(date string) string {
		r := c.get("/daily?date=" + date)
		wantStatus(t, r, http.StatusOK)
		return r.text(fmt.Sprintf("#daily-job-%d .badge", id))
	}
	// The mail said 22:0x +0100 on 2 March: that day shows its run.
	if got := status("2026-03-02"); got != "Failed" {
		t.Fatalf("2 March: %q", got)
	}
	if got := status("2026-03-03"); got != "Missed" {
		t.Fatalf("3 March (no run, long past 22:00 + grace): %q", got)
	}
	if got := status("2026-03-04"); got != "Expected" {
		t.Fatalf("today before 22:00: %q", got)
	}
	r := c.get("/daily?date=2026-03-03&status=Missed")
	if r.doc.Find("#daily-table tbody tr").Length() != 1 || !strings.Contains(r.text("#daily-summary"), "Missed 1") {
		t.Fatalf("Missed filter:\n%s", r.text("#daily-summary"))
	}
	r = c.hx("GET", fmt.Sprintf("/daily/%d?date=2026-03-02", id), nil)
	if r.doc.Find("#day-runs tbody tr").Length() != 1 || !strings.Contains(r.text("#day-slot"), "Expected at 2026-03-02 22:00; runs from 2026-03-02 10:00 until 2026-03-03 10:00") {
		t.Fatalf("day dialog:\n%s", r.body)
	}
	// A second run at 00:30 on 3 March lies in 2 March's window: 2 March's dialog lists
	// it as counted, 3 March's lists it as outside that day's window (and 3 March stays
	// Missed).
	dbtest.Fixture(t, h.db).JobByID(id).Run(dbtest.Run{Status: "Success", At: time.Date(2026, 3, 2, 23, 30, 0, 0, time.UTC), Message: "late"})
	r = c.hx("GET", fmt.Sprintf("/daily/%d?date=2026-03-02", id), nil)
	if r.doc.Find("#day-runs tbody tr").Length() != 2 || r.doc.Find(".day-run-outside").Length() != 0 {
		t.Fatalf("2 March with the late run:\n%s", r.text("#day-runs"))
	}
	r = c.hx("GET", fmt.Sprintf("/daily/%d?date=2026-03-03", id), nil)
	if r.doc.Find("#day-runs tbody tr").Length() != 1 || r.doc.Find(".day-run-outside").Length() != 1 {
		t.Fatalf("3 March:\n%s", r.text("#day-runs"))
	}
	if got := status("2026-03-03"); got != "Missed" {
		t.Fatalf("3 March with a run of 2 March's window: %q", got)
	}
	wantStatus(t, c.get("/daily?date=yesterday"), http.StatusBadRequest)

	// The dashboard sums up today and names the customer with a failure to review.
	r = c.get("/")
	if got := strings.Join(strings.Fields(r.text(`#today-at-a-glance [data-status="Expected"]`)), " "); got != "Expected 1" {
		t.Fatalf("today's Expected count: %q", got)
	}
	if !strings.Contains(r.text("#worst-customers"), "Acme Failed 1 to review") {
		t.Fatalf("worst customers: %q", r.text("#worst-customers"))
	}
	if r := c.get("/daily"); !strings.Contains(r.body, `value="2026-03-04"`) {
		t.Fatal("the default date is not today in the UI timezone")
	}
}

// TestBrowserDailyJobsMissed: a job with a daily schedule and no run yesterday shows
// Missed in Daily Jobs; the previous-day shortcut gets there.
func TestBrowserDailyJobsMissed(t *testing.T) {
	h, _, id := dailyFixture(t)
	ctx := browser(t)
	steps(ctx, t, "log in", login(h, "admin")...)
	steps(ctx, t, "open Daily Jobs",
		chromedp.Navigate(h.url+"/daily"),
		chromedp.WaitVisible("#daily-nav"),
		htmxIdle(),
	)
	// The shortcut navigates: wait for that page's response, then for its row.
	if _, err := chromedp.RunResponse(ctx, chromedp.KeyEvent("p")); err != nil {
		t.Fatalf("press p: %v", err)
	}
	steps(ctx, t, "yesterday's page", chromedp.WaitVisible(fmt.Sprintf("#daily-job-%d", id)), htmxIdle())
	screenshot(ctx, t, "10-daily-missed")
	if got := run(ctx, t, chromedp.Text(fmt.Sprintf("#daily-job-%d .badge", id))); got != "Missed" {
		t.Fatalf("yesterday's status = %q", got)
	}
	if loc := run(ctx, t, chromedp.Location()); !strings.Contains(loc, "date=2026-03-03") {
		t.Fatalf("the shortcut went to %s", loc)
	}
}

// TestDailyCheckNow: "Check now" runs the missed-run pass in the background at once.
func TestDailyCheckNow(t *testing.T) {
	h, c, id := dailyFixture(t)
	r := c.post("/daily/check", nil)
	wantStatus(t, r, http.StatusSeeOther)
	// The workers run on the real clock: the last week's 22:00 slots without runs are missed.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		if err := h.db.Bun.NewRaw("SELECT count(*) FROM job_runs WHERE job_id = ? AND source_type = 'missed'", id).Scan(t.Context(), &n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no missed runs 30 seconds after Check now")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestDailyJobsCustomerFilter: Daily Jobs lists one customer's jobs when asked, with
// the counts of that customer, and its links keep the filter.
func TestDailyJobsCustomerFilter(t *testing.T) {
	h, c, id := dailyFixture(t)
	other := approvedJob(t, h, c, "Globex", "Weekly", 10, "Warning") // ran on 2 March, not expected
	acme := h.jobCustomer(id)

	r := c.get("/daily?date=2026-03-02")
	if n := r.doc.Find("#daily-table tbody tr").Length(); n != 2 {
		t.Fatalf("all customers: %d rows", n)
	}
	r = c.get(fmt.Sprintf("/daily?date=2026-03-02&customer_id=%d", acme))
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find("#daily-table tbody tr").Length() != 1 || r.doc.Find(fmt.Sprintf("#daily-job-%d", id)).Length() != 1 {
		t.Fatalf("Acme's day:\n%s", r.text("#daily-table"))
	}
	if !strings.Contains(r.text("#daily-summary"), "All 1") || !strings.Contains(r.text("#daily-summary"), "Warning 0") {
		t.Errorf("summary of Acme: %q", r.text("#daily-summary"))
	}
	if r.doc.Find(fmt.Sprintf(`#daily-customer-filter select[data-autosubmit] option[value="%d"][selected]`, acme)).Length() != 1 {
		t.Error("the customer is not the selected filter")
	}
	for _, sel := range []string{"#prev-day", "#next-day", `#daily-summary a[data-status="Failed"]`} {
		if href, _ := r.doc.Find(sel).Attr("href"); !strings.Contains(href, fmt.Sprintf("customer_id=%d", acme)) {
			t.Errorf("%s drops the customer: %q", sel, href)
		}
	}
	if hx, _ := r.doc.Find("#daily-list").Attr("hx-get"); !strings.Contains(hx, fmt.Sprintf("customer_id=%d", acme)) {
		t.Errorf("live refresh drops the customer: %q", hx)
	}
	r = c.get(fmt.Sprintf("/daily?date=2026-03-02&customer_id=%d", h.jobCustomer(other)))
	if r.doc.Find("#daily-table tbody tr").Length() != 1 || r.doc.Find(fmt.Sprintf("#daily-job-%d", other)).Length() != 1 {
		t.Fatalf("Globex's day:\n%s", r.text("#daily-table"))
	}
	if r := c.get("/daily?date=2026-03-02&customer_id=999999"); !strings.Contains(r.text("#daily-empty"), "for this customer") {
		t.Errorf("unknown customer: %q", r.text("#daily-empty"))
	}
}

// TestBrowserDailyJobsFilterAndOneLineRows: long names do not wrap a Daily Jobs row,
// and choosing a customer filters the page (no inline script: app.js submits).
func TestBrowserDailyJobsFilterAndOneLineRows(t *testing.T) {
	h, c, id := dailyFixture(t)
	approvedJob(t, h, c, "Globex", "Weekly", 10, "Warning")
	acme := h.jobCustomer(id)
	if _, err := h.db.Bun.ExecContext(t.Context(), `UPDATE customers SET name = 'Acme Holding International Logistics and Warehousing B.V.' WHERE id = ?`, acme); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.Bun.ExecContext(t.Context(), `UPDATE jobs SET job_name = 'Nightly full backup of all production virtual machines to the offsite repository' WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)
	steps(ctx, t, "log in", login(h, "admin")...)
	steps(ctx, t, "open 2 March",
		chromedp.Navigate(h.url+"/daily?date=2026-03-02"),
		chromedp.WaitVisible(fmt.Sprintf("#daily-job-%d", id)),
		htmxIdle(),
	)
	screenshot(ctx, t, "daily-one-line")
	row := fmt.Sprintf("#daily-job-%d", id)
	heights := run(ctx, t, chromedp.Evaluate[[]float64](`[document.querySelector("`+row+`").getBoundingClientRect().height,
		parseFloat(getComputedStyle(document.querySelector("`+row+` td")).lineHeight)]`))
	if heights[0] > 2*heights[1] {
		t.Errorf("the row is %.0f px tall with %.0f px lines: it wraps", heights[0], heights[1])
	}
	// Cut, not wrapped: the status is still in view at 1280 px.
	if right := run(ctx, t, chromedp.Evaluate[float64](`document.querySelector("`+row+` .badge").getBoundingClientRect().right`)); right > 1280 {
		t.Errorf("the status badge ends at %.0f px, out of view", right)
	}
	choose := func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const s = document.querySelector("#daily-customer-filter select");
			s.value = "%d"; return s.dispatchEvent(new Event("change", {bubbles: true})); })()`, acme))(ctx, tg)
		return chromedp.Void{}, err
	}
	if _, err := chromedp.RunResponse(ctx, choose); err != nil {
		t.Fatalf("choose the customer: %v", err)
	}
	steps(ctx, t, "filtered page", chromedp.WaitVisible(row), htmxIdle())
	if loc := run(ctx, t, chromedp.Location()); !strings.Contains(loc, fmt.Sprintf("customer_id=%d", acme)) || !strings.Contains(loc, "date=2026-03-02") {
		t.Fatalf("filter went to %s", loc)
	}
	if n := run(ctx, t, chromedp.Evaluate[int](`document.querySelectorAll("#daily-table tbody tr").length`)); n != 1 {
		t.Fatalf("%d rows for one customer", n)
	}
}
