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
