package app

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/backupchecks/backupchecks/app/sso"
	"github.com/backupchecks/backupchecks/db"
)

// TestBrowserEntraSignIn drives Chromium through the whole redirect dance against the
// Entra stand-in: the login page's Sign in with Microsoft, Microsoft's sign-in page,
// back to the page asked for, signed in; then Log out, on through Entra's sign-out
// and back to the login page. The CSP watch fails the test if a step broke the
// app's policy (the logout form may post only here, so it must not be redirected away).
func TestBrowserEntraSignIn(t *testing.T) {
	h, op := newEntraHarness(t, sso.SettingsInput{AllowedDomains: "contoso.com"})
	h.user("ada@contoso.com", db.RoleOperator)
	op.SignInAs(entraAda)
	op.Interactive(true)
	ctx := browser(t)

	steps(ctx, t, "open a page while signed out",
		chromedp.Navigate(h.url+"/daily"),
		chromedp.WaitVisible("#entra-sign-in"),
	)
	screenshot(ctx, t, "entra-01-login")
	steps(ctx, t, "sign in with Microsoft",
		chromedp.Click("#entra-sign-in"),
		chromedp.WaitVisible("#op-sign-in"),
	)
	if who := run(ctx, t, chromedp.Text("#op-account")); who != "ada@contoso.com" {
		t.Fatalf("Microsoft's page signs in %q", who)
	}
	steps(ctx, t, "confirm at Microsoft",
		chromedp.Click("#op-sign-in"),
		chromedp.WaitVisible("#user-menu"),
		htmxIdle(),
	)
	screenshot(ctx, t, "entra-02-signed-in")
	if loc := run(ctx, t, chromedp.Location()); loc != h.url+"/daily" {
		t.Fatalf("after sign-in the browser is at %s, want the page asked for", loc)
	}
	if name := run(ctx, t, chromedp.Text("#user-menu")); strings.TrimSpace(name) != "Ada@contoso.com" {
		t.Fatalf("signed in as %q", name)
	}

	steps(ctx, t, "log out",
		chromedp.Click("#user-menu"),
		chromedp.WaitVisible(`form[action="/logout"] button`),
		chromedp.Click(`form[action="/logout"] button`),
		chromedp.WaitVisible("#login-form"),
	)
	screenshot(ctx, t, "entra-03-logged-out")
	if len(op.Logouts()) != 1 {
		t.Fatalf("Entra's sign-out was reached %d times", len(op.Logouts()))
	}
	if loc := run(ctx, t, chromedp.Location()); !strings.HasPrefix(loc, h.url+"/login") {
		t.Fatalf("after logout the browser is at %s", loc)
	}
	if flash := run(ctx, t, chromedp.Text("#flash")); !strings.Contains(flash, "logged out") {
		t.Fatalf("flash after logout %q", flash)
	}

	// A refused sign-in shows its page in the browser too.
	refused := entraAda
	refused.PreferredUsername, refused.Email = "eve@fabrikam.com", ""
	op.SignInAs(refused)
	steps(ctx, t, "sign in from another domain",
		chromedp.Click("#entra-sign-in"),
		chromedp.WaitVisible("#op-sign-in"),
		chromedp.Click("#op-sign-in"),
		chromedp.WaitVisible("#entra-refused"),
	)
	screenshot(ctx, t, "entra-04-refused")
	if gate := run(ctx, t, chromedp.Text("#entra-refused-gate")); gate != sso.GateDomain {
		t.Fatalf("refused at %q", gate)
	}
}

// TestBrowserEntraSettings: the admin opens Settings → Integrations, where the Entra
// section loads by itself, edits it inline (a wrong group ID is marked beside its
// field), saves, and tests the configuration without leaving the page.
func TestBrowserEntraSettings(t *testing.T) {
	h, _ := newEntraHarness(t, sso.SettingsInput{})
	h.user("admin", db.RoleAdmin)
	ctx := browser(t)
	steps(ctx, t, "log in", login(h, "admin")...)
	steps(ctx, t, "open the section",
		chromedp.Navigate(h.url+"/settings/integrations"),
		chromedp.WaitVisible("#edit-entra"),
		htmxIdle(),
		chromedp.Click("#edit-entra"),
		chromedp.WaitVisible("#f-entra_allowed_groups"),
		htmxIdle(),
	)
	steps(ctx, t, "save a wrong group",
		chromedp.SendKeys("#f-entra_allowed_groups", "Backup team"),
		chromedp.Click("#save-entra"),
		chromedp.WaitVisible("#f-entra_allowed_groups-error"),
		htmxIdle(),
	)
	screenshot(ctx, t, "entra-05-settings-error")
	steps(ctx, t, "save a right one and test",
		chromedp.SetValue("#f-entra_allowed_groups", entraGroup),
		chromedp.Click("#save-entra"),
		chromedp.WaitVisible("#entra-test-button"),
		htmxIdle(),
		chromedp.Click("#entra-test-button"),
		chromedp.WaitVisible("#entra-test-result"),
		htmxIdle(),
	)
	screenshot(ctx, t, "entra-06-settings-tested")
	if got := run(ctx, t, chromedp.Text("#value-entra_allowed_groups")); strings.TrimSpace(got) != entraGroup {
		t.Fatalf("groups shown %q", got)
	}
	if got := run(ctx, t, chromedp.Text("#entra-test-result")); !strings.Contains(got, "configuration works") {
		t.Fatalf("test result %q", got)
	}
}
