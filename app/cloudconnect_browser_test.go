package app

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/backupchecks/backupchecks/db"
)

// TestBrowserCloudConnectAccounts drives the accounts page in headless Chromium as an
// operator: Create job (once without a customer, then with a new one), Link to an
// existing job (once to a job another account has, then to a free one), Unlink after
// the confirmation and Scan inbox, all in place without a page reload; then the run's
// dialog with its report row, collapsed until opened.
func TestBrowserCloudConnectAccounts(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("op", db.RoleOperator)
	c := h.client()
	c.login("op")
	wantStatus(t, c.upload(map[string][]byte{"cc.eml": cloudConnectReport(t)}), http.StatusOK)
	std := h.scanID(t, "SELECT id FROM cloud_connect_accounts WHERE user_name = 'tenant-charlie' AND repo_name = 'Standard'")
	imm := h.scanID(t, "SELECT id FROM cloud_connect_accounts WHERE user_name = 'tenant-charlie' AND repo_name = 'Immutable'")
	row := func(id int64) string { return fmt.Sprintf("#cc-account-%d", id) }

	ctx := browser(t)
	steps(ctx, t, "log in", login(h, "op")...)
	steps(ctx, t, "open the accounts page from the navbar",
		chromedp.Navigate(h.url+"/"),
		htmxIdle(),
		chromedp.Click("#nav-more"),
		chromedp.WaitVisible(`a.dropdown-item[href="/cloud-connect/accounts"]`),
		chromedp.Click(`a.dropdown-item[href="/cloud-connect/accounts"]`),
		chromedp.WaitVisible("#cc-accounts"),
		htmxIdle(),
	)
	run(ctx, t, chromedp.Evaluate[string](`window.__noReload = "still here"; window.confirm = () => true; "ok"`))
	screenshot(ctx, t, "cc-01-accounts")

	steps(ctx, t, "create a job without a customer",
		chromedp.Click(fmt.Sprintf("#cc-create-%d", std)),
		chromedp.WaitVisible("#cc-create-form #f-job_name"),
		htmxIdle(),
		modalShown(),
		chromedp.Click("#cc-create-submit"),
		chromedp.WaitVisible("#cc-create-form #f-customer_name.is-invalid"),
		htmxIdle(),
	)
	if name := run(ctx, t, chromedp.Value("#f-job_name")); name != "tenant-charlie - Standard" {
		t.Fatalf("job name = %q", name)
	}
	steps(ctx, t, "create the job for a new customer",
		chromedp.SendKeys("#f-customer_name", "Charlie BV"),
		chromedp.WaitVisible("#customer-new"),
		htmxIdle(),
		chromedp.Click("#cc-create-submit"),
		waitJS(`document.querySelector("`+row(std)+`").textContent.includes("Charlie BV / tenant-charlie - Standard")`),
		waitJS(`!document.getElementById("modal").classList.contains("show") && document.getElementById("modal-dialog").children.length === 0`),
		htmxIdle(),
	)
	if msg := run(ctx, t, chromedp.Text("#flash")); !strings.Contains(msg, "1 stored report became a run") {
		t.Fatalf("flash = %q", msg)
	}
	screenshot(ctx, t, "cc-02-created")

	cust := h.scanID(t, "SELECT id FROM customers WHERE name = 'Charlie BV'")
	h.scanID(t, "INSERT INTO jobs (customer_id, job_name, backup_software, backup_type) VALUES (?, 'Immutable copy', 'Veeam Cloud Connect', 'Backup') RETURNING id", cust)
	steps(ctx, t, "link to a job another account has",
		chromedp.Click(fmt.Sprintf("#cc-link-%d", imm)),
		chromedp.WaitVisible("#cc-link-form #f-job_search"),
		htmxIdle(),
		modalShown(),
		chromedp.SendKeys("#f-job_search", "Standard"),
		chromedp.WaitVisible(`#cc-job-options input[name="job_id"]`),
		htmxIdle(),
		chromedp.Click("#cc-link-submit"),
		chromedp.WaitVisible("#cc-link-form #f-job_search.is-invalid"),
		htmxIdle(),
	)
	if msg := run(ctx, t, chromedp.Text("#cc-link-form .invalid-feedback")); !strings.Contains(msg, "linked to the account tenant-charlie") {
		t.Fatalf("error = %q", msg)
	}
	steps(ctx, t, "link to a free job",
		waitJS(`(document.querySelector("#f-job_search").value = "") === ""`),
		chromedp.SendKeys("#f-job_search", "Immutable"),
		waitJS(`[...document.querySelectorAll("#cc-job-options label")].some(l => l.textContent.includes("Immutable copy"))`),
		htmxIdle(),
		chromedp.Click(`#cc-job-options input[name="job_id"]`),
		chromedp.Click("#cc-link-submit"),
		waitJS(`document.querySelector("`+row(imm)+`").textContent.includes("Charlie BV / Immutable copy")`),
		waitJS(`!document.getElementById("modal").classList.contains("show") && document.getElementById("modal-dialog").children.length === 0`),
		htmxIdle(),
	)
	steps(ctx, t, "unlink after the confirmation",
		chromedp.Click(fmt.Sprintf("#cc-unlink-%d", imm)),
		chromedp.WaitVisible(fmt.Sprintf("#cc-link-%d", imm)),
		htmxIdle(),
	)
	steps(ctx, t, "scan the inbox",
		chromedp.Click("#cc-scan"),
		waitJS(`document.querySelector("#flash").textContent.includes("1 Cloud Connect report read")`),
		htmxIdle(),
	)
	if marker := run(ctx, t, chromedp.Evaluate[string](`window.__noReload || ""`)); marker != "still here" {
		t.Fatal("the page reloaded")
	}
	screenshot(ctx, t, "cc-03-linked")

	runID := h.scanID(t, "SELECT r.id FROM job_runs r JOIN cloud_connect_accounts a ON a.job_id = r.job_id WHERE a.id = ?", std)
	steps(ctx, t, "open the run's dialog and its source row",
		chromedp.Navigate(fmt.Sprintf("%s/runchecks/runs/%d", h.url, runID)),
		chromedp.WaitVisible("#run-cloud-connect"),
		htmxIdle(),
		modalShown(),
	)
	if visible := run(ctx, t, chromedp.Evaluate[bool](`document.querySelector("#cc-run-source-row").checkVisibility()`)); visible {
		t.Fatal("the source row is not collapsed")
	}
	steps(ctx, t, "expand the source row",
		chromedp.Click("#cc-run-source summary"),
		chromedp.WaitVisible("#cc-run-source-row"),
	)
	if txt := run(ctx, t, chromedp.Text("#modal-dialog")); strings.Contains(txt, "tenant-bravo") || !strings.Contains(txt, "tenant-charlie") {
		t.Fatalf("dialog text = %q", txt)
	}
	screenshot(ctx, t, "cc-04-run")
}
