package sso_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/app/sso"
	"github.com/backupchecks/backupchecks/app/sso/ssotest"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

const (
	tenant       = "3f1c2a9e-5b7d-4e21-9a0b-6c8d7e6f5a41"
	otherTenant  = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
	clientID     = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	clientSecret = "s3cr3t~value.from.entra"
	groupOps     = "6e0b7f0a-8e1d-4c44-9d55-2f1b3c4d5e6f"
	groupOther   = "11111111-2222-4333-8444-555555555555"
)

// env is an installation with Entra sign-in set up against the test provider.
type env struct {
	t    *testing.T
	db   *db.DB
	keys *secrets.Keyring
	op   *ssotest.Provider
	e    *sso.Entra
	site sso.Site

	mu  sync.Mutex
	now time.Time
}

func newEnv(t *testing.T, in sso.SettingsInput) *env {
	t.Helper()
	base, _ := url.Parse("https://backupchecks.example.com")
	en := &env{t: t, db: dbtest.New(t), keys: secrets.NewKeyring("test-secret-key-test-secret-key-0123"),
		op: ssotest.New(t, tenant, clientID, clientSecret), site: sso.Site{BaseURL: base, Set: true}, now: time.Now()}
	en.op.AllowRedirectURI(en.site.RedirectURI())
	en.op.AllowRedirectURI(en.site.LogoutReturnURI())
	en.e = sso.New(sso.Options{Authority: en.op.URL(), Now: en.clock})
	in.Enabled, in.TenantID, in.ClientID, in.ClientSecret = true, tenant, clientID, clientSecret
	if _, err := sso.UpdateSettings(context.Background(), en.db.Bun, en.keys, audit.Actor{Name: "test"}, en.site, in); err != nil {
		t.Fatal(err)
	}
	return en
}

func (en *env) clock() time.Time {
	en.mu.Lock()
	defer en.mu.Unlock()
	return en.now
}

func (en *env) advance(d time.Duration) {
	en.mu.Lock()
	en.now = en.now.Add(d)
	en.mu.Unlock()
}

func (en *env) user(name, email string, roles ...string) *db.User {
	en.t.Helper()
	u, err := auth.CreateUser(context.Background(), en.db.Bun, audit.Actor{Name: "test"},
		auth.NewUser{Username: name, Email: email, Roles: roles, Password: "correct horse battery"})
	if err != nil {
		en.t.Fatal(err)
	}
	return u
}

// authorize starts a sign-in and walks the browser's part at the provider: the
// callback parameters and the browser binding it would bring back.
func (en *env) authorize() (sso.CallbackParams, string) {
	en.t.Helper()
	st, err := en.e.Begin(context.Background(), en.db.Bun, en.keys, en.site, "/runchecks", "192.0.2.7")
	if err != nil {
		en.t.Fatalf("begin: %v", err)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(st.AuthURL)
	if err != nil {
		en.t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		en.t.Fatalf("authorize: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	q := loc.Query()
	return sso.CallbackParams{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error"), ErrorDescription: q.Get("error_description")}, st.Browser
}

func (en *env) complete(p sso.CallbackParams, browser string) (*sso.SignedIn, error) {
	return en.e.Complete(context.Background(), en.db.Bun, en.keys, en.site, p, browser, "192.0.2.7")
}

func (en *env) signIn(a ssotest.Account) (*sso.SignedIn, error) {
	en.t.Helper()
	en.op.SignInAs(a)
	p, browser := en.authorize()
	return en.complete(p, browser)
}

func refusedAt(t *testing.T, err error, gate string) *sso.Refusal {
	t.Helper()
	var r *sso.Refusal
	if !errors.As(err, &r) {
		t.Fatalf("err = %v, want a refusal at gate %s", err, gate)
	}
	if r.Gate != gate {
		t.Fatalf("refused at gate %s (%s), want %s", r.Gate, r.Detail, gate)
	}
	if r.Message == "" || r.Fix == "" {
		t.Fatalf("refusal at %s says nothing: %+v", gate, r)
	}
	return r
}

// lastLogin is the newest login audit entry.
func (en *env) lastLogin() db.AuditEntry {
	en.t.Helper()
	var e db.AuditEntry
	if err := en.db.Bun.NewSelect().Model(&e).Where("action IN (?, ?)", audit.LoginSuccess, audit.LoginFailure).
		Order("id DESC").Limit(1).Scan(context.Background()); err != nil {
		en.t.Fatal(err)
	}
	return e
}

var ada = ssotest.Account{OID: "aaaaaaaa-0000-4000-8000-000000000001", PreferredUsername: "ada@contoso.com",
	Email: "ada@contoso.com", Name: "Ada Lovelace", LoginHint: "hint-ada", Groups: []string{groupOps}}

// TestEntraSignInGates covers every gate of the issue against the test provider:
// tenant, domain, groups (allowed, refused, missing, overage), mapping and
// provisioning, deactivated users. Each outcome is audited with its gate.
func TestEntraSignInGates(t *testing.T) {
	type tc struct {
		name     string
		settings sso.SettingsInput
		account  ssotest.Account
		setup    func(en *env)
		gate     string // "" = signed in
		username string // the local user signed in
	}
	with := func(f func(*ssotest.Account)) ssotest.Account {
		a := ada
		a.Groups = append([]string{}, ada.Groups...)
		f(&a)
		return a
	}
	cases := []tc{
		{name: "success by username", account: ada, setup: func(en *env) { en.user("ada@contoso.com", "", db.RoleOperator) }, username: "ada@contoso.com"},
		{name: "success by email, case-insensitive", account: with(func(a *ssotest.Account) { a.PreferredUsername = "Ada@Contoso.com"; a.Email = "" }),
			setup: func(en *env) { en.user("ada", "ADA@contoso.com", db.RoleOperator) }, username: "ada"},
		{name: "wrong tenant", account: with(func(a *ssotest.Account) { a.TenantID = otherTenant }), gate: sso.GateTenant},
		{name: "domain allowed", settings: sso.SettingsInput{AllowedDomains: "example.org, contoso.com"}, account: ada,
			setup: func(en *env) { en.user("ada@contoso.com", "", db.RoleViewer) }, username: "ada@contoso.com"},
		{name: "wrong domain", settings: sso.SettingsInput{AllowedDomains: "example.org"}, account: ada,
			setup: func(en *env) { en.user("ada@contoso.com", "", db.RoleViewer) }, gate: sso.GateDomain},
		{name: "group allowed", settings: sso.SettingsInput{AllowedGroups: groupOther + "\n" + strings.ToUpper(groupOps)}, account: ada,
			setup: func(en *env) { en.user("ada@contoso.com", "", db.RoleViewer) }, username: "ada@contoso.com"},
		{name: "group refused", settings: sso.SettingsInput{AllowedGroups: groupOther}, account: ada, gate: sso.GateGroup},
		{name: "groups claim missing", settings: sso.SettingsInput{AllowedGroups: groupOps},
			account: with(func(a *ssotest.Account) { a.NoGroupsClaim = true }), gate: sso.GateGroupsMissing},
		{name: "groups overage", settings: sso.SettingsInput{AllowedGroups: groupOps},
			account: with(func(a *ssotest.Account) { a.GroupsOverage = true }), gate: sso.GateGroupsOverage},
		{name: "no groups set: no groups claim needed", account: with(func(a *ssotest.Account) { a.NoGroupsClaim = true }),
			setup: func(en *env) { en.user("ada@contoso.com", "", db.RoleViewer) }, username: "ada@contoso.com"},
		{name: "unknown user, auto-provision off", account: ada, gate: sso.GateUnknownUser},
		{name: "unknown user, auto-provision on", settings: sso.SettingsInput{AutoProvision: true}, account: ada, username: "ada@contoso.com"},
		{name: "deactivated user", account: ada, setup: func(en *env) {
			en.user("admin", "", db.RoleAdmin)
			u := en.user("ada@contoso.com", "", db.RoleOperator)
			if _, err := auth.SetActive(context.Background(), en.db.Bun, audit.Actor{Name: "test"}, u.ID, false); err != nil {
				t.Fatal(err)
			}
		}, gate: sso.GateDeactivated},
		{name: "two users by email", account: with(func(a *ssotest.Account) { a.PreferredUsername = "ada.l@contoso.com" }), setup: func(en *env) {
			en.user("ada1", "ada@contoso.com", db.RoleViewer)
			en.user("ada2", "ada@contoso.com", db.RoleViewer)
		}, gate: sso.GateAmbiguous},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			en := newEnv(t, c.settings)
			if c.setup != nil {
				c.setup(en)
			}
			res, err := en.signIn(c.account)
			entry := en.lastLogin()
			if entry.Details["method"] != "entra" {
				t.Fatalf("audit entry %+v is not an Entra sign-in", entry)
			}
			if c.gate != "" {
				r := refusedAt(t, err, c.gate)
				if entry.Action != audit.LoginFailure || entry.Details["gate"] != c.gate {
					t.Fatalf("audited %s gate %v, want a failure at %s", entry.Action, entry.Details["gate"], c.gate)
				}
				if c.gate != sso.GateTenant && r.User != c.account.PreferredUsername {
					t.Fatalf("refusal names %q", r.User)
				}
				return
			}
			if err != nil {
				t.Fatalf("sign-in: %v", err)
			}
			if res.User.Username != c.username || res.Next != "/runchecks" {
				t.Fatalf("signed in %s, next %s", res.User.Username, res.Next)
			}
			if entry.Action != audit.LoginSuccess || entry.ActorID == nil || *entry.ActorID != res.User.ID {
				t.Fatalf("audit entry %+v", entry)
			}
		})
	}
}

// TestEntraLinkSurvivesRename: the first sign-in links the local user to the Entra
// account (oid); after a rename in Entra the same user signs in, and a new account
// that took the old name does not get in as that user.
func TestEntraLinkSurvivesRename(t *testing.T) {
	en := newEnv(t, sso.SettingsInput{})
	u := en.user("ada@contoso.com", "", db.RoleOperator)
	if _, err := en.signIn(ada); err != nil {
		t.Fatal(err)
	}
	renamed := ada
	renamed.PreferredUsername, renamed.Email = "ada.king@contoso.com", "ada.king@contoso.com"
	res, err := en.signIn(renamed)
	if err != nil || res.User.ID != u.ID {
		t.Fatalf("renamed account: %v, %+v", err, res)
	}
	impostor := ada
	impostor.OID = "bbbbbbbb-0000-4000-8000-000000000002"
	_, err = en.signIn(impostor)
	refusedAt(t, err, sso.GateLinkedElsewhere)
}

// TestEntraProvisionedViewer: an auto-provisioned user is a Viewer without a password,
// linked to the account; a second sign-in finds the same user.
func TestEntraProvisionedViewer(t *testing.T) {
	en := newEnv(t, sso.SettingsInput{AutoProvision: true})
	res, err := en.signIn(ada)
	if err != nil {
		t.Fatal(err)
	}
	u := res.User
	if u.ActiveRole != db.RoleViewer || len(u.Roles) != 1 || u.DisplayName != "Ada Lovelace" || u.Email != "ada@contoso.com" {
		t.Fatalf("provisioned %+v", u)
	}
	if _, err := auth.Login(context.Background(), en.db.Bun, auth.DefaultThrottle, u.Username, "", "192.0.2.1", time.Now()); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("password login of a provisioned user: %v", err)
	}
	again, err := en.signIn(ada)
	if err != nil || again.User.ID != u.ID {
		t.Fatalf("second sign-in: %v %+v", err, again)
	}
	n, err := en.db.Bun.NewSelect().Model((*db.User)(nil)).Count(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("%d users", n)
	}
}

// TestEntraProvisionConcurrent: two first sign-ins of one account at once make one user.
func TestEntraProvisionConcurrent(t *testing.T) {
	en := newEnv(t, sso.SettingsInput{AutoProvision: true})
	en.op.SignInAs(ada)
	var ps [2]sso.CallbackParams
	var bs [2]string
	for i := range ps {
		ps[i], bs[i] = en.authorize()
	}
	var wg sync.WaitGroup
	ids := make([]int64, 2)
	errs := make([]error, 2)
	for i := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := en.complete(ps[i], bs[i])
			errs[i] = err
			if err == nil {
				ids[i] = res.User.ID
			}
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || ids[0] != ids[1] {
		t.Fatalf("concurrent sign-ins: %v %v, users %v", errs[0], errs[1], ids)
	}
}

// TestSecurityEntraTamperedToken: an ID token changed after signing, or signed by a
// key the tenant does not publish, is refused; so is one for another audience, from
// another issuer, or with another nonce.
func TestSecurityEntraTamperedToken(t *testing.T) {
	stranger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		claims func(map[string]any)
		token  func(en *env, raw string) string
		want   string
	}{
		{name: "payload changed", token: func(_ *env, raw string) string {
			parts := strings.Split(raw, ".")
			claims := decodeSegment(t, parts[1])
			claims["oid"] = "cccccccc-0000-4000-8000-000000000003"
			parts[1] = encodeSegment(t, claims)
			return strings.Join(parts, ".")
		}, want: "signature"},
		{name: "signed by another key", token: func(_ *env, raw string) string {
			return ssotest.SignWith(t, stranger, "attacker", decodeSegment(t, strings.Split(raw, ".")[1]))
		}, want: "signature"},
		{name: "signature removed (alg none)", token: func(_ *env, raw string) string {
			parts := strings.Split(raw, ".")
			return encodeSegment(t, map[string]any{"alg": "none", "typ": "JWT"}) + "." + parts[1] + "."
		}, want: "malformed"},
		{name: "another audience", claims: func(c map[string]any) { c["aud"] = "ffffffff-0000-4000-8000-00000000000f" }, want: "audience"},
		{name: "another issuer", claims: func(c map[string]any) { c["iss"] = "https://login.microsoftonline.com/" + otherTenant + "/v2.0" }, want: "issued by a different provider"},
		{name: "another nonce", claims: func(c map[string]any) { c["nonce"] = "replayed-nonce" }, want: "nonce"},
		{name: "no oid", claims: func(c map[string]any) { delete(c, "oid") }, want: "oid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			en := newEnv(t, sso.SettingsInput{AutoProvision: true})
			en.op.EditClaims(c.claims)
			if c.token != nil {
				en.op.EditToken(func(raw string) string { return c.token(en, raw) })
			}
			_, err := en.signIn(ada)
			r := refusedAt(t, err, sso.GateToken)
			if !strings.Contains(r.Detail, c.want) {
				t.Fatalf("detail %q, want it to mention %q", r.Detail, c.want)
			}
			if n, _ := en.db.Bun.NewSelect().Model((*db.User)(nil)).Count(context.Background()); n != 0 {
				t.Fatal("a refused token provisioned a user")
			}
		})
	}
}

// TestSecurityEntraExpiredToken: an ID token past its exp is refused, by the app's clock.
func TestSecurityEntraExpiredToken(t *testing.T) {
	en := newEnv(t, sso.SettingsInput{AutoProvision: true})
	en.op.EditClaims(func(c map[string]any) {
		c["iat"], c["nbf"], c["exp"] = en.clock().Add(-2*time.Hour).Unix(), en.clock().Add(-2*time.Hour).Unix(), en.clock().Add(-time.Hour).Unix()
	})
	_, err := en.signIn(ada)
	if r := refusedAt(t, err, sso.GateToken); !strings.Contains(r.Detail, "expired") {
		t.Fatalf("detail %q", r.Detail)
	}
}

// TestSecurityEntraWrongTenant: a token of another tenant (its own issuer) fails
// verification; one of our issuer but another tid is stopped at the tenant gate.
func TestSecurityEntraWrongTenant(t *testing.T) {
	en := newEnv(t, sso.SettingsInput{AutoProvision: true})
	en.op.EditClaims(func(c map[string]any) {
		c["iss"], c["tid"] = strings.Replace(en.op.Issuer(), tenant, otherTenant, 1), otherTenant
	})
	_, err := en.signIn(ada)
	refusedAt(t, err, sso.GateToken)
	en.op.EditClaims(func(c map[string]any) { c["tid"] = otherTenant })
	_, err = en.signIn(ada)
	refusedAt(t, err, sso.GateTenant)
}

// TestSecurityEntraReplayedState: a callback is completed once; replaying it, using it
// from another browser, after it expired, or with a made-up state is refused.
func TestSecurityEntraReplayedState(t *testing.T) {
	en := newEnv(t, sso.SettingsInput{AutoProvision: true})
	en.op.SignInAs(ada)
	p, browser := en.authorize()
	if _, err := en.complete(p, "another browser's cookie"); err == nil {
		t.Fatal("a callback from another browser signed in")
	} else {
		refusedAt(t, err, sso.GateState)
	}
	if _, err := en.complete(p, browser); err != nil {
		t.Fatalf("the victim's own callback after an attacker tried its state: %v", err)
	}
	_, err := en.complete(p, browser)
	refusedAt(t, err, sso.GateState)
	if e := en.lastLogin(); e.Action != audit.LoginFailure || e.Details["gate"] != sso.GateState {
		t.Fatalf("replay audited as %+v", e)
	}

	p, browser = en.authorize()
	en.advance(sso.FlowLifetime + time.Second)
	_, err = en.complete(p, browser)
	refusedAt(t, err, sso.GateState)

	_, err = en.complete(sso.CallbackParams{State: "made-up", Code: "made-up"}, browser)
	refusedAt(t, err, sso.GateState)
}

// TestEntraKeyRotation: after the tenant rolls its signing key over (the old key
// withdrawn), the next token verifies: the key set is read again for the new key.
func TestEntraKeyRotation(t *testing.T) {
	en := newEnv(t, sso.SettingsInput{AutoProvision: true})
	if _, err := en.signIn(ada); err != nil {
		t.Fatal(err)
	}
	before := en.op.JWKSFetches()
	if _, err := en.signIn(ada); err != nil {
		t.Fatal(err)
	}
	if en.op.JWKSFetches() != before {
		t.Fatal("the key set was read again although the key is known")
	}
	en.op.RotateKey(true)
	if _, err := en.signIn(ada); err != nil {
		t.Fatalf("after the rollover: %v", err)
	}
	if en.op.JWKSFetches() != before+1 {
		t.Fatalf("key set read %d times after the rollover, want once", en.op.JWKSFetches()-before)
	}
}

// TestEntraAuthorizeRequest: the authorize request carries PKCE (S256), a nonce and a
// state, and Entra's error answers are refused with what an admin can do.
func TestEntraAuthorizeRequest(t *testing.T) {
	en := newEnv(t, sso.SettingsInput{})
	en.user("ada@contoso.com", "", db.RoleViewer)
	if _, err := en.signIn(ada); err != nil {
		t.Fatal(err)
	}
	q := en.op.Authorizations()[0]
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if len(q.Get(k)) < 40 {
			t.Errorf("%s = %q, want a long random value", k, q.Get(k))
		}
	}
	if q.Get("code_challenge_method") != "S256" || q.Get("redirect_uri") != en.site.RedirectURI() || q.Get("client_id") != clientID {
		t.Fatalf("authorize request %v", q)
	}
	en.op.FailNextAuthorize("invalid_request", "AADSTS50105: Your administrator has configured the application to block users unless they are specifically granted access.")
	_, err := en.signIn(ada)
	if r := refusedAt(t, err, sso.GateEntra); !strings.Contains(r.Fix, "Users and groups") {
		t.Fatalf("fix %q", r.Fix)
	}
}

// TestEntraBeginRefusals: sign-in does not start while it is off, incomplete or without
// a usable BASE_URL.
func TestEntraBeginRefusals(t *testing.T) {
	en := newEnv(t, sso.SettingsInput{})
	ctx := context.Background()
	noBase := sso.Site{BaseURL: en.site.BaseURL}
	_, err := en.e.Begin(ctx, en.db.Bun, en.keys, noBase, "/", "192.0.2.1")
	if r := refusedAt(t, err, sso.GateConfiguration); !strings.Contains(r.Message, "BASE_URL") {
		t.Fatalf("message %q", r.Message)
	}
	if _, err := sso.UpdateSettings(ctx, en.db.Bun, en.keys, audit.Actor{Name: "test"}, en.site, sso.SettingsInput{TenantID: tenant}); err != nil {
		t.Fatal(err)
	}
	_, err = en.e.Begin(ctx, en.db.Bun, en.keys, en.site, "/", "192.0.2.1")
	refusedAt(t, err, sso.GateDisabled)
}

// TestEntraSettingsValidation: values are checked beside their fields; turning
// sign-in on needs the IDs, a secret and BASE_URL; the secret is stored encrypted and
// kept when left empty; the audit entry masks it.
func TestEntraSettingsValidation(t *testing.T) {
	en := newEnv(t, sso.SettingsInput{})
	ctx := context.Background()
	actor := audit.Actor{Name: "test"}
	_, err := sso.UpdateSettings(ctx, en.db.Bun, en.keys, actor, sso.Site{}, sso.SettingsInput{Enabled: true, TenantID: "contoso.onmicrosoft.com",
		ClientID: "app", AllowedDomains: "contoso.com, not a domain", AllowedGroups: "Backup Operators"})
	errs, ok := validationErrors(err)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	for _, f := range []string{"entra_tenant_id", "entra_client_id", "entra_allowed_domains", "entra_allowed_groups", "entra_enabled"} {
		if errs[f] == "" {
			t.Errorf("no message for %s: %v", f, errs)
		}
	}
	saved, err := sso.UpdateSettings(ctx, en.db.Bun, en.keys, actor, en.site, sso.SettingsInput{Enabled: true, TenantID: strings.ToUpper(tenant),
		ClientID: clientID, AllowedDomains: "@Contoso.com\nfabrikam.com, contoso.com", AllowedGroups: groupOps + "\r\n" + groupOther})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := sso.ConfigFrom(saved, en.keys)
	if err != nil || cfg.ClientSecret != clientSecret || cfg.TenantID != tenant ||
		strings.Join(cfg.AllowedDomains, ",") != "contoso.com,fabrikam.com" || len(cfg.AllowedGroups) != 2 {
		t.Fatalf("saved %+v, %v", cfg, err)
	}
	if strings.Contains(string(saved.ClientSecret), clientSecret) {
		t.Fatal("the client secret is stored in the clear")
	}
	var e db.AuditEntry
	if err := en.db.Bun.NewSelect().Model(&e).Where("target = 'settings:entra'").Order("id").Limit(1).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if b := strings.Join([]string{e.Action, e.Target}, " "); !strings.Contains(b, "settings") {
		t.Fatal(b)
	}
	if s := stringify(e.Details); strings.Contains(s, clientSecret) || !strings.Contains(s, audit.Masked) {
		t.Fatalf("audit details %s", s)
	}
}

// TestEntraTestConfiguration says which value is wrong.
func TestEntraTestConfiguration(t *testing.T) {
	en := newEnv(t, sso.SettingsInput{})
	ctx := context.Background()
	load := func() *db.EntraSettings {
		s, err := sso.LoadSettings(ctx, en.db.Bun)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if cs := en.e.TestConfiguration(ctx, load(), en.keys, en.site); !cs.OK() || cs.Summary() != "passed" {
		t.Fatalf("good configuration: %+v", cs)
	}
	for _, c := range []struct {
		in   sso.SettingsInput
		want string
	}{
		{sso.SettingsInput{TenantID: otherTenant, ClientID: clientID}, "does not exist"},
		{sso.SettingsInput{TenantID: tenant, ClientID: otherTenant}, "has no application with client ID"},
		{sso.SettingsInput{TenantID: tenant, ClientID: clientID, ClientSecret: "wrong"}, "client secret is wrong"},
	} {
		if _, err := sso.UpdateSettings(ctx, en.db.Bun, en.keys, audit.Actor{Name: "test"}, en.site, c.in); err != nil {
			t.Fatal(err)
		}
		cs := en.e.TestConfiguration(ctx, load(), en.keys, en.site)
		if cs.OK() || !strings.Contains(cs.Summary(), c.want) {
			t.Errorf("%+v: %s, want it to say %q", c.in, cs.Summary(), c.want)
		}
	}
}

// TestEntraLocalAdminsOnly: with the break-glass option, only admins may use a password.
func TestEntraLocalAdminsOnly(t *testing.T) {
	admin := &db.User{Roles: []string{db.RoleAdmin, db.RoleViewer}}
	viewer := &db.User{Roles: []string{db.RoleViewer}}
	on := &db.EntraSettings{Enabled: true, LocalAdminsOnly: true}
	if sso.LocalSignInAllowed(on)(admin) != nil || !errors.Is(sso.LocalSignInAllowed(on)(viewer), sso.ErrLocalAdminsOnly) {
		t.Fatal("admins only: wrong rule")
	}
	for _, s := range []*db.EntraSettings{nil, {Enabled: false, LocalAdminsOnly: true}, {Enabled: true}} {
		if sso.LocalSignInAllowed(s)(viewer) != nil {
			t.Fatalf("%+v refuses a viewer's password", s)
		}
	}
}

func decodeSegment(t *testing.T, s string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func encodeSegment(t *testing.T, m map[string]any) string {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func validationErrors(err error) (validation.Errors, bool) { return validation.As(err) }

func stringify(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
