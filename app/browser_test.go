package app

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/customers"
	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/app/tasks"
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
		// No smooth scrolling or transitions: a click is aimed at where the element is
		// after scrolling, which an animation still running on a loaded machine moves.
		chromedp.Flag("force-prefers-reduced-motion", true),
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
	w := &cspWatch{}
	if err := chromedp.Do(ctx, w.install()); err != nil {
		t.Fatalf("watch CSP violations: %v", err)
	}
	t.Cleanup(func() {
		if v := w.violations(); len(v) > 0 {
			t.Errorf("the pages broke the app's CSP %d time(s):\n%s", len(v), strings.Join(v, "\n"))
		}
	})
	return context.WithValue(ctx, cspWatchKey{}, w)
}

// cspWatch collects what the app's pages did that their CSP refused, in every document
// of the tab: a violation of the page policy or of the mail frame's policy, or htmx
// asked to eval (which the CSP forbids, so htmx is configured not to). Violations of
// other policies are not counted: a handler that serves hostile content (a mail's
// part) under a lock-down policy of its own expects them.
type cspWatch struct {
	mu   sync.Mutex
	seen []string
}

type cspWatchKey struct{}

// cspReport is what the page script sends for one violation.
type cspReport struct {
	Directive string `json:"directive"`
	Blocked   string `json:"blocked"`
	Sample    string `json:"sample"`
	Source    string `json:"source"`
	Policy    string `json:"policy"`
	Page      string `json:"page"`
}

// cspListenJS runs in every new document before the page's own scripts (DevTools
// scripts are not subject to the page's CSP).
const cspListenJS = `(function () {
  if (window.__cspWatched) return;
  window.__cspWatched = true;
  document.addEventListener("securitypolicyviolation", function (e) {
    window.__cspReport({directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample,
      source: e.sourceFile + ":" + e.lineNumber, policy: e.originalPolicy, page: location.href});
  }, true);
  document.addEventListener("htmx:evalDisallowedError", function (e) {
    window.__cspReport({directive: "htmx eval", source: e.target && e.target.outerHTML ? e.target.outerHTML.slice(0, 200) : "",
      policy: "htmx", page: location.href});
  }, true);
})()`

func (w *cspWatch) install() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		report := chromedp.ExposeFunc("__cspReport", func(_ context.Context, r cspReport) (chromedp.Void, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			if r.Policy == pageCSP || r.Policy == mailBodyCSP || r.Policy == "htmx" {
				w.seen = append(w.seen, fmt.Sprintf("%s: %s blocked %q (%s) at %s", r.Page, r.Directive, r.Blocked, r.Sample, r.Source))
			}
			return chromedp.Void{}, nil
		})
		if _, err := report(ctx, t); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: cspListenJS}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, runtime.Evaluate, runtime.EvaluateParams{Expression: cspListenJS})
		return err
	})
}

func (w *cspWatch) violations() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.seen)
}

func (w *cspWatch) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = nil
}

// cspViolations is the CSP watch of a browser(t) context.
func cspViolations(ctx context.Context) *cspWatch { return ctx.Value(cspWatchKey{}).(*cspWatch) }

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

// modalShown waits until the dialog has finished opening: Bootstrap moves the focus to
// the dialog at the end of its fade-in, so keys typed before then can go astray.
func modalShown() chromedp.Action[chromedp.Void] {
	return waitJS(`(() => { const m = document.getElementById("modal"), i = m && window.bootstrap && bootstrap.Modal.getInstance(m);
		return !!i && i._isShown && !i._isTransitioning; })()`)
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
		modalShown(),
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
// new customer, and sees it leave the Inbox and the job counted. The customer's name is
// typed as soon as the dialog is there, as a person does: the dialog opens with the
// focus in the field, and keeps it where the user put it when its fade-in ends (it
// used to move to the dialog then, so the end of the name was lost: "Acme Co").
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
	if n := run(ctx, t, chromedp.Evaluate[int](`document.getElementById("eml-files").files.length`)); n != 0 {
		t.Fatalf("the file picker still holds %d file(s) after the upload", n)
	}
	steps(ctx, t, "open the mail and type a customer at once",
		chromedp.Click("#inbox-rows tr td:nth-child(3)"),
		chromedp.WaitVisible("#f-customer_name"),
		// Half the name while the dialog fades in, into the field clicked…
		chromedp.SendKeys("#f-customer_name", "Acme"),
		modalShown(),
		// …and the rest once it has opened, without clicking again.
		chromedp.KeyEvent(" Corp"),
	)
	if v := run(ctx, t, chromedp.Value("#f-customer_name")); v != "Acme Corp" {
		t.Fatalf("typed name arrived as %q", v)
	}
	// The type-ahead has answered for the whole name (not for a part typed before).
	steps(ctx, t, "see the new customer offered",
		waitJS(`(document.getElementById("customer-new") || {}).parentElement &&
			document.getElementById("customer-new").parentElement.textContent.includes("Acme Corp")`),
		htmxIdle(),
	)
	screenshot(ctx, t, "08-inbox-approve")
	steps(ctx, t, "approve",
		chromedp.Click("#approve-submit"),
		chromedp.WaitVisible("#inbox-empty"),
		htmxIdle(),
	)
	if flash := run(ctx, t, chromedp.Text("#flash")); !strings.Contains(flash, "Acme Corp;") {
		t.Fatalf("flash after approve = %q", flash)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(h.url+"/"), chromedp.WaitVisible("#dashboard-figures")); err != nil {
		t.Fatal(err)
	}
	if figs := run(ctx, t, chromedp.Text("#dashboard-figures")); !strings.Contains(strings.Join(strings.Fields(figs), " "), "Jobs 1") {
		t.Fatalf("dashboard after approve: %q", figs)
	}
}

// TestBrowserMailDialog: the mail dialog opens wide, with the approve section above the
// mail and the customers listed at once; the customer field has the focus; an error
// beside a field goes as soon as the field is edited.
func TestBrowserMailDialog(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", "operator")
	for i := range 12 {
		if _, err := customers.Create(t.Context(), h.db.Bun, audit.Actor{}, fmt.Sprintf("Customer %02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	c := h.client()
	c.login("ops")
	wantStatus(t, c.upload(map[string][]byte{"a.eml": htmlReportMail(3, "Failed", "Nightly")}), http.StatusOK)
	ctx := browser(t)
	steps(ctx, t, "log in", login(h, "ops")...)
	steps(ctx, t, "open the mail",
		chromedp.Navigate(h.url+"/inbox"),
		chromedp.WaitVisible("#inbox-rows tr"),
		htmxIdle(),
		chromedp.Click("#inbox-rows tr td:nth-child(3)"),
		chromedp.WaitVisible("#approve-form"),
		modalShown(),
	)
	screenshot(ctx, t, "09-mail-dialog")
	if hint := run(ctx, t, chromedp.Text("#customer-hint")); strings.Contains(hint, "No customers") {
		t.Fatalf("with 12 customers the dialog says %q", hint)
	}
	if n := run(ctx, t, chromedp.Evaluate[int](`document.querySelectorAll('#customer-options input[name="customer_id"]').length`)); n != 8 {
		t.Fatalf("%d customers listed before typing, want 8", n)
	}
	if w := run(ctx, t, chromedp.Evaluate[float64](`document.querySelector("#modal .modal-dialog").getBoundingClientRect().width`)); w < 1100 {
		t.Fatalf("the dialog is %.0f px wide in a 1280 px window, want a wide one", w)
	}
	if above := run(ctx, t, chromedp.Evaluate[bool](`document.getElementById("approve-form").getBoundingClientRect().bottom <=
		document.querySelector("#modal iframe.mail-body").getBoundingClientRect().top`)); !above {
		t.Fatal("the approve section is not above the mail")
	}
	if id := run(ctx, t, chromedp.Evaluate[string](`document.activeElement.id`)); id != "f-customer_name" {
		t.Fatalf("the focus is on %q, want the customer field", id)
	}
	steps(ctx, t, "approve without a customer, then type one",
		chromedp.Click("#approve-submit"),
		chromedp.WaitVisible("#f-customer_name.is-invalid"),
		htmxIdle(),
	)
	if msg := run(ctx, t, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector("#f-customer_name ~ .invalid-feedback")).display !== "none"`)); !msg {
		t.Fatal("the error is not shown")
	}
	steps(ctx, t, "type a customer", chromedp.SendKeys("#f-customer_name", "A"))
	if still := run(ctx, t, chromedp.Evaluate[bool](`document.getElementById("f-customer_name").classList.contains("is-invalid") ||
		getComputedStyle(document.querySelector("#f-customer_name ~ .invalid-feedback")).display !== "none"`)); still {
		t.Fatal("the error stays while the field is edited")
	}
}

// TestBrowserUploadProgress: a large upload shows its progress in the upload box while
// it is sent, then that it is being imported; afterwards the file picker is empty.
func TestBrowserUploadProgress(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", "operator")
	eml := filepath.Join(t.TempDir(), "large.eml")
	if err := os.WriteFile(eml, largeReport(1, 6<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)
	steps(ctx, t, "log in", login(h, "ops")...)
	// 3 MB/s up: the 6 MB upload takes two seconds.
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{DownloadThroughput: -1, UploadThroughput: 3 << 20}}})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	var seen []string
	steps(ctx, t, "upload a large mail",
		chromedp.Navigate(h.url+"/inbox"),
		chromedp.WaitVisible("#upload-form"),
		htmxIdle(),
		chromedp.SetUploadFiles("#eml-files", []string{eml}),
		chromedp.Click("#upload-submit"),
		chromedp.WaitVisible("#upload-progress"),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			// Sample what the box says until the upload is done.
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				st, err := chromedp.Evaluate[string](`document.getElementById("upload-progress").classList.contains("d-none") ? "done" :
					document.getElementById("upload-progress").getAttribute("aria-valuenow") + "|" + document.getElementById("upload-status").textContent`)(ctx, tg)
				if err != nil {
					return err
				}
				seen = append(seen, st)
				if st == "done" {
					return nil
				}
			}
			return fmt.Errorf("the upload did not finish")
		}),
		chromedp.WaitVisible("#inbox-rows tr"),
		htmxIdle(),
	)
	var partway bool
	for _, s := range seen {
		pct, text, _ := strings.Cut(s, "|")
		if pct != "0" && pct != "100" && strings.Contains(text, "Uploading… ") && strings.Contains(text, " of ") {
			partway = true
		}
	}
	if !partway {
		t.Fatalf("no progress shown while uploading: %q", seen)
	}
	if n := run(ctx, t, chromedp.Evaluate[int](`document.getElementById("eml-files").files.length`)); n != 0 {
		t.Fatalf("the file picker still holds %d file(s)", n)
	}
}

// TestBrowserSecurityCSP opens every page of the navbar (and the pages behind them),
// the mail, run and Daily Jobs dialogs, and uses the behaviour that moved from inline
// handlers into app.js, all under the app's CSP: nothing may be refused (browser(t)
// fails the test on any violation), and htmx must still swap.
func TestBrowserSecurityCSP(t *testing.T) {
	f := newRouteFixture(t)
	h := f.h
	jobID, mailID, customerID := f.ids["jobs"], f.ids["inbox"], f.ids["customers"]
	// Daily Jobs lists jobs with a schedule; the runs are of 2 March 2026.
	if _, err := h.db.Bun.ExecContext(t.Context(), `UPDATE jobs SET created_at = '2026-02-01',
		learned_schedule = '{"kind":"daily","time":"22:00"}', schedule_learned_at = now() WHERE id = ?`, jobID); err != nil {
		t.Fatal(err)
	}
	// A re-parse under way shows its progress bar in the Inbox.
	taskID, err := tasks.Insert(t.Context(), h.db.Pool, tasks.KindMailReparse, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := tasks.Progress(t.Context(), h.db.Bun, taskID, 1, 4, "Re-parsing…"); err != nil {
		t.Fatal(err)
	}

	ctx := browser(t)
	watch := cspViolations(ctx)
	steps(ctx, t, "log in", login(h, "admin")...)

	// The watch works: an inline style is refused and reported.
	run(ctx, t, chromedp.Evaluate[bool](`document.body.insertAdjacentHTML("beforeend", '<div id="csp-probe" style="color: red"></div>'), true`))
	steps(ctx, t, "see the probe reported", waitFor(func() bool { return len(watch.violations()) > 0 }))
	if v := watch.violations(); !strings.Contains(v[0], "style-src") {
		t.Fatalf("the probe's violation = %q", v[0])
	}
	watch.reset()

	pages := run(ctx, t, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#navbar-main a[href^='/']"), a => a.getAttribute("href"))`))
	if len(pages) < 10 {
		t.Fatalf("the navbar links to only %v", pages)
	}
	pages = append(pages, "/inbox/deleted", "/jobs/archived", fmt.Sprintf("/jobs/%d", jobID), "/daily?date=2026-03-02",
		"/settings/imports", "/settings/integrations", "/settings/maintenance", "/tickets?kind=ticket")
	for _, p := range pages {
		steps(ctx, t, "open "+p, chromedp.Navigate(h.url+p), chromedp.WaitReady("body"), htmxIdle())
	}
	// The mail body opened on its own: no htmx there, and no script at all.
	steps(ctx, t, "open the mail body alone", chromedp.Navigate(h.url+mailBodyURL(mailID)), chromedp.WaitVisible("img#logo"))

	steps(ctx, t, "open the HTML mail in the Inbox",
		chromedp.Navigate(h.url+"/inbox"),
		chromedp.WaitVisible(fmt.Sprintf("#mail-%d", mailID)),
		htmxIdle(),
		chromedp.Click(fmt.Sprintf("#mail-%d td:nth-child(3)", mailID)),
		chromedp.WaitVisible("#modal iframe.mail-body"),
		htmxIdle(),
		// The frame shows the mail with its own styles and its inline image.
		waitJS(`(() => { const d = document.querySelector("#modal iframe.mail-body").contentDocument;
			const img = d && d.querySelector("img#logo"), td = d && d.querySelector("td.status");
			return !!img && img.complete && img.naturalWidth === 1 && getComputedStyle(td).fontWeight === "700" &&
				getComputedStyle(td).backgroundColor === "rgb(0, 176, 80)"; })()`),
		modalShown(),
		// The customer type-ahead swaps in the existing customer.
		chromedp.SendKeys("#f-customer_name", "Ac"),
		chromedp.WaitVisible(fmt.Sprintf(`#customer-options input[value="%d"]`, customerID)),
		htmxIdle(),
	)
	if title := run(ctx, t, chromedp.Evaluate[string](`document.title`)); strings.Contains(title, "owned") {
		t.Fatal("the mail's script ran")
	}
	if w := run(ctx, t, chromedp.Evaluate[string](`document.querySelector("[data-progress]").style.width`)); w != "25%" {
		t.Fatalf("progress bar width = %q, want 25%%", w)
	}
	screenshot(ctx, t, "csp-01-mail")

	steps(ctx, t, "open a run with Enter in Run Checks",
		chromedp.Navigate(h.url+"/runchecks"),
		chromedp.WaitVisible(fmt.Sprintf("#rc-job-%d .rc-run", jobID)),
		htmxIdle(),
		chromedp.Focus(fmt.Sprintf("#rc-job-%d .rc-run", jobID)),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible("#run-info"),
		chromedp.WaitVisible("#run-alerts"), // loaded by the dialog (hx-trigger="load")
		htmxIdle(),
	)
	if a := run(ctx, t, chromedp.Text("#run-alerts")); !strings.Contains(a, "Disk full") {
		t.Fatalf("run alerts = %q", a)
	}
	steps(ctx, t, "a click on a run's checkbox selects it and opens nothing",
		chromedp.Navigate(h.url+"/runchecks"),
		chromedp.WaitVisible(fmt.Sprintf("#rc-job-%d .rc-run", jobID)),
		htmxIdle(),
		chromedp.Click(fmt.Sprintf("#rc-job-%d .rc-run input[name=run_ids]", jobID)),
		htmxIdle(),
	)
	if open := run(ctx, t, chromedp.Evaluate[bool](`!!document.querySelector("#run-info") || document.getElementById("modal").classList.contains("show")`)); open {
		t.Fatal("a click on the checkbox opened the run")
	}

	steps(ctx, t, "open a job's runs in Daily Jobs",
		chromedp.Navigate(h.url+"/daily?date=2026-03-02"),
		chromedp.WaitVisible(fmt.Sprintf("#daily-job-%d", jobID)),
		htmxIdle(),
		chromedp.Click(fmt.Sprintf("#daily-job-%d td:nth-child(4)", jobID)),
		waitJS(`document.getElementById("modal").classList.contains("show") && document.getElementById("modal-dialog").children.length > 0`),
		htmxIdle(),
		chromedp.Navigate(h.url+"/daily?date=2026-03-02"),
		chromedp.WaitVisible("#daily-nav"),
		htmxIdle(),
	)
	pickDay := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`(() => { const d = document.querySelector("#daily-nav input[type=date]");
			d.value = "2026-03-01"; return d.dispatchEvent(new Event("change", {bubbles: true})); })()`)(ctx, t)
		return err
	})
	if _, err := chromedp.RunResponse(ctx, pickDay); err != nil {
		t.Fatalf("change the day: %v", err)
	}
	if loc := run(ctx, t, chromedp.Location()); !strings.Contains(loc, "date=2026-03-01") {
		t.Fatalf("the day picker went to %s", loc)
	}

	steps(ctx, t, "search customers and cancel an inline edit with Escape",
		chromedp.Navigate(h.url+"/customers"),
		chromedp.WaitVisible("#customers-q"),
		htmxIdle(),
		chromedp.SendKeys("#customers-q", "zzz"),
		waitJS(`document.querySelectorAll("#customers-rows tr[id^=customer-]").length === 0`),
		htmxIdle(),
		waitJS(`(document.querySelector("#customers-q").value = "") === ""`),
		chromedp.SendKeys("#customers-q", "Ac"),
		chromedp.WaitVisible(fmt.Sprintf("#customer-%d .customer-edit", customerID)),
		htmxIdle(),
		chromedp.Click(fmt.Sprintf("#customer-%d .customer-edit", customerID)),
		chromedp.WaitVisible(fmt.Sprintf("#customer-%d input[name=name]", customerID)),
		htmxIdle(),
		chromedp.SendKeys(fmt.Sprintf("#customer-%d input[name=name]", customerID), kb.Escape),
		chromedp.WaitNotPresent(fmt.Sprintf("#customer-%d input[name=name]", customerID)),
		htmxIdle(),
	)

	steps(ctx, t, "refuse a job's deletion in the confirmation",
		chromedp.Navigate(h.url+fmt.Sprintf("/jobs/%d", jobID)),
		chromedp.WaitVisible("#delete-job"),
		htmxIdle(),
	)
	run(ctx, t, chromedp.Evaluate[bool](`window.confirm = (msg) => { window.__asked = msg; return false; }; true`))
	steps(ctx, t, "click Delete", chromedp.Click("#delete-job"), waitJS(`!!window.__asked`))
	if asked := run(ctx, t, chromedp.Evaluate[string](`window.__asked`)); !strings.Contains(asked, "Delete this job") {
		t.Fatalf("confirmation = %q", asked)
	}
	var jobs int
	if err := h.db.Bun.NewRaw("SELECT count(*) FROM jobs WHERE id = ?", jobID).Scan(t.Context(), &jobs); err != nil || jobs != 1 {
		t.Fatalf("the job went although the confirmation was refused (%d, %v)", jobs, err)
	}
	if v := watch.violations(); len(v) > 0 {
		t.Fatalf("CSP violations:\n%s", strings.Join(v, "\n"))
	}
}

// waitFor polls cond (Go side) for up to 10 seconds.
func waitFor(cond func() bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				return fmt.Errorf("condition not met in 10s")
			}
			time.Sleep(50 * time.Millisecond)
		}
		return nil
	})
}
