package app

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/app/config"
	"github.com/backupchecks/backupchecks/app/sso"
	"github.com/backupchecks/backupchecks/app/sso/ssotest"
	"github.com/backupchecks/backupchecks/db"
)

const (
	entraTenant = "3f1c2a9e-5b7d-4e21-9a0b-6c8d7e6f5a41"
	entraClient = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	entraSecret = "s3cr3t~value.from.entra"
	entraGroup  = "6e0b7f0a-8e1d-4c44-9d55-2f1b3c4d5e6f"
)

var entraAda = ssotest.Account{OID: "aaaaaaaa-0000-4000-8000-000000000001", PreferredUsername: "ada@contoso.com",
	Email: "ada@contoso.com", Name: "Ada Lovelace", LoginHint: "hint-ada", Groups: []string{entraGroup}}

// newEntraHarness is the application with sign-in with Microsoft set up against the
// Entra stand-in (its authority as GRAPH_LOGIN_URL, the app's address as BASE_URL).
func newEntraHarness(t *testing.T, in sso.SettingsInput) (*harness, *ssotest.Provider) {
	t.Helper()
	op := ssotest.New(t, entraTenant, entraClient, entraSecret)
	h := newHarness(t, Options{}, func(cfg *config.Config) { cfg.GraphLoginURL = op.URL(); cfg.BaseURLSet = true })
	h.app.cfg.BaseURL, _ = url.Parse(h.url) // known once it listens
	op.AllowRedirectURI(h.url + sso.CallbackPath)
	op.AllowRedirectURI(h.url + sso.LogoutReturnPath)
	h.entraSettings(in)
	return h, op
}

// entraSettings saves the Entra settings, enabled with the stand-in's registration.
func (h *harness) entraSettings(in sso.SettingsInput) {
	h.t.Helper()
	in.Enabled, in.TenantID, in.ClientID, in.ClientSecret = true, entraTenant, entraClient, entraSecret
	if _, err := sso.UpdateSettings(context.Background(), h.db.Bun, h.app.keys, audit.Actor{Name: "test"}, h.app.site(), in); err != nil {
		h.t.Fatal(err)
	}
}

// entraSignIn walks the redirect dance as a browser would: login → Entra → callback
// (at callbackBase, another replica when given). Returns the callback's answer.
func (c *client) entraSignIn(next string, callbackBase ...string) *response {
	c.h.t.Helper()
	path := "/auth/entra/login"
	if next != "" {
		path += "?next=" + url.QueryEscape(next)
	}
	r := c.get(path)
	if r.StatusCode != http.StatusSeeOther {
		return r // refused before Entra
	}
	back := c.atProvider(r.Header.Get("Location"))
	if len(callbackBase) > 0 {
		back = strings.Replace(back, c.h.url, callbackBase[0], 1)
	}
	return c.getURL(back)
}

// atProvider GETs the authorize URL at the provider and returns where it sends the
// browser back to.
func (c *client) atProvider(authorize string) string {
	c.h.t.Helper()
	resp, err := c.http.Get(authorize)
	if err != nil {
		c.h.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		c.h.t.Fatalf("authorize: status %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// getURL GETs an absolute URL (another replica's, the callback).
func (c *client) getURL(target string) *response {
	c.h.t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		c.h.t.Fatal(err)
	}
	saved := c.h.url
	c.h.url = u.Scheme + "://" + u.Host
	defer func() { c.h.url = saved }()
	return c.get(u.RequestURI())
}

func entraSessions(t *testing.T, h *harness) int {
	t.Helper()
	n, err := h.db.Bun.NewSelect().Model((*db.EntraSession)(nil)).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// TestEntraLoginAndLogout: the login page offers Sign in with Microsoft; the dance
// ends in the app's own session, on the page asked for; logging out ends it and
// continues to Entra's sign-out, which returns to the login page.
func TestEntraLoginAndLogout(t *testing.T) {
	h, op := newEntraHarness(t, sso.SettingsInput{AllowedDomains: "contoso.com", AllowedGroups: entraGroup})
	u := h.user("ada@contoso.com", db.RoleOperator, db.RoleViewer)
	op.SignInAs(entraAda)
	c := h.client()
	login := c.get("/login?next=/jobs")
	if href, _ := login.doc.Find("#entra-sign-in").Attr("href"); href != "/auth/entra/login?next=%2Fjobs" {
		t.Fatalf("Sign in with Microsoft links to %q", href)
	}
	r := c.entraSignIn("/jobs")
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/jobs" {
		t.Fatalf("callback: %d to %q\n%.1000s", r.StatusCode, r.Header.Get("Location"), r.body)
	}
	page := c.get("/jobs")
	wantStatus(t, page, http.StatusOK)
	if page.text("#user-menu") != "Ada@contoso.com" || page.text("#active-role") != "Operator" {
		t.Fatalf("signed in as %q in role %q", page.text("#user-menu"), page.text("#active-role"))
	}
	var e db.AuditEntry
	if err := h.db.Bun.NewSelect().Model(&e).Where("action = ?", audit.LoginSuccess).Order("id DESC").Limit(1).Scan(t.Context()); err != nil {
		t.Fatal(err)
	}
	if e.ActorID == nil || *e.ActorID != u.ID || e.Details["method"] != "entra" {
		t.Fatalf("login audited as %+v", e)
	}
	// The app's own session: role switching works as after a password login.
	c.get("/")
	wantStatus(t, c.post("/profile/role", url.Values{"role": {db.RoleViewer}, "back": {"/"}}), http.StatusSeeOther)
	if got := c.get("/").text("#active-role"); got != "Viewer" {
		t.Fatalf("after switching, role %q", got)
	}

	out := c.post("/logout", nil)
	wantStatus(t, out, http.StatusOK)
	refresh := out.Header.Get("Refresh")
	target, ok := strings.CutPrefix(refresh, "0; url=")
	if !ok || !strings.HasPrefix(target, op.Issuer()[:len(op.URL())]) {
		t.Fatalf("Refresh %q does not continue to Entra", refresh)
	}
	if href, _ := out.doc.Find("#entra-logout-continue").Attr("href"); href != target {
		t.Fatalf("the continue link %q is not the Refresh target", href)
	}
	if entraSessions(t, h) != 0 {
		t.Fatal("the session's Entra mark outlived it")
	}
	back := c.atProvider(target)
	lo := op.Logouts()
	if len(lo) != 1 || lo[0].PostLogoutRedirectURI != h.url+"/login" || lo[0].LogoutHint != "hint-ada" {
		t.Fatalf("Entra sign-out requests %+v", lo)
	}
	r = c.getURL(back)
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.text("#flash"), "logged out") || r.doc.Find("#login-form").Length() != 1 {
		t.Fatalf("after Entra's sign-out: %q", r.text("#flash"))
	}
	if c.get("/jobs").StatusCode != http.StatusSeeOther {
		t.Fatal("still signed in after logout")
	}
}

// TestEntraLoginGates runs each case of the issue through the real routes: the person
// sees which gate refused them and what an admin can do, no session starts, and the
// failure is audited with the gate.
func TestEntraLoginGates(t *testing.T) {
	h, op := newEntraHarness(t, sso.SettingsInput{})
	h.user("admin", db.RoleAdmin)
	h.user("ada@contoso.com", db.RoleOperator)
	grace := h.user("grace@contoso.com", db.RoleViewer)
	if _, err := auth.SetActive(t.Context(), h.db.Bun, audit.Actor{Name: "test"}, grace.ID, false); err != nil {
		t.Fatal(err)
	}
	account := func(f func(*ssotest.Account)) ssotest.Account {
		a := entraAda
		a.Groups = []string{entraGroup}
		if f != nil {
			f(&a)
		}
		return a
	}
	cases := []struct {
		name     string
		settings sso.SettingsInput
		account  ssotest.Account
		claims   func(map[string]any)
		token    func(string) string
		gate     string // "" signs in
		status   int
	}{
		{name: "success", account: account(nil)},
		{name: "wrong tenant", account: account(func(a *ssotest.Account) { a.TenantID = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a" }), gate: sso.GateTenant, status: 403},
		{name: "wrong domain", settings: sso.SettingsInput{AllowedDomains: "fabrikam.com"}, account: account(nil), gate: sso.GateDomain, status: 403},
		{name: "group allowed", settings: sso.SettingsInput{AllowedGroups: entraGroup}, account: account(nil)},
		{name: "group refused", settings: sso.SettingsInput{AllowedGroups: "11111111-2222-4333-8444-555555555555"}, account: account(nil), gate: sso.GateGroup, status: 403},
		{name: "groups claim missing", settings: sso.SettingsInput{AllowedGroups: entraGroup},
			account: account(func(a *ssotest.Account) { a.NoGroupsClaim = true }), gate: sso.GateGroupsMissing, status: 403},
		{name: "groups overage", settings: sso.SettingsInput{AllowedGroups: entraGroup},
			account: account(func(a *ssotest.Account) { a.GroupsOverage = true }), gate: sso.GateGroupsOverage, status: 403},
		{name: "auto-provision off", account: account(func(a *ssotest.Account) { a.OID, a.PreferredUsername, a.Email = "new-1", "new@contoso.com", "" }),
			gate: sso.GateUnknownUser, status: 403},
		{name: "auto-provision on", settings: sso.SettingsInput{AutoProvision: true},
			account: account(func(a *ssotest.Account) { a.OID, a.PreferredUsername, a.Email = "new-2", "new@contoso.com", "" })},
		{name: "deactivated user", account: account(func(a *ssotest.Account) { a.OID, a.PreferredUsername, a.Email = "grace", "grace@contoso.com", "" }),
			gate: sso.GateDeactivated, status: 403},
		{name: "tampered token", account: account(nil), token: func(raw string) string {
			// One character in the middle of the signature changed.
			i := strings.LastIndex(raw, ".") + 100
			c := byte('A')
			if raw[i] == 'A' {
				c = 'B'
			}
			return raw[:i] + string(c) + raw[i+1:]
		}, gate: sso.GateToken, status: 403},
		{name: "expired token", account: account(nil), claims: func(c map[string]any) {
			c["iat"], c["nbf"], c["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Minute).Unix()
		}, gate: sso.GateToken, status: 403},
		{name: "Entra refuses", account: account(nil), gate: sso.GateEntra, status: 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.entraSettings(tc.settings)
			op.SignInAs(tc.account)
			op.EditClaims(tc.claims)
			op.EditToken(tc.token)
			if tc.gate == sso.GateEntra {
				op.FailNextAuthorize("access_denied", "AADSTS50105: The signed in user is not assigned to a role for the application.")
			}
			before, err := h.db.Bun.NewSelect().Model((*db.Session)(nil)).Count(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			c := h.client()
			r := c.entraSignIn("")
			if tc.gate == "" {
				if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/" {
					t.Fatalf("status %d to %q\n%.1500s", r.StatusCode, r.Header.Get("Location"), r.body)
				}
				wantStatus(t, c.get("/"), http.StatusOK)
				return
			}
			wantStatus(t, r, tc.status)
			if !isPage(r) || r.text("#entra-refused-gate") != tc.gate || r.text("#entra-refused-fix") == "" || r.text("#entra-refused-message") == "" {
				t.Fatalf("refusal page: gate %q\n%.1500s", r.text("#entra-refused-gate"), r.body)
			}
			after, _ := h.db.Bun.NewSelect().Model((*db.Session)(nil)).Count(t.Context())
			if after != before {
				t.Fatal("a refused sign-in started a session")
			}
			var e db.AuditEntry
			if err := h.db.Bun.NewSelect().Model(&e).Where("action = ?", audit.LoginFailure).Order("id DESC").Limit(1).Scan(t.Context()); err != nil {
				t.Fatal(err)
			}
			if e.Details["gate"] != tc.gate || e.Details["method"] != "entra" {
				t.Fatalf("audited %+v", e.Details)
			}
		})
	}
}

// TestSecurityEntraReplayedCallback: a callback URL works once, in the browser that
// started the sign-in. Replayed, or opened in another browser (a link an attacker
// hands a victim: login CSRF), it is refused and starts no session.
func TestSecurityEntraReplayedCallback(t *testing.T) {
	h, op := newEntraHarness(t, sso.SettingsInput{})
	h.user("ada@contoso.com", db.RoleOperator)
	op.SignInAs(entraAda)

	attacker := h.client()
	start := attacker.get("/auth/entra/login")
	callback := attacker.atProvider(start.Header.Get("Location"))
	victim := h.client()
	r := victim.getURL(callback)
	wantStatus(t, r, http.StatusBadRequest)
	if r.text("#entra-refused-gate") != sso.GateState || victim.get("/").StatusCode != http.StatusSeeOther {
		t.Fatalf("another browser's callback: gate %q", r.text("#entra-refused-gate"))
	}
	// The attacker's own browser still completes its sign-in once, and only once.
	if r := attacker.getURL(callback); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the starting browser's callback: %d", r.StatusCode)
	}
	replay := attacker.getURL(callback)
	wantStatus(t, replay, http.StatusBadRequest)
	if replay.text("#entra-refused-gate") != sso.GateState {
		t.Fatalf("replayed callback: gate %q", replay.text("#entra-refused-gate"))
	}
	// Callback without a sign-in at all, with a made-up state.
	wantStatus(t, h.client().get("/auth/entra/callback?state=forged&code=forged"), http.StatusBadRequest)
}

// replica starts a second application on the harness's database: another replica
// behind the same load balancer (same configuration, same BASE_URL).
func (h *harness) replica() string {
	h.t.Helper()
	a := New(h.app.cfg, h.db, Options{Version: "test"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	h.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("replica: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// TestEntraTwoReplicas: the sign-in starts on one replica and Entra returns to the
// other: the state lives in the shared database, not in a replica's memory.
func TestEntraTwoReplicas(t *testing.T) {
	h, op := newEntraHarness(t, sso.SettingsInput{AutoProvision: true})
	h.user("admin", db.RoleAdmin)
	other := h.replica()
	op.SignInAs(entraAda)
	c := h.client()
	r := c.entraSignIn("/daily", other)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/daily" || !strings.HasPrefix(r.Request.URL.String(), other) {
		t.Fatalf("callback at the other replica: %d %q (%s)\n%.1000s", r.StatusCode, r.Header.Get("Location"), r.Request.URL, r.body)
	}
	// The session made on the second replica works on the first.
	if got := c.get("/daily"); got.StatusCode != http.StatusOK || got.text("#user-menu") != "Ada Lovelace" {
		t.Fatalf("on the first replica: %d %q", got.StatusCode, got.text("#user-menu"))
	}
	if entraSessions(t, h) != 1 {
		t.Fatal("the session is not marked as an Entra sign-in")
	}
}

// TestEntraLocalAdminsOnly: with "password sign-in for admins only", a non-admin's
// right password is refused with a pointer to Microsoft; an admin (break-glass) still
// gets in; the login page says so.
func TestEntraLocalAdminsOnly(t *testing.T) {
	h, _ := newEntraHarness(t, sso.SettingsInput{LocalAdminsOnly: true})
	h.user("root", db.RoleAdmin)
	h.user("ops", db.RoleOperator)
	c := h.client()
	page := c.get("/login")
	if !strings.Contains(page.text(".login-divider"), "administrators only") {
		t.Fatalf("login page: %q", page.text(".login-divider"))
	}
	r := c.post("/login", url.Values{"username": {"ops"}, "password": {testPassword}})
	wantStatus(t, r, http.StatusForbidden)
	if !strings.Contains(r.text("#login-error"), "Sign in with Microsoft") {
		t.Fatalf("message %q", r.text("#login-error"))
	}
	c.login("root")
	// Off again: everyone's password works.
	h.entraSettings(sso.SettingsInput{})
	h.client().login("ops")
}

// TestEntraSettingsSection: the admin edits the section inline: errors beside the
// fields, the secret masked and kept, Test configuration says what it found; the
// redirect URI is shown with a copy button.
func TestEntraSettingsSection(t *testing.T) {
	h, _ := newEntraHarness(t, sso.SettingsInput{})
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")
	page := c.get("/settings/integrations")
	if page.doc.Find(`#settings-entra[hx-get="/settings/integrations/entra"]`).Length() != 1 {
		t.Fatal("the Integrations tab does not load the Entra section")
	}
	view := c.hx("GET", "/settings/integrations/entra", nil)
	wantStatus(t, view, http.StatusOK)
	if view.text("#entra-redirect-uri") != h.url+"/auth/entra/callback" ||
		view.doc.Find(`[data-copy="`+h.url+`/auth/entra/callback"]`).Length() != 1 {
		t.Fatalf("redirect URI shown: %q", view.text("#entra-redirect-uri"))
	}
	if strings.Contains(view.body, entraSecret) || view.text("#value-entra_client_secret") != "•••••• (set)" {
		t.Fatalf("secret shown as %q", view.text("#value-entra_client_secret"))
	}
	bad := c.hx("PUT", "/settings/integrations/entra", url.Values{"entra_enabled": {"on"}, "entra_tenant_id": {"contoso"},
		"entra_client_id": {entraClient}, "entra_allowed_groups": {"Backup team"}})
	wantStatus(t, bad, http.StatusUnprocessableEntity)
	for _, f := range []string{"entra_tenant_id", "entra_allowed_groups"} {
		if bad.text("#f-"+f+"-error") == "" {
			t.Errorf("no error beside %s", f)
		}
	}
	if bad.doc.Find("#f-entra_client_secret").AttrOr("value", "x") != "" {
		t.Fatal("the secret field is filled in")
	}
	ok := c.hx("PUT", "/settings/integrations/entra", url.Values{"entra_enabled": {"on"}, "entra_tenant_id": {entraTenant},
		"entra_client_id": {entraClient}, "entra_allowed_domains": {"contoso.com"}, "entra_auto_provision": {"on"}})
	wantStatus(t, ok, http.StatusOK)
	if ok.text("#value-entra_allowed_domains") != "contoso.com" || !strings.Contains(ok.body, "settings saved") {
		t.Fatalf("saved section: %q", ok.text("#value-entra_allowed_domains"))
	}
	s, err := sso.LoadSettings(t.Context(), h.db.Bun)
	if err != nil || len(s.ClientSecret) == 0 {
		t.Fatalf("the secret left empty was not kept: %v", err)
	}
	test := c.hx("POST", "/settings/integrations/entra/test", nil)
	wantStatus(t, test, http.StatusOK)
	if test.doc.Find("#entra-test-result.alert-success").Length() != 1 || test.doc.Find(`[data-check] .text-bg-success`).Length() != 5 {
		t.Fatalf("test result:\n%s", test.body)
	}
	if got := c.hx("GET", "/settings/integrations/entra", nil).text("#value-entra_check"); !strings.Contains(got, "passed") {
		t.Fatalf("last test %q", got)
	}
	// A wrong secret: the step that fails says so.
	wantStatus(t, c.hx("PUT", "/settings/integrations/entra", url.Values{"entra_tenant_id": {entraTenant}, "entra_client_id": {entraClient},
		"entra_client_secret": {"not-the-secret"}}), http.StatusOK)
	test = c.hx("POST", "/settings/integrations/entra/test", nil)
	if !strings.Contains(test.text(`[data-check="Client ID and secret"]`), "client secret is wrong") {
		t.Fatalf("wrong secret: %q", test.text(`[data-check="Client ID and secret"]`))
	}
}

// TestEntraSettingsNeedBaseURL: without BASE_URL sign-in cannot be turned on, and the
// section says why.
func TestEntraSettingsNeedBaseURL(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")
	r := c.hx("PUT", "/settings/integrations/entra", url.Values{"entra_enabled": {"on"}, "entra_tenant_id": {entraTenant},
		"entra_client_id": {entraClient}, "entra_client_secret": {entraSecret}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.text("#f-entra_enabled-error"), "BASE_URL") || !strings.Contains(r.text("#entra-site-problem"), "BASE_URL") {
		t.Fatalf("no BASE_URL message: %q / %q", r.text("#f-entra_enabled-error"), r.text("#entra-site-problem"))
	}
	// Sign-in is off: the login page offers no Microsoft button, and its URL goes back.
	if c2 := h.client(); c2.get("/login").doc.Find("#entra-sign-in").Length() != 0 {
		t.Fatal("a Microsoft button while sign-in is off")
	} else if r := c2.get("/auth/entra/login"); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Fatalf("/auth/entra/login while off: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
}

// TestEntraDocumentationPage: the help page is public (it may be needed before anyone
// can sign in) and names this site's redirect URIs.
func TestEntraDocumentationPage(t *testing.T) {
	h, _ := newEntraHarness(t, sso.SettingsInput{})
	h.user("viewer", db.RoleViewer)
	anon := h.client().get("/documentation/settings/entra-sso")
	wantStatus(t, anon, http.StatusOK)
	if anon.text("#doc-redirect-uri") != h.url+"/auth/entra/callback" || anon.text("#doc-logout-uri") != h.url+"/login" {
		t.Fatalf("redirect URIs %q, %q", anon.text("#doc-redirect-uri"), anon.text("#doc-logout-uri"))
	}
	for _, want := range []string{"groups claim", "API permissions", "Tenant", "overage"} {
		if !strings.Contains(anon.body, want) {
			t.Errorf("the help page does not explain %q", want)
		}
	}
	c := h.client()
	c.login("viewer")
	wantStatus(t, c.get("/documentation/settings/entra-sso"), http.StatusOK)
}
