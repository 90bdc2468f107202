package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/db"
)

// craftedNext are post-login targets that leave the site or could once a browser or
// proxy has normalised them. Issue 11's probe: next=%2F%09%2Fevil.test answered
// Location: /\t/evil.test, which a browser reads as //evil.test.
var craftedNext = []string{
	"/\t/evil.test",
	"/%09/evil.test",
	"\t/evil.test",
	"/\r\n/evil.test",
	"/\n/evil.test",
	"/\r/evil.test",
	"//evil.test",
	"///evil.test",
	"//evil.test/profile",
	"/\\evil.test",
	"\\/evil.test",
	"/\\/evil.test",
	"/%5Cevil.test",
	"/%5cevil.test",
	"/%2F%2Fevil.test",
	"/%2f/evil.test",
	"/a//evil.test",
	"https://evil.test",
	"http:/evil.test",
	"HTTPS://evil.test/",
	"javascript:alert(1)",
	"JaVaScRiPt:alert(1)",
	"data:text/html,<script>alert(1)</script>",
	"evil.test",
	"%2F%2Fevil.test",
	"/ /evil.test",
	"/\u00a0/evil.test",                      // no-break space
	"/\u2028/evil.test",                      // line separator
	"/\u3000/evil.test",                      // ideographic space
	"/\u200b/evil.test",                      // zero-width space
	"/\ufeff/evil.test",                      // byte-order mark
	"/\u202e/tset.live/",                     // right-to-left override
	"/\x00/evil.test",                        // NUL
	"/profile\x00",                           // NUL at the end
	"/%00/evil.test",                         // encoded NUL
	"/\x7f/evil.test",                        // DEL
	"/\xff/evil.test",                        // invalid UTF-8
	"/profile#\t",                            // control character in the fragment
	"/profile?q=\n",                          // control character in the query
	"",                                       // nothing
	"/" + strings.Repeat("a", maxNextLength), // absurd length
}

func TestSecurityOpenRedirectSafeNext(t *testing.T) {
	for _, next := range craftedNext {
		if got := safeNext(next); got != "/" {
			t.Errorf("safeNext(%q) = %q, want /", next, got)
		}
	}
	for _, next := range []string{
		"/",
		"/profile",
		"/inbox/12",
		"/runchecks?q=nas%20backup&page=2",
		"/daily/3?date=2026-03-01",
		"/customers?q=http://acme.example", // a // in the query stays in the query
		"/jobs/5#history",
	} {
		if got := safeNext(next); got != next {
			t.Errorf("safeNext(%q) = %q, want it kept", next, got)
		}
	}
}

// TestSecurityOpenRedirectAfterLogin replays the crafted targets against the login
// page of a signed-in user (redirected at once), the login form, and the remembered
// page of an anonymous visitor.
func TestSecurityOpenRedirectAfterLogin(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("ops", db.RoleOperator)
	signedIn := h.client()
	signedIn.login("ops")

	for _, next := range craftedNext {
		// Input that is not UTF-8 or carries a NUL is refused before any handler (400, no
		// redirect at all); everything else is redirected home.
		refused := !utf8.ValidString(next) || strings.ContainsRune(next, 0)
		want := http.StatusSeeOther
		if refused {
			want = http.StatusBadRequest
		}
		r := signedIn.get("/login?next=" + url.QueryEscape(next))
		wantStatus(t, r, want)
		if loc := r.Header.Get("Location"); !refused && loc != "/" || refused && loc != "" {
			t.Errorf("signed in, GET /login?next=%q redirected to %q", next, loc)
		}

		anon := h.client()
		r = anon.get("/login?next=" + url.QueryEscape(next))
		if v, _ := r.doc.Find(`#login-form input[name="next"]`).Attr("value"); v != "" {
			t.Errorf("login form carries next=%q on for %q", v, next)
		}
		r = anon.post("/login", url.Values{"username": {"ops"}, "password": {testPassword}, "next": {next}})
		wantStatus(t, r, want)
		if loc := r.Header.Get("Location"); !refused && loc != "/" || refused && loc != "" {
			t.Errorf("POST /login with next=%q redirected to %q", next, loc)
		}
	}

	// A plain local page still works both ways.
	r := signedIn.get("/login?next=%2Fprofile")
	if loc := r.Header.Get("Location"); loc != "/profile" {
		t.Fatalf("signed in, next=/profile redirected to %q", loc)
	}
	anon := h.client()
	r = anon.get("/runchecks?q=nas%20backup")
	if loc := r.Header.Get("Location"); loc != "/login?next="+url.QueryEscape("/runchecks?q=nas%20backup") {
		t.Fatalf("anonymous /runchecks?q=… redirected to %q", loc)
	}
	r = anon.get(r.Header.Get("Location"))
	if v, _ := r.doc.Find(`#login-form input[name="next"]`).Attr("value"); v != "/runchecks?q=nas%20backup" {
		t.Fatalf("login form next = %q", v)
	}
	r = anon.post("/login", url.Values{"username": {"ops"}, "password": {testPassword}, "next": {"/runchecks?q=nas%20backup"}})
	if loc := r.Header.Get("Location"); loc != "/runchecks?q=nas%20backup" {
		t.Fatalf("after login redirected to %q", loc)
	}
}

// TestSecurityLoginThrottleUsernameVariantsHTTP replays issue 11's bypass through the
// login form: " victim" and "victim\t" each got five fresh guesses at the account.
func TestSecurityLoginThrottleUsernameVariantsHTTP(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("victim", db.RoleViewer)
	c := h.client()
	c.get("/login")
	variants := []string{" victim", "victim\t", "VICTIM", "Victim ", "\nvictim"}
	for _, name := range variants[:auth.DefaultThrottle.PerAccount] {
		wantStatus(t, c.post("/login", url.Values{"username": {name}, "password": {"guess guess guess"}}), http.StatusUnauthorized)
	}
	for _, name := range append(variants, "victim") {
		r := c.post("/login", url.Values{"username": {name}, "password": {testPassword}})
		wantStatus(t, r, http.StatusTooManyRequests)
	}
}
