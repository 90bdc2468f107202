package app

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/db"
)

// A reporter creates a report in its dialog (once wrong, once right), lands on its
// preview, and the preview draws its trend and grid without a CSP violation.
func TestBrowserReports(t *testing.T) {
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	h := newHarness(t, Options{Registry: parserstest.Registry(), Now: func() time.Time { return now }})
	h.user("admin", db.RoleAdmin)
	h.user("rita", db.RoleReporter)
	c := h.client()
	c.login("admin")
	approvedJob(t, h, c, "Łódź Logistics", "Nightly", 1, "Success", "Failed", "Warning", "Success")

	ctx := browser(t)
	errs := consoleErrors(ctx, t)
	steps(ctx, t, "log in", login(h, "rita")...)
	steps(ctx, t, "open the new report dialog",
		chromedp.Navigate(h.url+"/reports"),
		chromedp.WaitVisible("#new-report"),
		htmxIdle(),
		chromedp.Click("#new-report"),
		chromedp.WaitVisible("#report-form #f-name"),
		htmxIdle(),
		modalShown(),
	)
	steps(ctx, t, "save without a customer",
		chromedp.SendKeys("#f-name", "Weekly proof"),
		chromedp.Click("#save-report"),
		chromedp.WaitVisible("#report-form #f-customer_ids.is-invalid"),
		htmxIdle(),
	)
	steps(ctx, t, "choose the customer and a custom range, save",
		chromedp.SetAttributeValue(`#f-customer_ids option`, "selected", "selected"),
		chromedp.SetValue("#f-period", "custom"),
		chromedp.SetValue("#f-custom_from", "2026-03-01"),
		chromedp.SetValue("#f-custom_to", "2026-03-08"),
		chromedp.Click("#save-report"),
		chromedp.WaitVisible("#report-content"),
		htmxIdle(),
	)
	screenshot(ctx, t, "report-preview")
	if got := run(ctx, t, chromedp.Text("#report-customer-name")); strings.TrimSpace(got) != "Łódź Logistics" {
		t.Fatalf("preview of %q", got)
	}
	if n := run(ctx, t, chromedp.Evaluate[int](`document.querySelectorAll("#report-trend svg circle").length`)); n == 0 {
		t.Error("the trend has no points")
	}
	if n := run(ctx, t, chromedp.Evaluate[int](`document.querySelectorAll("#report-grid td.text-bg-danger").length`)); n != 1 {
		t.Errorf("%d failed cells in the grid, want 1", n)
	}
	if v := cspViolations(ctx).violations(); len(v) > 0 {
		t.Errorf("CSP violations:\n%s", strings.Join(v, "\n"))
	}
	if e := errs(); len(e) > 0 {
		t.Errorf("console errors: %s", strings.Join(e, "; "))
	}
	var count int
	if err := h.db.Bun.NewRaw("SELECT count(*) FROM report_definitions WHERE name = 'Weekly proof'").Scan(t.Context(), &count); err != nil || count != 1 {
		t.Fatalf("%d definitions saved (%v)", count, err)
	}
}
