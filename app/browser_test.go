package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
)

// chromium returns the browser to drive: Debian's package, which `make test`
// installs when it is missing.
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("BACKUPCHECKS_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("headless browser test needs Chromium at %s (make test installs Debian's chromium package): %v", path, err)
	}
	return path
}

func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	// Start the browser on ctx itself: the first action's context owns the browser, and
	// steps run on shorter-lived child contexts.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// screenshot saves the page when BACKUPCHECKS_SCREENSHOTS names a directory.
func screenshot(ctx context.Context, t *testing.T, name string) {
	dir := os.Getenv("BACKUPCHECKS_SCREENSHOTS")
	if dir == "" {
		return
	}
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	_ = os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
}

// TestBrowserSetupLoginAndInlineSetting drives headless Chromium through the first
// run: set up the admin, log out, log in, edit a setting inline (once wrong, once
// right) and see the change without a page reload.
func TestBrowserSetupLoginAndInlineSetting(t *testing.T) {
	h := newHarness(t, Options{})
	ctx := browser(t)
	const password = "a long first-run password"

	steps(ctx, t, "open the app",
		chromedp.Navigate(h.url+"/"),
		chromedp.WaitVisible("#setup-form"),
	)
	loc := run(ctx, t, chromedp.Location())
	if !strings.HasSuffix(loc, "/setup") {
		t.Fatalf("a fresh installation opened %s, want /setup", loc)
	}
	screenshot(ctx, t, "01-setup")

	steps(ctx, t, "set up the first admin",
		chromedp.SendKeys("#f-username", "admin"),
		chromedp.SendKeys("#f-display_name", "Ada Admin"),
		chromedp.SendKeys("#f-password", password),
		chromedp.SendKeys("#f-confirm_password", password),
		chromedp.Submit("#setup-form"),
		chromedp.WaitVisible("#dashboard-figures"),
	)
	screenshot(ctx, t, "02-dashboard")

	// Log out through the user menu, then log in.
	steps(ctx, t, "log out and in",
		htmxIdle(),
		chromedp.Click("#user-menu"),
		chromedp.WaitVisible(`form[action="/logout"] button`),
		chromedp.Click(`form[action="/logout"] button`),
		chromedp.WaitVisible("#login-form"),
		chromedp.SendKeys("#f-username", "admin"),
		chromedp.SendKeys("#f-password", password),
		chromedp.Submit("#login-form"),
		chromedp.WaitVisible("#dashboard-figures"),
	)

	// Inline edit: a marker on window survives only if the page is not reloaded.
	steps(ctx, t, "open settings",
		chromedp.Navigate(h.url+"/settings"),
		chromedp.WaitVisible("#edit-general"),
		htmxIdle(),
	)
	run(ctx, t, chromedp.Evaluate[string](`window.__noReload = "still here"`))
	steps(ctx, t, "submit a bad timezone",
		chromedp.Click("#edit-general"),
		chromedp.WaitVisible("#f-ui_timezone"),
		htmxIdle(),
		chromedp.SetValue("#f-ui_timezone", "Mars/Olympus_Mons"),
		chromedp.Click("#save-general"),
		chromedp.WaitVisible("#f-ui_timezone-error"),
		htmxIdle(),
	)
	tzError := run(ctx, t, chromedp.Text("#f-ui_timezone-error"))
	if !strings.Contains(tzError, "unknown timezone") {
		t.Fatalf("error beside the field = %q", tzError)
	}
	screenshot(ctx, t, "03-settings-error")

	steps(ctx, t, "save a good timezone",
		chromedp.SetValue("#f-ui_timezone", "Asia/Tokyo"),
		chromedp.Click("#save-general"),
		chromedp.WaitVisible("#value-ui_timezone"),
		htmxIdle(),
	)
	shown := run(ctx, t, chromedp.Text("#value-ui_timezone"))
	marker := run(ctx, t, chromedp.Evaluate[string](`String(window.__noReload)`))
	flash := run(ctx, t, chromedp.Text("#flash"))
	screenshot(ctx, t, "04-settings-saved")
	if shown != "Asia/Tokyo" {
		t.Fatalf("section shows %q after saving, want Asia/Tokyo", shown)
	}
	if marker != "still here" {
		t.Fatalf("the page was reloaded (marker = %q): the edit must happen in place", marker)
	}
	if !strings.Contains(flash, "General settings saved") {
		t.Fatalf("flash = %q", flash)
	}
}

// htmxIdle waits until htmx has initialised the page and no request, swap or settle
// is under way, so a click lands on content htmx has already processed.
func htmxIdle() chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](`document.readyState === "complete" && !!window.htmx &&
			!document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")`,
			chromedp.WithPollingTimeout(time.Minute))(ctx, t)
		return chromedp.Void{}, err
	}
}

// steps runs actions in order, each within 20 seconds, and fails the test naming the
// step that did not complete.
func steps(ctx context.Context, t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	for i, a := range actions {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := chromedp.Do(sctx, a)
		cancel()
		if err != nil {
			screenshot(ctx, t, "failed-"+strings.ReplaceAll(what, " ", "-"))
			t.Fatalf("%s: step %d of %d: %v", what, i+1, len(actions), err)
		}
	}
}

// login signs in through the login form and waits for the dashboard.
func login(h *harness, username string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(h.url + "/login"),
		chromedp.WaitVisible("#login-form"),
		chromedp.SendKeys("#f-username", username),
		chromedp.SendKeys("#f-password", testPassword),
		chromedp.Submit("#login-form"),
		chromedp.WaitVisible("#dashboard-figures"),
	}
}

// run performs one browser action that yields a value, failing the test on error.
func run[T any](ctx context.Context, t *testing.T, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

// TestBrowserCreateUserInModal opens the New user dialog, submits it once with an
// error shown in the dialog, then correctly: the dialog closes and the row appears.
func TestBrowserCreateUserInModal(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("admin", "admin")
	ctx := browser(t)
	steps(ctx, t, "log in", login(h, "admin")...)
	steps(ctx, t, "open the dialog and submit a short password",
		chromedp.Navigate(h.url+"/users"),
		chromedp.WaitVisible("#new-user"),
		htmxIdle(),
		chromedp.Click("#new-user"),
		chromedp.WaitVisible("#user-form #f-username"),
		htmxIdle(),
		chromedp.SendKeys("#user-form #f-username", "olivia"),
		chromedp.SendKeys("#user-form #f-password", "short"),
		chromedp.Click(`#user-form button[type="submit"]`),
		chromedp.WaitVisible("#user-form #f-password-error"),
		htmxIdle(),
	)
	screenshot(ctx, t, "05-user-dialog-error")
	if msg := run(ctx, t, chromedp.Text("#user-form #f-password-error")); !strings.Contains(msg, "12") {
		t.Fatalf("password error = %q", msg)
	}
	steps(ctx, t, "create the user",
		chromedp.SetValue("#user-form #f-password", "a long enough password"),
		chromedp.Click(`#user-form button[type="submit"]`),
		chromedp.WaitNotPresent("#user-form"),
		chromedp.WaitVisible(`#users-rows tr:nth-child(2)`),
		htmxIdle(),
	)
	screenshot(ctx, t, "06-user-created")
	if row := run(ctx, t, chromedp.Text(`#users-rows tr:nth-child(2)`)); !strings.Contains(row, "olivia") {
		t.Fatalf("new row = %q", row)
	}
	if open := run(ctx, t, chromedp.Evaluate[bool](`document.getElementById("modal").classList.contains("show")`)); open {
		t.Fatal("the dialog is still open after a successful create")
	}
}

// TestBrowserUploadAndApprove uploads an .eml in the Inbox, opens it, approves it to a
// new customer, and sees it leave the Inbox and the job counted.
func TestBrowserUploadAndApprove(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", "operator")
	ctx := browser(t)
	eml := filepath.Join(t.TempDir(), "nightly.eml")
	if err := os.WriteFile(eml, parserstest.Mail(7, "Failed", "Nightly", "object: vm01 Failed disk full"), 0o644); err != nil {
		t.Fatal(err)
	}
	steps(ctx, t, "log in", login(h, "ops")...)
	steps(ctx, t, "upload",
		chromedp.Navigate(h.url+"/inbox"),
		chromedp.WaitVisible("#inbox-empty"),
		htmxIdle(),
		chromedp.SetUploadFiles("#eml-files", []string{eml}),
		chromedp.Click("#upload-submit"),
		chromedp.WaitVisible("#inbox-rows tr"),
		htmxIdle(),
	)
	screenshot(ctx, t, "07-inbox-uploaded")
	if row := run(ctx, t, chromedp.Text("#inbox-rows tr")); !strings.Contains(row, "Nightly") || !strings.Contains(row, "Failed") {
		t.Fatalf("uploaded row = %q", row)
	}
	steps(ctx, t, "open the mail and type a customer",
		chromedp.Click("#inbox-rows tr td:nth-child(3)"),
		chromedp.WaitVisible("#approve-form"),
		htmxIdle(),
		chromedp.SendKeys("#f-customer_name", "Acme Corp"),
		chromedp.WaitVisible("#customer-new"),
		htmxIdle(),
	)
	screenshot(ctx, t, "08-inbox-approve")
	steps(ctx, t, "approve",
		chromedp.Click("#approve-submit"),
		chromedp.WaitVisible("#inbox-empty"),
		htmxIdle(),
	)
	if flash := run(ctx, t, chromedp.Text("#flash")); !strings.Contains(flash, "Acme Corp") {
		t.Fatalf("flash after approve = %q", flash)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(h.url+"/"), chromedp.WaitVisible("#dashboard-figures")); err != nil {
		t.Fatal(err)
	}
	if figs := run(ctx, t, chromedp.Text("#dashboard-figures")); !strings.Contains(strings.Join(strings.Fields(figs), " "), "Jobs 1") {
		t.Fatalf("dashboard after approve: %q", figs)
	}
}
