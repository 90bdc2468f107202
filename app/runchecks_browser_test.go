package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/db"
)

// consoleErrors collects what the page logs as an error (console.error) and what it
// throws without catching, from now on; the returned func lists them.
func consoleErrors(ctx context.Context, t *testing.T) func() []string {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	cctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	messages := chromedp.Console(cctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			// Errors of the page's scripts; the browser's own log (a failed resource)
			// has a Source.
			if m.IsException() || (m.Type == chromedp.ConsoleError && m.Source == "") {
				mu.Lock()
				seen = append(seen, m.String())
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

func evalBool(ctx context.Context, t *testing.T, expr string) bool {
	t.Helper()
	return run(ctx, t, chromedp.Evaluate[bool](expr))
}

// TestBrowserRunDialogActions drives the run dialog as an operator: a ticket created from
// it brings the dialog back with the ticket at its top (and its number in the queue);
// "Mark as Success" is undone; the override it offers is prefilled narrowly and saving it
// confirms, shows the run again and refreshes the queue — without a console error (it
// was "Invalid re-target #overrides-table"). The ticket number's copy button uses the
// Clipboard API, else execCommand on a hidden textarea, else a prompt, and shows its
// check mark for 800 ms.
func TestBrowserRunDialogActions(t *testing.T) {
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	h := newHarness(t, Options{Registry: parserstest.Registry(), Now: func() time.Time { return now }})
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("ops")
	nightly := approvedJob(t, h, c, "Acme", "Nightly", 1, "Failed")
	runID := firstRun(t, h, nightly)
	group := fmt.Sprintf("#rc-job-%d", nightly)

	ctx := browser(t)
	errs := consoleErrors(ctx, t)
	steps(ctx, t, "log in", login(h, "ops")...)
	steps(ctx, t, "open the run",
		chromedp.Navigate(h.url+"/runchecks"),
		chromedp.WaitVisible(group+" .rc-run"),
		htmxIdle(),
		chromedp.Focus(group+" .rc-run"),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible("#run-info"),
		htmxIdle(),
		modalShown(),
	)
	steps(ctx, t, "create a ticket from the dialog",
		chromedp.Click("#run-new-ticket"),
		chromedp.WaitVisible("#ticket-form textarea[name=text]"),
		htmxIdle(),
		chromedp.SendKeys("#ticket-form textarea[name=text]", "Disk full on the repository"),
		chromedp.Click("#save-ticket"),
		chromedp.WaitVisible("#run-alerts .ticket-mark"),
		htmxIdle(),
		// The queue behind shows the ticket's number beside its mark.
		chromedp.WaitVisible(group+" .ticket-mark"),
		htmxIdle(),
	)
	screenshot(ctx, t, "run-dialog-ticket")
	var code string
	if err := h.db.Bun.NewRaw("SELECT ticket_code FROM tickets").Scan(t.Context(), &code); err != nil {
		t.Fatal(err)
	}
	if !evalBool(ctx, t, `document.getElementById("modal").classList.contains("show")`) {
		t.Fatal("the dialog closed after creating the ticket; the run should come back")
	}
	if first := run(ctx, t, chromedp.Evaluate[string](`document.querySelector("#modal .modal-body").firstElementChild.id`)); first != "run-alerts" {
		t.Fatalf("the dialog starts with #%s, want the tickets and remarks", first)
	}
	if got := run(ctx, t, chromedp.Text(group+" .ticket-mark")); strings.TrimSpace(got) != code {
		t.Fatalf("queue ticket mark %q, want %q", got, code)
	}
	if f := run(ctx, t, chromedp.Text("#flash")); !strings.Contains(f, "Ticket "+code+" created") {
		t.Fatalf("flash %q", f)
	}

	steps(ctx, t, "mark as success and undo it",
		chromedp.Click("#run-mark-success"),
		chromedp.WaitVisible("#ask-override"),
		htmxIdle(),
		chromedp.Click("#run-undo-success"),
		chromedp.WaitNotPresent("#run-undo-success"),
		chromedp.WaitVisible("#run-mark-success"),
		htmxIdle(),
	)
	if s := run(ctx, t, chromedp.Text("#run-info")); !strings.Contains(s, "Failed") || strings.Contains(s, "override") {
		t.Fatalf("after undo the run shows %q", s)
	}
	steps(ctx, t, "mark again and open the override it offers",
		chromedp.Click("#run-mark-success"),
		chromedp.WaitVisible("#create-override"),
		htmxIdle(),
		chromedp.Click("#create-override"),
		chromedp.WaitVisible("#override-form #f-match_text"),
		htmxIdle(),
	)
	screenshot(ctx, t, "run-dialog-override")
	for sel, want := range map[string]string{"#f-match_text": "note", "#f-object_name": "vm01", "#f-valid_until": "2026-04-08"} {
		if got := run(ctx, t, chromedp.Value("#override-form "+sel)); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	steps(ctx, t, "save the override",
		chromedp.Click("#save-override"),
		chromedp.WaitVisible(fmt.Sprintf(`[data-run-dialog="%d"] #run-info`, runID)),
		htmxIdle(),
		waitJS(`document.getElementById("flash").textContent.includes("Override saved")`),
		waitJS(`document.querySelector("`+group+` .rc-run .badge").textContent.includes("Success (override)")`),
	)
	if s := run(ctx, t, chromedp.Text("#run-info")); !strings.Contains(s, "Success (override)") {
		t.Fatalf("after the override the run shows %q", s)
	}

	// Copy the ticket number: the Clipboard API first.
	btn := fmt.Sprintf(`document.querySelector('#run-alerts [data-copy="%s"]')`, code)
	run(ctx, t, chromedp.Evaluate[bool](`navigator.clipboard.writeText = (t) => { window.__copied = t; return Promise.resolve(); }; true`))
	steps(ctx, t, "copy with the Clipboard API",
		chromedp.Click(fmt.Sprintf(`#run-alerts [data-copy="%s"]`, code)),
		waitJS(`window.__copied === "`+code+`" && `+btn+`.classList.contains("copied")`),
	)
	shown := time.Now()
	steps(ctx, t, "the check mark goes", waitJS(`!`+btn+`.classList.contains("copied")`))
	if d := time.Since(shown); d < 500*time.Millisecond || d > 3*time.Second {
		t.Errorf("the check mark showed for %v, want about 800 ms", d)
	}
	if evalBool(ctx, t, btn+`.querySelector(".icon-check").getBoundingClientRect().width > 0`) {
		t.Error("the check mark is still visible")
	}
	// No Clipboard API: a hidden textarea holding the text, copied with execCommand.
	run(ctx, t, chromedp.Evaluate[bool](`Object.defineProperty(navigator, "clipboard", {value: undefined, configurable: true});
		document.execCommand = (cmd) => { const a = document.activeElement;
			window.__exec = cmd + ":" + (a && a.tagName === "TEXTAREA" ? a.value.substring(a.selectionStart, a.selectionEnd) : ""); return true; }; true`))
	steps(ctx, t, "copy with execCommand",
		chromedp.Click(fmt.Sprintf(`#run-alerts [data-copy="%s"]`, code)),
		waitJS(`window.__exec === "copy:`+code+`" && `+btn+`.classList.contains("copied")`),
	)
	if evalBool(ctx, t, `!!document.querySelector("textarea.copy-buffer")`) {
		t.Error("the copy buffer stays in the page")
	}
	// execCommand refused: the text is offered to copy by hand.
	run(ctx, t, chromedp.Evaluate[bool](`document.execCommand = () => false; window.prompt = (msg, text) => { window.__prompted = text; return null; }; true`))
	steps(ctx, t, "copy by hand",
		chromedp.Click(fmt.Sprintf(`#run-alerts [data-copy="%s"]`, code)),
		waitJS(`window.__prompted === "`+code+`"`),
	)
	if e := errs(); len(e) > 0 {
		t.Fatalf("console errors:\n%s", strings.Join(e, "\n"))
	}
}

// TestBrowserRunChecksShortcuts: ? shows the keys (the page says so); r on the run in
// focus with nothing selected reviews that run and the focus moves to the next one; with
// a selection, r reviews the selection and the focus stays where it was.
func TestBrowserRunChecksShortcuts(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("ops")
	nightly := approvedJob(t, h, c, "Acme", "Nightly", 1, "Failed", "Failed", "Warning")
	group := fmt.Sprintf("#rc-job-%d", nightly)

	ctx := browser(t)
	steps(ctx, t, "log in", login(h, "ops")...)
	steps(ctx, t, "open Run Checks",
		chromedp.Navigate(h.url+"/runchecks"),
		chromedp.WaitVisible(group+" .rc-run"),
		htmxIdle(),
	)
	if hint := run(ctx, t, chromedp.Text("#shortcuts-hint")); !strings.Contains(hint, "?") {
		t.Fatalf("hint %q", hint)
	}
	steps(ctx, t, "show the shortcuts",
		chromedp.KeyEvent("?"),
		waitJS(`(() => { const i = bootstrap.Modal.getInstance(document.getElementById("shortcuts-help"));
			return !!i && i._isShown && !i._isTransitioning; })()`),
	)
	screenshot(ctx, t, "runchecks-shortcuts")
	if keys := run(ctx, t, chromedp.Text("#shortcuts-table")); !strings.Contains(keys, "next run") || !strings.Contains(keys, "focus") {
		t.Fatalf("shortcuts listed: %q", keys)
	}
	steps(ctx, t, "close them",
		chromedp.KeyEvent(kb.Escape),
		waitJS(`!document.querySelector(".modal.show")`),
	)
	ids := run(ctx, t, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("`+group+` .rc-run"), r => r.dataset.runId)`))
	if len(ids) != 3 {
		t.Fatalf("runs %v", ids)
	}
	focused := func() string {
		return run(ctx, t, chromedp.Evaluate[string](`(document.activeElement && document.activeElement.dataset.runId) || ""`))
	}
	reviewed := func(id string) bool {
		t.Helper()
		var ok bool
		if err := h.db.Bun.NewRaw("SELECT reviewed_at IS NOT NULL FROM job_runs WHERE id = ?", id).Scan(t.Context(), &ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	steps(ctx, t, "review the run in focus with r",
		chromedp.KeyEvent("j"),
		chromedp.KeyEvent("r"),
		chromedp.WaitNotPresent(fmt.Sprintf(`.rc-run[data-run-id="%s"]`, ids[0])),
		htmxIdle(),
		waitJS(`document.activeElement && document.activeElement.dataset.runId === "`+ids[1]+`"`),
	)
	if !reviewed(ids[0]) || reviewed(ids[1]) || reviewed(ids[2]) {
		t.Fatal("r reviewed other runs than the one in focus")
	}
	steps(ctx, t, "select the last run, go back up and review the selection",
		chromedp.KeyEvent("j"),
		chromedp.KeyEvent("x"),
		chromedp.KeyEvent("k"),
		chromedp.KeyEvent("r"),
		chromedp.WaitNotPresent(fmt.Sprintf(`.rc-run[data-run-id="%s"]`, ids[2])),
		htmxIdle(),
	)
	if got := focused(); got != ids[1] {
		t.Fatalf("focus on run %q after reviewing the selection, want it to stay on %s", got, ids[1])
	}
	if reviewed(ids[1]) || !reviewed(ids[2]) {
		t.Fatal("r reviewed the run in focus instead of the selection")
	}
}

// TestBrowserRunDialogLive: a viewer opens a run read-only from Job Details; an operator's
// dialog left open while a colleague reviews the run says who reviewed it and offers no
// review any more, without being reopened.
func TestBrowserRunDialogLive(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	h.user("viewer", db.RoleViewer)
	h.user("admin", db.RoleAdmin)
	adm := h.client()
	adm.login("admin")
	nightly := approvedJob(t, h, adm, "Acme", "Nightly", 1, "Failed")
	runID := firstRun(t, h, nightly)
	wantStatus(t, adm.hx("POST", "/tickets", url.Values{"kind": {"ticket"}, "run_id": {fmt.Sprint(runID)},
		"job_id": {fmt.Sprint(nightly)}, "code": {"PSA-7"}, "text": {"Disk full"}}), http.StatusOK)
	wantStatus(t, adm.hx("POST", "/tickets", url.Values{"kind": {"remark"}, "run_id": {fmt.Sprint(runID)},
		"job_id": {fmt.Sprint(nightly)}, "text": {"Vendor case 4711"}}), http.StatusOK)

	ctx := browser(t)
	steps(ctx, t, "log in as a viewer", login(h, "viewer")...)
	steps(ctx, t, "open Job Details", chromedp.Navigate(h.url+fmt.Sprintf("/jobs/%d", nightly)), chromedp.WaitVisible("#job-alerts"), htmxIdle())
	screenshot(ctx, t, "job-detail-viewer")
	steps(ctx, t, "open a run from Job Details",
		chromedp.Navigate(h.url+fmt.Sprintf("/jobs/%d", nightly)),
		chromedp.WaitVisible(fmt.Sprintf("#job-run-%d", runID)),
		htmxIdle(),
		chromedp.Click(fmt.Sprintf("#job-run-%d td:nth-child(4)", runID)),
		chromedp.WaitVisible("#run-info"),
		htmxIdle(),
	)
	screenshot(ctx, t, "job-detail-viewer-run")
	if evalBool(ctx, t, `!!document.querySelector("#run-review, #run-mark-success, #run-new-ticket")`) {
		t.Fatal("the viewer's dialog offers actions")
	}
	steps(ctx, t, "log out",
		chromedp.Navigate(h.url+"/"),
		chromedp.WaitVisible("#user-menu"),
		htmxIdle(),
		chromedp.Click("#user-menu"),
		chromedp.WaitVisible(`form[action="/logout"] button`),
		chromedp.Click(`form[action="/logout"] button`),
		chromedp.WaitVisible("#login-form"),
	)
	steps(ctx, t, "log in as an operator", login(h, "ops")...)
	steps(ctx, t, "open the run in Run Checks",
		chromedp.Navigate(h.url+"/runchecks"),
		chromedp.WaitVisible(fmt.Sprintf("#rc-job-%d .rc-run", nightly)),
		htmxIdle(),
		chromedp.Focus(fmt.Sprintf("#rc-job-%d .rc-run", nightly)),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible("#run-review"),
		htmxIdle(),
		modalShown(),
	)
	wantStatus(t, adm.hx("POST", "/runchecks/review", url.Values{"run_ids": {fmt.Sprint(runID)}}), http.StatusOK)
	steps(ctx, t, "see the colleague's review in the open dialog",
		waitJS(`(document.getElementById("run-review-state") || {textContent: ""}).textContent.includes("Reviewed by Admin")`),
		chromedp.WaitNotPresent("#run-review"),
		htmxIdle(),
	)
	screenshot(ctx, t, "run-dialog-reviewed-by-colleague")
	if !evalBool(ctx, t, `document.getElementById("modal").classList.contains("show") && !!document.querySelector("#run-info")`) {
		t.Fatal("the dialog went away")
	}
}
