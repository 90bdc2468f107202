package app

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/backupchecks/backupchecks/db"
)

// TestBrowserFeedbackPasteScreenshot: in a real browser a viewer pastes a screenshot
// from the clipboard into the new item form (a paste event carrying an image file, as
// the browser fires for Ctrl+V of a screenshot): it joins the form's files with a
// preview, is posted with the item, shows as a thumbnail and opens large in the
// lightbox, which Escape closes. On the way, "/" moves to the navbar's search box.
func TestBrowserFeedbackPasteScreenshot(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("vic", db.RoleViewer)
	ctx := browser(t)
	steps(ctx, t, "log in", login(h, "vic")...)

	steps(ctx, t, "press / and search",
		htmxIdle(),
		typeKeyDown("/", "Slash", 191),
		waitJS(`document.activeElement && document.activeElement.id === "nav-search"`),
		chromedp.KeyEvent("feedback"),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible("#search-results"),
	)
	if v := run(ctx, t, chromedp.Value("#search-q")); v != "feedback" {
		t.Fatalf("the search page shows %q", v)
	}

	png := base64.StdEncoding.EncodeToString(testPNG(t))
	steps(ctx, t, "open the form",
		chromedp.Navigate(h.url+"/feedback"),
		chromedp.WaitVisible("#feedback-new summary"),
		chromedp.Click("#feedback-new summary"),
		chromedp.WaitVisible("#f-title"),
		chromedp.SendKeys("#f-title", "Colours are off"),
		chromedp.SendKeys("#feedback-text", "See the screenshot."),
	)
	// The page takes the image and keeps the browser from pasting anything else.
	if defaulted := run(ctx, t, chromedp.Evaluate[bool](`(() => {
			const bytes = Uint8Array.from(atob("`+png+`"), c => c.charCodeAt(0));
			const dt = new DataTransfer();
			dt.items.add(new File([bytes], "image.png", {type: "image/png"}));
			const ta = document.getElementById("feedback-text");
			ta.focus();
			return ta.dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true, cancelable: true}));
		})()`)); defaulted {
		t.Fatal("the paste of an image was left to the browser")
	}
	steps(ctx, t, "see the pasted screenshot",
		waitJS(`document.querySelector("#feedback-new-form [data-paste-preview] img[src^='data:image/png']") !== null`),
	)
	names := run(ctx, t, chromedp.Evaluate[string](`Array.from(document.getElementById("feedback-files").files).map(f => f.name).join(",")`))
	if names != "pasted-1.png" {
		t.Fatalf("the file input holds %q after the paste", names)
	}
	if text := run(ctx, t, chromedp.Value("#feedback-text")); text != "See the screenshot." {
		t.Fatalf("the paste changed the text to %q", text)
	}
	screenshot(ctx, t, "feedback-pasted")

	steps(ctx, t, "post it and open the screenshot",
		chromedp.Click("#feedback-submit"),
		chromedp.WaitVisible("#feedback-item .feedback-thumb img"),
		waitJS(`document.querySelector("#feedback-item .feedback-thumb img").naturalWidth === 3`),
		chromedp.Click("#feedback-item .feedback-thumb"),
		chromedp.WaitVisible("#lightbox img"),
		waitJS(`document.querySelector("#lightbox img").naturalWidth === 3`),
	)
	screenshot(ctx, t, "feedback-lightbox")
	if title := run(ctx, t, chromedp.Text("h1")); !strings.Contains(title, "Colours are off") {
		t.Fatalf("item page title %q", title)
	}
	steps(ctx, t, "close the lightbox",
		chromedp.KeyEvent(kb.Escape),
		chromedp.WaitNotPresent("#lightbox"),
	)
	var stored string
	if err := h.db.Bun.NewRaw("SELECT filename || ' ' || content_type FROM feedback_attachments").Scan(t.Context(), &stored); err != nil || stored != "pasted-1.png image/png" {
		t.Fatalf("stored %q, %v", stored, err)
	}
}

// typeKeyDown presses a printable key as a keyboard does: one keyDown event that
// carries the character, so the character is typed only when the page does not
// prevent the keydown (chromedp.KeyEvent sends the character as an event of its own,
// which a page cannot prevent).
func typeKeyDown(key, code string, keyCode int64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		down := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyDown, Key: key, Code: code, Text: key, UnmodifiedText: key,
			WindowsVirtualKeyCode: keyCode, NativeVirtualKeyCode: keyCode}
		if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, down); err != nil {
			return err
		}
		up := down
		up.Type, up.Text, up.UnmodifiedText = input.DispatchKeyEventTypeKeyUp, "", ""
		_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, up)
		return err
	})
}
