package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/backupchecks/backupchecks/app/config"
	"github.com/backupchecks/backupchecks/app/mail/graph/graphtest"
	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/db"
)

// importsGraphFake is a fake Graph mailbox with two mails waiting in Inbox, and an
// admin signed in to an app that reaches it.
func importsGraphFake(t *testing.T) (*harness, *graphtest.FakeServer) {
	t.Helper()
	fake := graphtest.NewFakeServer(t)
	fake.AddFolder("Inbox/Processed")
	fake.AddMessage("Inbox", parserstest.Mail(1, "Success", "Nightly"), time.Now())
	fake.AddMessage("Inbox", parserstest.Mail(2, "Failed", "Nightly"), time.Now())
	h := newHarness(t, Options{Registry: parserstest.Registry()}, func(c *config.Config) {
		c.GraphLoginURL, c.GraphURL = fake.URL, fake.URL+"/v1.0"
	})
	h.user("admin", db.RoleAdmin)
	return h, fake
}

// graphForm is the edit form as sent with the fake's mailbox typed in.
func graphForm(fake *graphtest.FakeServer) url.Values {
	return url.Values{"mail_source": {"graph"}, "mail_import_interval_minutes": {"15"}, "mail_import_batch_size": {"50"},
		"graph_tenant_id": {fake.TenantID}, "graph_client_id": {fake.ClientID}, "graph_client_secret": {fake.ClientSecret},
		"graph_mailbox": {fake.Mailbox}, "graph_source_folder": {"Inbox"}, "graph_processed_folder": {"Inbox/Processed"},
		"imap_security": {"tls"}, "imap_folder": {"INBOX"}}
}

// formTest is "Test connection" pressed in the edit form: the form's values, test=form.
func formTest(form url.Values) url.Values {
	v := url.Values{"test": {"form"}}
	for k, vs := range form {
		v[k] = vs
	}
	return v
}

// The edit form shows only the chosen source's fields (the others are in the form,
// hidden, so they are kept); a field error in the other source's fields shows them
// with a note; the read-only view shows only the chosen source's values.
func TestSettingsImportsFormShowsChosenSource(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")
	c.get("/settings/imports")

	shown := func(r *response, sel string) bool {
		t.Helper()
		s := r.doc.Find(sel)
		if s.Length() != 1 {
			t.Fatalf("%d elements %s in:\n%s", s.Length(), sel, r.body)
		}
		_, hidden := s.Attr("hidden")
		return !hidden
	}
	parts := []string{"#source-none-hint", "#source-fields-graph", "#source-fields-imap"}
	want := func(r *response, wantShown ...bool) {
		t.Helper()
		for i, sel := range parts {
			if got := shown(r, sel); got != wantShown[i] {
				t.Errorf("%s shown = %v, want %v", sel, got, wantShown[i])
			}
		}
	}

	r := c.hx("GET", "/settings/imports/edit", nil)
	wantStatus(t, r, http.StatusOK)
	want(r, true, false, false)
	if r.doc.Find("#imports-form[data-source-switch='mail_source'] #f-imap_host").Length() != 1 {
		t.Fatal("the hidden IMAP fields are not in the form (their values would be lost)")
	}

	imapForm := url.Values{"mail_source": {"imap"}, "mail_import_interval_minutes": {"15"}, "mail_import_batch_size": {"50"},
		"imap_host": {"imap.example.com"}, "imap_security": {"tls"}, "imap_username": {"backups"},
		"imap_password": {"imap-pass"}, "imap_folder": {"INBOX"}, "graph_mailbox": {"still@example.com"}}
	wantStatus(t, c.hx("PUT", "/settings/imports", imapForm), http.StatusOK)
	r = c.hx("GET", "/settings/imports/edit", nil)
	want(r, false, false, true)
	if v, _ := r.doc.Find("#f-graph_mailbox").Attr("value"); v != "still@example.com" {
		t.Errorf("the hidden Graph mailbox is %q, want it kept", v)
	}

	// A value the other source's fields cannot keep: they are shown, with the error.
	imapForm.Set("graph_mailbox", "not an address")
	r = c.hx("PUT", "/settings/imports", imapForm)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	want(r, false, true, true)
	if r.text("#f-graph_mailbox-error") == "" || r.doc.Find("#source-fields-graph[data-source-errors] [data-source-note]").Length() != 1 {
		t.Errorf("the Graph fields' error is not explained:\n%s", r.body)
	}

	// The read-only view: IMAP values, no Graph ones.
	r = c.get("/settings/imports")
	view := r.text("#settings-imports")
	if !strings.Contains(view, "imap.example.com") || strings.Contains(view, "Tenant") || strings.Contains(view, "Client secret") ||
		strings.Contains(view, "still@example.com") {
		t.Errorf("read-only view: %q", view)
	}
}

// Test connection in the edit form tests the values typed there, before they are
// saved: the fake Graph mailbox's ids typed (not saved) reach it and its folders are
// reported, and nothing is saved. A secret left empty is the stored one; typed values
// that cannot be tested are refused beside the fields without a connection.
func TestSettingsImportsTestTypedValues(t *testing.T) {
	h, fake := importsGraphFake(t)
	c := h.client()
	c.login("admin")
	c.get("/settings/imports")
	ctx := context.Background()

	// The read-only view tests the saved settings: no source yet.
	r := c.hx("POST", "/settings/imports/test", nil)
	if res := r.text("#imports-test-result"); !strings.Contains(res, "Connection failed") || !strings.Contains(res, "saved settings") {
		t.Fatalf("saved settings (none) tested: %q", res)
	}

	r = c.hx("POST", "/settings/imports/test", formTest(graphForm(fake)))
	wantStatus(t, r, http.StatusOK)
	res := r.text("#imports-form-test-result")
	for _, want := range []string{"Connected.", "2 mails waiting in Inbox", "Inbox/Processed", "Junk Email", "values in the form (not saved yet)"} {
		if !strings.Contains(res, want) {
			t.Errorf("typed values tested: %q lacks %q", res, want)
		}
	}
	if fake.TokenRequests() == 0 {
		t.Error("the fake Graph server was not asked for a token")
	}
	if strings.Contains(r.body, fake.ClientSecret) {
		t.Error("the typed secret is sent back")
	}
	s, err := settings.Load(ctx, h.db.Bun)
	if err != nil {
		t.Fatal(err)
	}
	if s.MailSource != settings.MailSourceNone || s.GraphTenantID != "" || len(s.GraphClientSecret) != 0 {
		t.Fatalf("testing saved settings: source %q, tenant %q, secret %d bytes", s.MailSource, s.GraphTenantID, len(s.GraphClientSecret))
	}

	// Typed values that cannot be tested: the form again, the reason beside the field,
	// no connection made.
	tokens := fake.TokenRequests()
	bad := graphForm(fake)
	bad.Set("graph_client_id", "not-a-guid")
	r = c.hx("POST", "/settings/imports/test", formTest(bad))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if r.Header.Get("HX-Retarget") != "#settings-imports" || r.text("#f-graph_client_id-error") == "" ||
		!strings.Contains(r.text("#imports-form-test-result"), "Not tested") {
		t.Fatalf("untestable values: retarget %q, error %q, result %q", r.Header.Get("HX-Retarget"),
			r.text("#f-graph_client_id-error"), r.text("#imports-form-test-result"))
	}
	if v, _ := r.doc.Find("#f-graph_client_id").Attr("value"); v != "not-a-guid" {
		t.Errorf("the typed value is not kept: %q", v)
	}
	if strings.Contains(r.body, fake.ClientSecret) {
		t.Error("the typed secret is sent back")
	}
	none := graphForm(fake)
	none.Set("mail_source", "none")
	r = c.hx("POST", "/settings/imports/test", formTest(none))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if msg := r.text("#imports-form fieldset .invalid-feedback"); !strings.Contains(msg, "to test its connection") {
		t.Errorf("no source chosen: %q", msg)
	}
	if fake.TokenRequests() != tokens {
		t.Error("values that cannot be tested were sent to the server")
	}

	// Saved with the real secret; typed: an empty secret (the stored one) and another
	// folder, then a wrong secret.
	wantStatus(t, c.hx("PUT", "/settings/imports", graphForm(fake)), http.StatusOK)
	before, _ := settings.Load(ctx, h.db.Bun)
	typed := graphForm(fake)
	typed.Set("graph_client_secret", "")
	typed.Set("graph_source_folder", "Archive")
	r = c.hx("POST", "/settings/imports/test", formTest(typed))
	if res := r.text("#imports-form-test-result"); !strings.Contains(res, "0 mails waiting in Archive") {
		t.Errorf("typed folder with the stored secret: %q", res)
	}
	typed.Set("graph_client_secret", "not the secret")
	r = c.hx("POST", "/settings/imports/test", formTest(typed))
	if res := r.text("#imports-form-test-result"); !strings.Contains(res, "Connection failed") || !strings.Contains(res, "not saved yet") {
		t.Errorf("a wrong typed secret: %q", res)
	}
	if strings.Contains(r.body, "not the secret") {
		t.Error("the typed secret is sent back")
	}
	// The read-only view still tests the saved settings.
	r = c.hx("POST", "/settings/imports/test", nil)
	if res := r.text("#imports-test-result"); !strings.Contains(res, "2 mails waiting in Inbox") || !strings.Contains(res, "saved settings") {
		t.Errorf("saved settings tested: %q", res)
	}
	after, _ := settings.Load(ctx, h.db.Bun)
	if after.GraphSourceFolder != "Inbox" || string(after.GraphClientSecret) != string(before.GraphClientSecret) ||
		!after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("testing changed the saved settings: folder %q", after.GraphSourceFolder)
	}
}

// In the browser: choosing a source shows its fields at once (no request) and hides
// the other's, whose values stay; Test connection tests what is typed, and a secret
// typed survives a test refused for another field.
func TestBrowserImportsSourceAndTest(t *testing.T) {
	h, fake := importsGraphFake(t)
	ctx := browser(t)
	steps(ctx, t, "log in", login(h, "admin")...)
	steps(ctx, t, "open the edit form",
		chromedp.Navigate(h.url+"/settings/imports"),
		chromedp.WaitVisible("#edit-imports"),
		htmxIdle(),
		chromedp.Click("#edit-imports"),
		chromedp.WaitVisible("#imports-form"),
		htmxIdle(),
	)
	run(ctx, t, chromedp.Evaluate[int](`window.__requests = 0; document.addEventListener("htmx:beforeRequest", () => window.__requests++); 0`))
	visible := func() string {
		t.Helper()
		return run(ctx, t, chromedp.Evaluate[string](`["source-none-hint", "source-fields-graph", "source-fields-imap"]
			.filter(id => document.getElementById(id).offsetParent !== null).join(",")`))
	}
	// A real click on the radio, brought to the middle of the window first: scrolled
	// to the top, it would be under the fixed navbar.
	choose := func(source string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			id := "#source-" + source
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("`+id+`").scrollIntoView({block: "center", behavior: "instant"}), true`)); err != nil {
				return err
			}
			return chromedp.Do(ctx, chromedp.Click(id))
		})
	}
	if v := visible(); v != "source-none-hint" {
		t.Fatalf("with no source, shown: %q", v)
	}
	steps(ctx, t, "choose Graph and type its ids",
		choose("graph"),
		chromedp.WaitVisible("#f-graph_tenant_id"),
		chromedp.SendKeys("#f-graph_tenant_id", fake.TenantID),
		chromedp.SendKeys("#f-graph_client_id", "not-a-guid"),
		chromedp.SendKeys("#f-graph_mailbox", fake.Mailbox),
		chromedp.SetValue("#f-graph_source_folder", "Inbox"),
		chromedp.SetValue("#f-graph_processed_folder", "Inbox/Processed"),
	)
	if v := visible(); v != "source-fields-graph" {
		t.Fatalf("Graph chosen, shown: %q", v)
	}
	steps(ctx, t, "switch to IMAP and back",
		choose("imap"),
		chromedp.WaitVisible("#f-imap_host"),
		chromedp.SendKeys("#f-imap_host", "imap.example.com"),
	)
	if v := visible(); v != "source-fields-imap" {
		t.Fatalf("IMAP chosen, shown: %q", v)
	}
	steps(ctx, t, "back to Graph", choose("graph"), chromedp.WaitVisible("#f-graph_tenant_id"))
	if v := visible(); v != "source-fields-graph" {
		t.Fatalf("Graph chosen again, shown: %q", v)
	}
	if n := run(ctx, t, chromedp.Evaluate[int](`window.__requests`)); n != 0 {
		t.Fatalf("switching the source made %d request(s)", n)
	}
	if v := run(ctx, t, chromedp.Value("#f-graph_tenant_id")); v != fake.TenantID {
		t.Fatalf("the Graph tenant after switching back and forth: %q", v)
	}

	// The secret input is kept across the form shown again, and shows its error then.
	secretInvalid := func() bool {
		t.Helper()
		return run(ctx, t, chromedp.Evaluate[bool](`document.getElementById("f-graph_client_secret").classList.contains("is-invalid")`))
	}
	steps(ctx, t, "test without a secret",
		chromedp.Click("#imports-form-test-button"),
		chromedp.WaitVisible("#f-graph_client_secret-error"),
		htmxIdle(),
	)
	if !secretInvalid() {
		t.Fatal("the missing secret is not marked")
	}
	steps(ctx, t, "type the secret", chromedp.SendKeys("#f-graph_client_secret", fake.ClientSecret))
	if secretInvalid() {
		t.Fatal("the secret stays marked while it is typed")
	}
	steps(ctx, t, "test with a malformed client id",
		chromedp.Click("#imports-form-test-button"),
		chromedp.WaitNotPresent("#f-graph_client_secret-error"),
		chromedp.WaitVisible("#f-graph_client_id-error"),
		htmxIdle(),
	)
	if secretInvalid() {
		t.Fatal("the secret is marked although it has no error now")
	}
	if v := run(ctx, t, chromedp.Value("#f-graph_client_secret")); v != fake.ClientSecret {
		t.Fatal("the typed secret was lost when the form showed the error")
	}
	if v := run(ctx, t, chromedp.Value("#f-imap_host")); v != "imap.example.com" {
		t.Fatalf("the hidden IMAP host after the test: %q", v)
	}
	steps(ctx, t, "correct it and test again",
		chromedp.SetValue("#f-graph_client_id", fake.ClientID),
		chromedp.Click("#imports-form-test-button"),
		waitJS(`!!document.querySelector("#imports-form-test-result.alert-success, #imports-form-test-result.alert-danger")`),
		htmxIdle(),
	)
	screenshot(ctx, t, "settings-imports-form-test")
	res := run(ctx, t, chromedp.Text("#imports-form-test-result"))
	if !strings.Contains(res, "2 mails waiting in Inbox") || !strings.Contains(res, "not saved yet") {
		t.Fatalf("test result: %q", res)
	}
	if s, err := settings.Load(context.Background(), h.db.Bun); err != nil || s.MailSource != settings.MailSourceNone {
		t.Fatalf("testing saved the settings (%v)", err)
	}
}
