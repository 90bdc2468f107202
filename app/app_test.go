package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

func TestHealth(t *testing.T) {
	h := newHarness(t, Options{})
	r := h.client().get("/health")
	wantStatus(t, r, http.StatusOK)
	var body map[string]string
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatalf("health is not JSON: %v\n%s", err, r.body)
	}
	if body["status"] != "ok" || body["database"] != "ok" || body["version"] != "test" {
		t.Fatalf("health = %v", body)
	}

	// An app whose database has gone away answers 503.
	gone := dbtest.New(t)
	gone.Close()
	resp, err := New(h.app.cfg, gone, Options{}).Fiber().Test(httptest.NewRequest("GET", "/health", nil), 10000)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(raw), `"database":"unreachable"`) {
		t.Fatalf("health without a database: %d %s", resp.StatusCode, raw)
	}
}

func TestSetupOnce(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.client()

	r := c.get("/")
	wantStatus(t, r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "/setup" {
		t.Fatalf("before setup / redirects to %q, want /setup", loc)
	}
	r = c.get("/setup")
	wantStatus(t, r, http.StatusOK)

	// A mistake re-renders the form with the message beside the field.
	r = c.post("/setup", url.Values{"username": {"admin"}, "password": {testPassword}, "confirm_password": {"different"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if msg := r.text("#f-confirm_password-error"); !strings.Contains(msg, "differ") {
		t.Fatalf("confirm error = %q", msg)
	}
	if v, _ := r.doc.Find("#f-username").Attr("value"); v != "admin" {
		t.Fatalf("username not kept in the form: %q", v)
	}
	r = c.post("/setup", url.Values{"username": {"admin"}, "password": {"short"}, "confirm_password": {"short"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if msg := r.text("#f-password-error"); !strings.Contains(msg, "12") {
		t.Fatalf("password error = %q", msg)
	}

	r = c.post("/setup", url.Values{"username": {"admin"}, "display_name": {"Ada Admin"}, "password": {testPassword}, "confirm_password": {testPassword}})
	wantStatus(t, r, http.StatusSeeOther)
	r = c.get("/")
	wantStatus(t, r, http.StatusOK)
	if got := r.text("#user-menu"); got != "Ada Admin" {
		t.Fatalf("signed in as %q after setup, want Ada Admin", got)
	}
	if !strings.Contains(r.text("#flash"), "Your admin account is ready") {
		t.Fatalf("no welcome flash: %q", r.text("#flash"))
	}

	// Setup is gone, for this client and any other.
	for _, cl := range []*client{c, h.client()} {
		wantStatus(t, cl.get("/setup"), http.StatusNotFound)
		cl.get("/login")
		r = cl.post("/setup", url.Values{"username": {"intruder"}, "password": {testPassword}, "confirm_password": {testPassword}})
		wantStatus(t, r, http.StatusNotFound)
	}
	users, err := auth.ListUsers(context.Background(), h.db.Bun)
	if err != nil || len(users) != 1 || !users[0].HasRole(db.RoleAdmin) {
		t.Fatalf("users after setup = %v, %v; want one admin", users, err)
	}
}

func TestLogin(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("ops", db.RoleOperator)

	t.Run("wrong password", func(t *testing.T) {
		c := h.client()
		c.get("/login")
		r := c.post("/login", url.Values{"username": {"ops"}, "password": {"wrong password!"}})
		wantStatus(t, r, http.StatusUnauthorized)
		if msg := r.text("#login-error"); msg != "Unknown username or wrong password." {
			t.Fatalf("error = %q", msg)
		}
		if v, _ := r.doc.Find("#f-username").Attr("value"); v != "ops" {
			t.Fatalf("username not kept: %q", v)
		}
		wantStatus(t, c.get("/"), http.StatusSeeOther)
	})

	t.Run("success returns to the page asked for", func(t *testing.T) {
		c := h.client()
		r := c.get("/profile")
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/login?next=%2Fprofile" {
			t.Fatalf("anonymous /profile redirects to %q", loc)
		}
		c.get("/login?next=%2Fprofile")
		r = c.post("/login", url.Values{"username": {"ops"}, "password": {testPassword}, "next": {"/profile"}})
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/profile" {
			t.Fatalf("after login redirected to %q, want /profile", loc)
		}
		var session *http.Cookie
		for _, ck := range r.Cookies() {
			if ck.Name == sessionCookie {
				session = ck
			}
		}
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
			t.Fatalf("session cookie = %+v, want HttpOnly SameSite=Lax", session)
		}
		wantStatus(t, c.get("/profile"), http.StatusOK)

		// Logout ends the session server-side.
		r = c.post("/logout", nil)
		wantStatus(t, r, http.StatusSeeOther)
		wantStatus(t, c.get("/profile"), http.StatusSeeOther)
	})

	t.Run("open redirect refused", func(t *testing.T) {
		c := h.client()
		c.get("/login")
		r := c.post("/login", url.Values{"username": {"ops"}, "password": {testPassword}, "next": {"//evil.example/"}})
		if loc := r.Header.Get("Location"); loc != "/" {
			t.Fatalf("next=//evil.example/ redirected to %q", loc)
		}
	})

	t.Run("throttled after repeated failures", func(t *testing.T) {
		h.user("victim", db.RoleViewer)
		c := h.client()
		c.get("/login")
		for range auth.DefaultThrottle.PerAccount {
			wantStatus(t, c.post("/login", url.Values{"username": {"victim"}, "password": {"guess guess guess"}}), http.StatusUnauthorized)
		}
		r := c.post("/login", url.Values{"username": {"victim"}, "password": {testPassword}})
		wantStatus(t, r, http.StatusTooManyRequests)
		if r.Header.Get("Retry-After") == "" || !strings.Contains(r.text("#login-error"), "Too many failed logins") {
			t.Fatalf("throttled answer lacks Retry-After or message: %q", r.text("#login-error"))
		}
	})

	t.Run("secure cookies behind https", func(t *testing.T) {
		hs := newHarness(t, Options{})
		hs.app.cfg.BaseURL, _ = url.Parse("https://backups.example.net")
		hs.user("ops", db.RoleOperator)
		c := hs.client()
		r := c.get("/login")
		for _, ck := range r.Cookies() {
			if ck.Name == csrfCookie && !ck.Secure {
				t.Fatalf("cookie %s not Secure with an https BASE_URL", ck.Name)
			}
		}
	})
}

func TestLoginCaptcha(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("ops", db.RoleOperator)
	if _, err := h.db.Bun.ExecContext(context.Background(), "UPDATE system_settings SET login_captcha_enabled = true"); err != nil {
		t.Fatal(err)
	}
	c := h.client()
	r := c.get("/login")
	q := r.doc.Find(`label[for="f-captcha_answer"]`).Text()
	var a, b int
	if _, err := fmt.Sscanf(q, "What is %d + %d?", &a, &b); err != nil {
		t.Fatalf("captcha question %q: %v", q, err)
	}
	token, _ := r.doc.Find(`input[name="captcha_token"]`).Attr("value")

	r = c.post("/login", url.Values{"username": {"ops"}, "password": {testPassword}, "captcha_token": {token}, "captcha_answer": {fmt.Sprint(a + b + 1)}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.text("#f-captcha_answer-error"), "wrong answer") {
		t.Fatalf("no captcha error beside the field")
	}
	r = c.post("/login", url.Values{"username": {"ops"}, "password": {testPassword}, "captcha_token": {token}, "captcha_answer": {fmt.Sprint(a + b)}})
	wantStatus(t, r, http.StatusSeeOther)
}

func TestCSRF(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")

	for _, tc := range []struct {
		name  string
		token string
	}{
		{"missing", ""},
		{"forged", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			saved := c.csrf
			c.csrf = tc.token
			r := c.hx("PUT", "/settings/general", url.Values{"ui_timezone": {"UTC"}})
			c.csrf = saved
			wantStatus(t, r, http.StatusForbidden)
			if r.Header.Get("HX-Retarget") != "#flash" || !strings.Contains(r.body, "security token") {
				t.Fatalf("CSRF rejection not shown in the flash area: %v\n%s", r.Header, r.body)
			}
		})
	}
	// A token from another browser's cookie does not work either.
	other := h.client()
	other.get("/login")
	saved := c.csrf
	c.csrf = other.csrf
	wantStatus(t, c.hx("PUT", "/settings/general", url.Values{"ui_timezone": {"UTC"}}), http.StatusForbidden)
	c.csrf = saved

	// Plain form posts need the _csrf field.
	anon := h.client()
	anon.get("/login")
	r := anon.do("POST", "/login", url.Values{"username": {"admin"}, "password": {testPassword}}, false)
	wantStatus(t, r, http.StatusForbidden)

	s, err := settings.Load(context.Background(), h.db.Bun)
	if err != nil || s.UITimezone != settings.DefaultTimezone {
		t.Fatalf("a rejected request changed the settings: %v %v", s, err)
	}
	wantStatus(t, c.hx("PUT", "/settings/general", url.Values{"ui_timezone": {"UTC"}}), http.StatusOK)
}

// TestRBACMatrix walks every route of the route table in every role (and signed out)
// and checks that exactly the roles the table names get through.
func TestRBACMatrix(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("root", db.RoleAdmin) // keeps an admin around whatever the matrix does
	target := h.user("target", db.RoleViewer)
	clients := map[string]*client{}
	for _, role := range db.AllRoles {
		h.user("as-"+role, role)
		c := h.client()
		c.login("as-" + role)
		clients[role] = c
	}
	anon := h.client()
	anon.get("/login")

	// Bodies that make a request valid enough to reach its handler's own checks.
	bodies := map[string]func(role string) url.Values{
		"/profile/role":  func(role string) url.Values { return url.Values{"role": {role}} },
		"/profile/theme": func(string) url.Values { return url.Values{"theme": {"dark"}} },
	}
	path := func(p string) string { return strings.ReplaceAll(p, ":id", fmt.Sprint(target.ID)) }

	for _, rt := range h.app.routes {
		if rt.Roles == nil || rt.Path == "/logout" {
			continue // public routes have their own tests; logout would end the session
		}
		for _, role := range db.AllRoles {
			t.Run(rt.Method+" "+rt.Path+" as "+role, func(t *testing.T) {
				var form url.Values
				if f, ok := bodies[rt.Path]; ok {
					form = f(role)
				}
				var r *response
				if rt.Path == "/events" {
					r = clients[role].headersOnly("/events?topic=inbox")
				} else {
					r = clients[role].hx(rt.Method, path(rt.Path), form)
				}
				allowed := slices.Contains(rt.Roles, role)
				switch {
				case allowed && (r.StatusCode == http.StatusForbidden || r.StatusCode == http.StatusUnauthorized):
					t.Fatalf("role %s refused (%d) but the table allows it", role, r.StatusCode)
				case allowed && r.StatusCode >= 500:
					t.Fatalf("role %s: server error %d\n%s", role, r.StatusCode, r.body)
				case !allowed && r.StatusCode != http.StatusForbidden:
					t.Fatalf("role %s got %d, want 403", role, r.StatusCode)
				}
			})
		}
		t.Run(rt.Method+" "+rt.Path+" signed out", func(t *testing.T) {
			r := anon.do(rt.Method, path(rt.Path), url.Values{"_csrf": {anon.csrf}}, false)
			if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
				t.Fatalf("signed out: %d to %q, want a redirect to /login", r.StatusCode, r.Header.Get("Location"))
			}
		})
	}
}

func TestSettingsInlineEdit(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")

	r := c.get("/settings")
	wantStatus(t, r, http.StatusOK)
	if got := r.text("#value-ui_timezone"); got != "Europe/Amsterdam" {
		t.Fatalf("timezone shown = %q", got)
	}
	if r.doc.Find("nav.navbar").Length() != 1 {
		t.Fatal("a full load did not return the whole page")
	}

	// Edit: the section turns into a form (a fragment, not a page).
	r = c.hx("GET", "/settings/general/edit", nil)
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find("nav.navbar").Length() != 0 || r.doc.Find(`form[hx-put="/settings/general"]`).Length() != 1 {
		t.Fatalf("edit did not return the form fragment:\n%s", r.body)
	}
	if r.Header.Get("Vary") == "" || !strings.Contains(r.Header.Get("Vary"), "HX-Request") {
		t.Fatalf("Vary = %q, want HX-Request", r.Header.Get("Vary"))
	}
	if r.doc.Find(`#timezones option[value="Europe/London"]`).Length() != 1 {
		t.Fatal("the timezone list lacks Europe/London")
	}

	// A bad value: the form comes back with the message beside the field and the value kept.
	r = c.hx("PUT", "/settings/general", url.Values{"ui_timezone": {"Mars/Olympus_Mons"}, "login_captcha_enabled": {"on"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if msg := r.text("#f-ui_timezone-error"); !strings.Contains(msg, "unknown timezone") {
		t.Fatalf("timezone error = %q\n%s", msg, r.body)
	}
	if v, _ := r.doc.Find("#f-ui_timezone").Attr("value"); v != "Mars/Olympus_Mons" {
		t.Fatalf("typed value not kept: %q", v)
	}
	if _, ok := r.doc.Find("#f-login_captcha_enabled").Attr("checked"); !ok {
		t.Fatal("checkbox state not kept")
	}
	s, _ := settings.Load(context.Background(), h.db.Bun)
	if s.UITimezone != "Europe/Amsterdam" || s.LoginCaptchaEnabled {
		t.Fatalf("invalid input was saved: %+v", s)
	}

	// A good value: the read-only section comes back with the new value and a flash.
	r = c.hx("PUT", "/settings/general", url.Values{"ui_timezone": {"Europe/London"}, "login_captcha_enabled": {"on"}})
	wantStatus(t, r, http.StatusOK)
	if got := r.text("#value-ui_timezone"); got != "Europe/London" {
		t.Fatalf("saved section shows %q\n%s", got, r.body)
	}
	if r.doc.Find(`#flash[hx-swap-oob]`).Length() != 1 || !strings.Contains(r.text("#flash"), "saved") {
		t.Fatalf("no out-of-band flash:\n%s", r.body)
	}
	s, _ = settings.Load(context.Background(), h.db.Bun)
	if s.UITimezone != "Europe/London" || !s.LoginCaptchaEnabled || s.SandboxEnabled {
		t.Fatalf("settings after save: %+v", s)
	}

	// Applied without restart: another visitor's login page asks the captcha now.
	if h.client().get("/login").doc.Find("#f-captcha_answer").Length() != 1 {
		t.Fatal("captcha not shown after enabling it")
	}

	// Audited with old → new.
	var details string
	if err := h.db.Bun.NewRaw("SELECT details::text FROM audit_log WHERE action = 'settings.updated' ORDER BY id DESC LIMIT 1").Scan(context.Background(), &details); err != nil {
		t.Fatal(err)
	}
	var d map[string]map[string]any
	if err := json.Unmarshal([]byte(details), &d); err != nil {
		t.Fatal(err)
	}
	if d["ui_timezone"]["old"] != "Europe/Amsterdam" || d["ui_timezone"]["new"] != "Europe/London" || d["login_captcha_enabled"]["new"] != true {
		t.Fatalf("audit details = %s", details)
	}
	if _, ok := d["sandbox_enabled"]; ok {
		t.Fatalf("unchanged field audited: %s", details)
	}

	// Sandbox: the banner is on every page once enabled.
	r = c.hx("PUT", "/settings/general", url.Values{"ui_timezone": {"Europe/London"}, "sandbox_enabled": {"on"}})
	if r.Header.Get("HX-Redirect") != "/settings" {
		t.Fatalf("enabling sandbox should reload the page, got %d %v", r.StatusCode, r.Header)
	}
	for _, p := range []string{"/", "/profile"} {
		if c.get(p).doc.Find(".sandbox-banner").Length() != 1 {
			t.Fatalf("no sandbox banner on %s", p)
		}
	}
}

func TestUsersAdmin(t *testing.T) {
	h := newHarness(t, Options{})
	admin := h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")

	r := c.hx("POST", "/users", url.Values{"username": {"admin"}, "roles": {"operator"}, "password": {"short"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.text("#f-username-error"), "taken") || !strings.Contains(r.text("#f-password-error"), "12") {
		t.Fatalf("create errors missing:\n%s", r.body)
	}

	r = c.hx("POST", "/users", url.Values{"username": {"olivia"}, "display_name": {"Olivia Ops"},
		"roles": {"operator", "viewer"}, "password": {testPassword}})
	wantStatus(t, r, http.StatusOK)
	if r.Header.Get("HX-Retarget") != "#users-rows" || !strings.Contains(r.Header.Get("HX-Trigger"), "closeModal") {
		t.Fatalf("create response headers: %v", r.Header)
	}
	olivia, err := auth.GetUserByUsername(context.Background(), h.db.Bun, "olivia")
	if err != nil || !slices.Equal(olivia.Roles, []string{"operator", "viewer"}) {
		t.Fatalf("created user: %+v %v", olivia, err)
	}

	// Olivia logs in, switches role, and is remembered in it.
	oc := h.client()
	oc.login("olivia")
	r = oc.post("/profile/role", url.Values{"role": {"viewer"}, "back": {"/profile"}})
	wantStatus(t, r, http.StatusSeeOther)
	if r.Header.Get("Location") != "/profile" {
		t.Fatalf("role switch went to %q", r.Header.Get("Location"))
	}
	if got := oc.get("/").text("#active-role"); got != "Viewer" {
		t.Fatalf("active role shown = %q", got)
	}
	wantStatus(t, oc.post("/profile/role", url.Values{"role": {"admin"}}), http.StatusForbidden)

	// Admin edits her roles; removing viewer moves her active role.
	r = c.hx("PUT", fmt.Sprintf("/users/%d", olivia.ID), url.Values{"display_name": {"Olivia"}, "roles": {"operator"}})
	wantStatus(t, r, http.StatusOK)
	if got, _ := auth.GetUser(context.Background(), h.db.Bun, olivia.ID); got.ActiveRole != "operator" {
		t.Fatalf("active role after losing viewer = %s", got.ActiveRole)
	}

	// Reset password ends her sessions.
	wantStatus(t, c.hx("POST", fmt.Sprintf("/users/%d/password", olivia.ID), url.Values{"password": {"short"}}), http.StatusUnprocessableEntity)
	wantStatus(t, c.hx("POST", fmt.Sprintf("/users/%d/password", olivia.ID), url.Values{"password": {"another long password"}}), http.StatusOK)
	wantStatus(t, oc.get("/"), http.StatusSeeOther)

	// Deactivate: she cannot log in; the admin cannot deactivate himself.
	r = c.hx("POST", fmt.Sprintf("/users/%d/deactivate", olivia.ID), nil)
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.body, "Deactivated") {
		t.Fatalf("row not updated:\n%s", r.body)
	}
	oc.get("/login")
	wantStatus(t, oc.post("/login", url.Values{"username": {"olivia"}, "password": {"another long password"}}), http.StatusUnauthorized)
	wantStatus(t, c.hx("POST", fmt.Sprintf("/users/%d/deactivate", admin.ID), nil), http.StatusConflict)

	r = c.get("/users")
	if r.doc.Find("#users-rows tr").Length() != 2 {
		t.Fatalf("users table rows = %d, want 2", r.doc.Find("#users-rows tr").Length())
	}
	r = c.get("/audit")
	for _, action := range []string{"user.created", "user.updated", "user.password_reset", "user.deactivated", "profile.role_switched", "login.success"} {
		if !strings.Contains(r.body, action) {
			t.Errorf("audit log lacks %s", action)
		}
	}
}

func TestProfilePassword(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("ops", db.RoleOperator)
	c, other := h.client(), h.client()
	c.login("ops")
	other.login("ops")

	r := c.hx("POST", "/profile/password", url.Values{"current_password": {"nope"}, "new_password": {"a brand new password"}, "confirm_password": {"a brand new password"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.text("#f-current_password-error"), "not your current password") {
		t.Fatalf("no error beside current password:\n%s", r.body)
	}
	r = c.hx("POST", "/profile/password", url.Values{"current_password": {testPassword}, "new_password": {"a brand new password"}, "confirm_password": {"a brand new password"}})
	wantStatus(t, r, http.StatusOK)
	wantStatus(t, c.get("/profile"), http.StatusOK)           // this session stays
	wantStatus(t, other.get("/profile"), http.StatusSeeOther) // the other one ended

	r = c.hx("POST", "/profile/theme", url.Values{"theme": {"dark"}})
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Header.Get("HX-Trigger"), "themeChanged") {
		t.Fatalf("no themeChanged trigger: %v", r.Header)
	}
	if v, _ := c.get("/").doc.Find("html").Attr("data-theme-pref"); v != "dark" {
		t.Fatalf("theme after change = %q", v)
	}
}

func TestPagesAndErrors(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("admin", db.RoleAdmin)
	h.user("viewer", db.RoleViewer)
	c := h.client()
	c.login("admin")

	r := c.get("/no-such-page")
	wantStatus(t, r, http.StatusNotFound)
	if r.doc.Find("nav.navbar").Length() != 1 || !strings.Contains(r.text("h1"), "Not found") {
		t.Fatalf("404 is not a full error page:\n%.1000s", r.body)
	}
	wantStatus(t, c.get("/users/999999/edit"), http.StatusNotFound)

	v := h.client()
	v.login("viewer")
	r = v.hx("GET", "/settings/general/edit", nil)
	wantStatus(t, r, http.StatusForbidden)
	if r.Header.Get("HX-Retarget") != "#flash" || r.doc.Find("nav.navbar").Length() != 0 {
		t.Fatalf("htmx error should be a fragment for the flash area: %v\n%s", r.Header, r.body)
	}
	// The navbar shows what the role may open and nothing else.
	r = v.get("/")
	if r.doc.Find(`a[href="/settings"]`).Length() != 0 || r.doc.Find("#nav-admin").Length() != 0 {
		t.Fatal("viewer sees admin links")
	}
	r = c.get("/")
	for _, p := range []string{"/settings", "/users", "/audit"} {
		if r.doc.Find(fmt.Sprintf(`#navbar-main a[href=%q]`, p)).Length() != 1 {
			t.Errorf("admin navbar lacks %s", p)
		}
	}
	// Every integration has its section, and none says it is still to come.
	if b := c.get("/settings/integrations").body; strings.Contains(b, "once th") || !strings.Contains(b, "Autotask PSA") ||
		!strings.Contains(b, `id="settings-cove"`) || !strings.Contains(b, `id="settings-entra"`) || !strings.Contains(b, `id="settings-cloud-connect"`) {
		t.Fatal("integrations tab lacks Autotask, Cove, Entra or Cloud Connect, or says one is still to come")
	}
	// Static assets are embedded and served.
	for _, p := range []string{"/assets/vendor/htmx/htmx.min.js", "/assets/vendor/bootstrap/bootstrap.min.css", "/assets/app.js"} {
		wantStatus(t, c.get(p), http.StatusOK)
	}
}

func TestSessionExpiresWhenIdle(t *testing.T) {
	now := time.Now()
	// The River workers share this clock, so moving it must be race-free.
	var ahead atomic.Int64
	h := newHarness(t, Options{Now: func() time.Time { return now.Add(time.Duration(ahead.Load())) }})
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("ops")
	wantStatus(t, c.get("/profile"), http.StatusOK)
	ahead.Store(int64(3 * time.Hour))
	r := c.hx("GET", "/profile", nil)
	wantStatus(t, r, http.StatusUnauthorized)
	if !strings.HasPrefix(r.Header.Get("HX-Redirect"), "/login") {
		t.Fatalf("htmx request with an expired session: HX-Redirect = %q", r.Header.Get("HX-Redirect"))
	}
}
