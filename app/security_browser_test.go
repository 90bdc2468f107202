package app

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
)

// TestSecurityInlineSVGNotActive replays issue 11's stored XSS in a real browser: a
// signed-in user opens the inline SVG of a crafted mail (script in a <script> element and
// in onload) by its URL, as a link from any site would make them. No script may run:
// the page's title and globals stay untouched. The same session does get the part (as a
// download) and the mail's real PNG (as an image), so the test cannot pass by being
// refused at the door.
func TestSecurityInlineSVGNotActive(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("viewer", "viewer")
	id := storeInlinePartsMail(t, h)
	ctx := browser(t)
	steps(ctx, t, "log in", login(h, "viewer")...)

	for _, cid := range []string{"evil.svg", "fake.png"} {
		url := fmt.Sprintf("%s/inbox/%d/cid/%s", h.url, id, cid)
		disposition := run(ctx, t, chromedp.Evaluate[string](fmt.Sprintf(
			`fetch(%q).then(r => r.status + " " + r.headers.get("Content-Disposition"))`, url),
			chromedp.EvalAwaitPromise))
		if !strings.HasPrefix(disposition, "200 attachment") {
			t.Fatalf("%s: fetched as %q, want a 200 download", cid, disposition)
		}

		// Open it as a page. A download aborts the navigation, which is fine: what
		// matters is that nothing ran, in whatever document the tab now shows.
		_, _ = chromedp.Run(ctx, chromedp.Navigate(url))
		title := run(ctx, t, chromedp.Evaluate[string](`document.title`))
		pwned := run(ctx, t, chromedp.Evaluate[string](`String(window.pwned)`))
		if strings.Contains(title, "pwned") || pwned != "undefined" {
			t.Fatalf("%s: script ran: title %q, window.pwned %q", cid, title, pwned)
		}
	}

	steps(ctx, t, "open the real image", chromedp.Navigate(fmt.Sprintf("%s/inbox/%d/cid/logo.png", h.url, id)))
	if ct := run(ctx, t, chromedp.Evaluate[string](`document.contentType`)); ct != "image/png" {
		t.Fatalf("the PNG opened as %q", ct)
	}
}
