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
)

// TestBrowserManyPageVisitsStayResponsive walks one tab through 20 page visits (Run
// Checks, Inbox, Daily Jobs with the day changed several times, Back and Forward) and
// opens three more tabs: a page load must still complete at once, each tab holds one
// live-update stream at most, and a new run still shows up in Run Checks by itself.
// Over plain HTTP/1.1 Chromium keeps 6 connections per host: a page that keeps its
// stream open while it sits in the back/forward cache holds one of them, and after a
// handful of visits every further request waits (7 to 30 s).
func TestBrowserManyPageVisitsStayResponsive(t *testing.T) {
	f := newRouteFixture(t)
	h := f.h
	jobID := f.ids["jobs"]
	ctx := browser(t)
	steps(ctx, t, "log in", login(h, "admin")...)

	visits := 0
	visit := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		steps(ctx, t, what, append(actions, chromedp.WaitReady("#main"), htmxIdle())...)
		visits++
	}
	open := func(path string) { visit("open "+path, chromedp.Navigate(h.url+path)) }
	for round := 0; round < 2; round++ {
		open("/runchecks")
		open("/inbox")
		open("/daily?date=2026-03-05")
		for i := 0; i < 3; i++ {
			visit("previous day", chromedp.Click("#prev-day"), chromedp.WaitVisible("#daily-list"))
		}
		visit("back", chromedp.NavigateBack())
		visit("back", chromedp.NavigateBack())
		visit("forward", chromedp.NavigateForward())
	}
	open("/runchecks")
	open("/inbox")
	if visits < 20 {
		t.Fatalf("only %d visits", visits)
	}

	for i := 0; i < 3; i++ {
		tab, cancel := chromedp.NewContext(ctx)
		defer cancel()
		// The first action on the tab's own context opens the tab (a step's shorter
		// context would close it when the step ends).
		if err := chromedp.Do(tab); err != nil {
			t.Fatalf("open tab %d: %v", i+1, err)
		}
		// The Inbox listens to two topics (mail and the re-parse progress).
		steps(tab, t, fmt.Sprintf("open tab %d", i+1), chromedp.Navigate(h.url+"/inbox"), chromedp.WaitReady("#main"), htmxIdle())
	}

	steps(ctx, t, "load a page", chromedp.Navigate(h.url+"/runchecks"), chromedp.WaitVisible(fmt.Sprintf("#rc-job-%d .rc-run", jobID)), htmxIdle())
	// What a person waits for, as the browser measured it (navigation start to the end
	// of the load event), without the test driver's own overhead. A load takes about
	// 100 ms here; one queued behind held connections takes 7 s or more.
	took := run(ctx, t, chromedp.Evaluate[float64](`performance.getEntriesByType("navigation")[0].loadEventEnd`))
	if took > 1000 {
		t.Fatalf("Run Checks took %.0f ms to load after %d visits and 3 more tabs", took, visits)
	}
	// Four tabs show a live page: four streams, whatever the tabs visited before.
	steps(ctx, t, "one stream per tab", waitFor(func() bool { return h.app.hub.Subscribers() == 4 }))

	// A run that arrives now appears without a reload.
	run(ctx, t, chromedp.Evaluate[bool](`window.__noReload = true`))
	before := run(ctx, t, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll("#rc-job-%d .rc-run").length`, jobID)))
	wantStatus(t, f.admin.upload(map[string][]byte{"late.eml": parserstest.Mail(40, "Warning", "Nightly", "object: vm01 Warning slow")}), http.StatusOK)
	steps(ctx, t, "see the new run", waitJS(fmt.Sprintf(`document.querySelectorAll("#rc-job-%d .rc-run").length === %d`, jobID, before+1)))
	if !run(ctx, t, chromedp.Evaluate[bool](`window.__noReload === true`)) {
		t.Fatal("the page was reloaded to show the new run")
	}
}

// TestBrowserBackAfterLogout: Back after Log out shows the login page, not the page
// left behind (a page kept in the back/forward cache would show customer data).
func TestBrowserBackAfterLogout(t *testing.T) {
	f := newRouteFixture(t)
	h := f.h
	ctx := browser(t)
	steps(ctx, t, "log in and open Run Checks", append(login(h, "admin"),
		chromedp.Navigate(h.url+"/runchecks"),
		chromedp.WaitVisible("#runchecks-list .rc-run"),
		htmxIdle(),
	)...)
	steps(ctx, t, "log out",
		chromedp.Click("#user-menu"),
		chromedp.WaitVisible(`form[action="/logout"] button`),
		chromedp.Click(`form[action="/logout"] button`),
		chromedp.WaitVisible("#login-form"),
	)
	run(ctx, t, chromedp.Evaluate[bool](`history.back(), true`))
	// Back lands on the login page the server sends a signed-out visitor of Run Checks
	// to, or on a restored Run Checks that shows itself.
	steps(ctx, t, "go back", waitJSAcrossLoads(`document.readyState === "complete" &&
		(location.search.includes("next=") && !!document.querySelector("#login-form") ||
		 !!document.querySelector("#runchecks-list") && document.documentElement.style.visibility !== "hidden")`))
	if shown := run(ctx, t, chromedp.Evaluate[string](`document.querySelector("#runchecks-list") ? document.body.innerText : ""`)); shown != "" {
		t.Fatalf("Back after Log out shows Run Checks:\n%.300s", shown)
	}
	if !strings.HasPrefix(run(ctx, t, chromedp.Location()), h.url+"/login") {
		t.Fatalf("Back after Log out went to %s", run(ctx, t, chromedp.Location()))
	}
}

// waitJSAcrossLoads polls expr until it is true, for up to 15 seconds, through page
// loads: an evaluation that a navigation interrupts is tried again.
func waitJSAcrossLoads(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		deadline := time.Now().Add(15 * time.Second)
		var last error
		for time.Now().Before(deadline) {
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
			if err == nil && ok {
				return nil
			}
			last = err
			time.Sleep(50 * time.Millisecond)
		}
		return fmt.Errorf("%s still false after 15 s (last error: %v)", expr, last)
	})
}

// TestBrowserDialogURLs: a run, a mail and a job's day opened from their lists put
// their own URL in the address bar; that URL reloaded or opened in another tab shows
// the list with the dialog open (a styled page, not a bare fragment); closing the
// dialog, or Back, returns the address bar to the list without loading it again.
func TestBrowserDialogURLs(t *testing.T) {
	f := newRouteFixture(t)
	h := f.h
	jobID, runID, mailID := f.ids["jobs"], f.ids["runchecks"], f.ids["inbox"]
	if _, err := h.db.Bun.ExecContext(t.Context(), `UPDATE jobs SET created_at = '2026-02-01',
		learned_schedule = '{"kind":"daily","time":"22:00"}', schedule_learned_at = now() WHERE id = ?`, jobID); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)
	steps(ctx, t, "log in", login(h, "admin")...)
	location := func() string { return strings.TrimPrefix(run(ctx, t, chromedp.Location()), h.url) }
	wantLocation := func(want string) {
		t.Helper()
		steps(ctx, t, "address "+want, waitJS(fmt.Sprintf(`location.pathname + location.search === %q`, want)))
	}
	dialogOpen := chromedp.Action[chromedp.Void](modalShown())
	closeDialog := []chromedp.Action[chromedp.Void]{
		chromedp.Click("#modal .btn-close"),
		waitJS(`!document.getElementById("modal").classList.contains("show") && document.getElementById("modal-dialog").children.length === 0`),
	}
	marker := func() { run(ctx, t, chromedp.Evaluate[bool](`window.__noReload = true`)) }
	notReloaded := func(what string) {
		t.Helper()
		if !run(ctx, t, chromedp.Evaluate[bool](`window.__noReload === true`)) {
			t.Fatalf("%s loaded the page again", what)
		}
	}

	// Run Checks: open a run, close it.
	row := fmt.Sprintf(`#rc-job-%d .rc-run[data-run-id="%d"]`, jobID, runID)
	steps(ctx, t, "open Run Checks", chromedp.Navigate(h.url+"/runchecks?q=Nightly"), chromedp.WaitVisible(row), htmxIdle())
	marker()
	steps(ctx, t, "open the run", chromedp.Click(row+" .small.text-truncate"), chromedp.WaitVisible("#run-info"), htmxIdle(), dialogOpen)
	wantLocation(fmt.Sprintf("/runchecks/runs/%d", runID))
	steps(ctx, t, "close the run", closeDialog...)
	wantLocation("/runchecks?q=Nightly")
	notReloaded("closing the run")

	// Back while the run is open closes it.
	steps(ctx, t, "open the run again", htmxIdle(), chromedp.Click(row+" .small.text-truncate"), chromedp.WaitVisible("#run-info"), htmxIdle(), dialogOpen)
	wantLocation(fmt.Sprintf("/runchecks/runs/%d", runID))
	run(ctx, t, chromedp.Evaluate[bool](`history.back(), true`))
	steps(ctx, t, "Back closes the run", closeDialog[1])
	wantLocation("/runchecks?q=Nightly")
	notReloaded("Back from the run")

	// The run's URL reloaded: Run Checks with the run open; closing it shows the list's URL.
	steps(ctx, t, "open the run and reload", htmxIdle(), chromedp.Click(row+" .small.text-truncate"), chromedp.WaitVisible("#run-info"), htmxIdle(),
		chromedp.Reload(), chromedp.WaitVisible("#run-info"), htmxIdle(), dialogOpen)
	if location() != fmt.Sprintf("/runchecks/runs/%d", runID) {
		t.Fatalf("after the reload the address is %s", location())
	}
	styled := `getComputedStyle(document.querySelector("nav.navbar")).position === "fixed" &&
		getComputedStyle(document.getElementById("modal")).display === "block" && !!document.querySelector(row)`
	if !run(ctx, t, chromedp.Evaluate[bool](strings.ReplaceAll(styled, "row", fmt.Sprintf("%q", row)))) {
		t.Fatal("the reloaded run is not the styled Run Checks page with the dialog open")
	}
	marker()
	steps(ctx, t, "close the reloaded run", closeDialog...)
	wantLocation("/runchecks")
	notReloaded("closing the reloaded run")

	// The Inbox: the mail's URL, opened in another tab as a middle-click does.
	steps(ctx, t, "open a mail", chromedp.Navigate(h.url+"/inbox"), chromedp.WaitVisible(fmt.Sprintf("#mail-%d", mailID)), htmxIdle(),
		chromedp.Click(fmt.Sprintf("#mail-%d td:nth-child(3)", mailID)), chromedp.WaitVisible("#modal iframe.mail-body"), htmxIdle(), dialogOpen)
	mailURL := location()
	if mailURL != fmt.Sprintf("/inbox/%d", mailID) {
		t.Fatalf("the open mail's address is %s", mailURL)
	}
	tab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	if err := chromedp.Do(tab); err != nil {
		t.Fatal(err)
	}
	steps(tab, t, "open the mail's URL in a new tab", chromedp.Navigate(h.url+mailURL), chromedp.WaitVisible("#modal iframe.mail-body"), htmxIdle(), modalShown(),
		chromedp.WaitVisible(fmt.Sprintf("#mail-%d", mailID)))
	steps(tab, t, "close it", chromedp.Click("#modal .btn-close"), waitJS(`location.pathname === "/inbox"`))

	// Daily Jobs: a job's day.
	dayRow := fmt.Sprintf("#daily-job-%d", jobID)
	steps(ctx, t, "open a job's day", chromedp.Navigate(h.url+"/daily?date=2026-03-02"), chromedp.WaitVisible(dayRow), htmxIdle(),
		chromedp.Click(dayRow+" td:nth-child(4)"), chromedp.WaitVisible("#day-slot"), htmxIdle(), dialogOpen)
	wantLocation(fmt.Sprintf("/daily/%d?date=2026-03-02", jobID))
	steps(ctx, t, "reload the day", chromedp.Reload(), chromedp.WaitVisible("#day-slot"), chromedp.WaitVisible(dayRow), htmxIdle(), dialogOpen)
	steps(ctx, t, "close the day", closeDialog...)
	wantLocation("/daily?date=2026-03-02")
}

// TestBrowserStreamClosedWhileHidden: a page that is hidden (another tab in front, the
// window minimised) closes its live-update stream, and when it is shown again opens it
// and catches up with what changed meanwhile.
func TestBrowserStreamClosedWhileHidden(t *testing.T) {
	f := newRouteFixture(t)
	h := f.h
	jobID := f.ids["jobs"]
	ctx := browser(t)
	steps(ctx, t, "log in", login(h, "admin")...)
	rows := fmt.Sprintf(`document.querySelectorAll("#rc-job-%d .rc-run").length`, jobID)
	steps(ctx, t, "open Run Checks", chromedp.Navigate(h.url+"/runchecks"), chromedp.WaitVisible("#runchecks-list .rc-run"), htmxIdle(),
		waitFor(func() bool { return h.app.hub.Subscribers() == 1 }))
	before := run(ctx, t, chromedp.Evaluate[int](rows))
	run(ctx, t, chromedp.Evaluate[bool](`window.__noReload = true`))

	// Headless Chromium keeps its one tab visible: the page is told it is hidden as the
	// browser tells it.
	setVisibility := func(state string) {
		run(ctx, t, chromedp.Evaluate[bool](fmt.Sprintf(`Object.defineProperty(document, "visibilityState", {value: %q, configurable: true});
			document.dispatchEvent(new Event("visibilitychange")), true`, state)))
	}
	setVisibility("hidden")
	steps(ctx, t, "the stream closes", waitFor(func() bool { return h.app.hub.Subscribers() == 0 }))
	wantStatus(t, f.admin.upload(map[string][]byte{"late.eml": parserstest.Mail(41, "Failed", "Nightly", "object: vm01 Failed disk full")}), http.StatusOK)
	setVisibility("visible")
	steps(ctx, t, "the stream opens again and the new run shows",
		waitFor(func() bool { return h.app.hub.Subscribers() == 1 }),
		waitJS(fmt.Sprintf(`%s === %d`, rows, before+1)))
	if !run(ctx, t, chromedp.Evaluate[bool](`window.__noReload === true`)) {
		t.Fatal("the page was reloaded")
	}
}
