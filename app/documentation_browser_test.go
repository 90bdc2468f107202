package app

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/db"
)

// TestBrowserDocumentation: from a page's "?" to its documentation, through the table
// of contents, to the next page and a search, in Chromium, with no CSP violation on
// the way (the pages are Markdown rendered to HTML: nothing inline may slip through).
func TestBrowserDocumentation(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("op", db.RoleOperator)
	ctx := browser(t)
	steps(ctx, t, "log in", login(h, "op")...)

	steps(ctx, t, "the ? of Run Checks",
		chromedp.Navigate(h.url+"/runchecks"),
		chromedp.WaitVisible("h1 a.help-link"),
		chromedp.Click("h1 a.help-link"),
		chromedp.WaitVisible("#doc-title"),
	)
	screenshot(ctx, t, "docs-01-run-checks")
	if title := run(ctx, t, chromedp.Text("#doc-title")); title != "Run Checks and keyboard shortcuts" {
		t.Fatalf("the ? of Run Checks opened %q", title)
	}
	// The keyboard shortcuts table is in the page and reachable from the contents.
	steps(ctx, t, "the table of contents",
		chromedp.Click(`.doc-toc a[href="#keyboard-shortcuts"]`),
		chromedp.WaitVisible(chromedp.ID("keyboard-shortcuts")),
	)
	if loc := run(ctx, t, chromedp.Location()); !strings.HasSuffix(loc, "/documentation/checks/run-checks#keyboard-shortcuts") {
		t.Fatalf("at %s", loc)
	}
	steps(ctx, t, "next page",
		chromedp.Click("#doc-next"),
		chromedp.WaitVisible("#doc-title"),
	)
	if title := run(ctx, t, chromedp.Text("#doc-title")); title != "Overrides" {
		t.Fatalf("the next page is %q", title)
	}
	steps(ctx, t, "search",
		chromedp.SendKeys("#doc-q", "grace\n"),
		chromedp.WaitVisible("#doc-hits"),
	)
	screenshot(ctx, t, "docs-02-search")
	if got := run(ctx, t, chromedp.Text("#doc-hits")); !strings.Contains(got, "Daily Jobs and schedules") {
		t.Fatalf("the search for grace found %q", got)
	}
	steps(ctx, t, "the Entra page with its widget",
		chromedp.Navigate(h.url+"/documentation/settings/entra-sso"),
		chromedp.WaitVisible("#doc-redirect-uri"),
	)
	screenshot(ctx, t, "docs-03-entra")
	if v := cspViolations(ctx).violations(); len(v) > 0 {
		t.Fatalf("CSP violations:\n%s", strings.Join(v, "\n"))
	}
}
