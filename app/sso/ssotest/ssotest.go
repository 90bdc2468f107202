// Package ssotest is a Microsoft Entra ID stand-in for tests: an OpenID provider on a
// loopback httptest server that speaks the real protocol (tenant discovery document,
// JWKS with rotating keys, the authorize endpoint, a token endpoint that checks the
// client secret and PKCE and issues RS256-signed ID tokens with the claims a test
// chooses, client credentials, and the sign-out endpoint). Its URL stands for
// https://login.microsoftonline.com.
package ssotest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Account is who signs in at the provider, and so the claims of the ID token.
type Account struct {
	OID               string
	TenantID          string // the tid claim; "" is the provider's tenant
	PreferredUsername string
	UPN               string // the optional upn claim
	Email             string
	Name              string
	LoginHint         string
	Groups            []string
	NoGroupsClaim     bool // the token carries no groups claim at all
	GroupsOverage     bool // too many groups: _claim_names/_claim_sources instead of groups
}

// Logout is one request the sign-out endpoint received.
type Logout struct {
	PostLogoutRedirectURI string
	LogoutHint            string
}

// Provider is the fake Entra ID of one tenant and one app registration.
type Provider struct {
	t      testing.TB
	Server *httptest.Server

	Tenant       string
	ClientID     string
	ClientSecret string

	mu           sync.Mutex
	redirectURIs []string
	keys         []signingKey // published in the JWKS; the last one signs
	account      Account
	interactive  bool
	authError    *[2]string // the next authorize answers with this error and description
	codes        map[string]grant
	claimsHook   func(claims map[string]any)
	tokenHook    func(idToken string) string
	now          func() time.Time
	jwksFetches  int
	authorizes   []url.Values
	logouts      []Logout
}

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

type grant struct {
	account     Account
	clientID    string
	redirectURI string
	challenge   string
	nonce       string
}

// New starts a provider for tenant with one app registration (clientID, secret).
func New(t testing.TB, tenant, clientID, secret string) *Provider {
	t.Helper()
	p := &Provider{t: t, Tenant: tenant, ClientID: clientID, ClientSecret: secret,
		codes: map[string]grant{}, now: time.Now}
	p.RotateKey(false)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /{tenant}/discovery/v2.0/keys", p.jwks)
	mux.HandleFunc("/{tenant}/oauth2/v2.0/authorize", p.authorize)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", p.token)
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/logout", p.logout)
	p.Server = httptest.NewServer(mux)
	t.Cleanup(p.Server.Close)
	return p
}

// URL is the authority (what https://login.microsoftonline.com is in production).
func (p *Provider) URL() string { return p.Server.URL }

// Issuer is the tenant's issuer, as in its discovery document and its ID tokens.
func (p *Provider) Issuer() string { return p.Server.URL + "/" + p.Tenant + "/v2.0" }

// AllowRedirectURI registers a redirect URI of the app registration.
func (p *Provider) AllowRedirectURI(uri string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.redirectURIs = append(p.redirectURIs, uri)
}

// SignInAs makes a the account that signs in at every following authorize request.
func (p *Provider) SignInAs(a Account) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.account = a
}

// Interactive makes the authorize endpoint show a sign-in page with a button
// (#op-sign-in) instead of answering at once, as Microsoft's sign-in page does.
func (p *Provider) Interactive(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.interactive = on
}

// FailNextAuthorize makes the next authorize request answer with an OAuth error.
func (p *Provider) FailNextAuthorize(code, description string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.authError = &[2]string{code, description}
}

// SetClock sets the provider's clock (iat, nbf, exp of the tokens).
func (p *Provider) SetClock(now func() time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.now = now
}

// EditClaims lets a test change the claims of every following ID token before it is
// signed (nil: none).
func (p *Provider) EditClaims(f func(claims map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.claimsHook = f
}

// EditToken lets a test change every following ID token after it is signed, as an
// attacker between the provider and the app would (nil: none).
func (p *Provider) EditToken(f func(idToken string) string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokenHook = f
}

// RotateKey adds a new signing key, which signs from now on; dropOld removes the
// keys before it from the JWKS (a completed rollover).
func (p *Provider) RotateKey(dropOld bool) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	sk := signingKey{id: randomString(8), key: k}
	if dropOld {
		p.keys = nil
	}
	p.keys = append(p.keys, sk)
}

// JWKSFetches counts how often the key set was read.
func (p *Provider) JWKSFetches() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.jwksFetches
}

// Authorizations returns the query of every authorize request received.
func (p *Provider) Authorizations() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.authorizes)
}

// Logouts returns the sign-out requests received.
func (p *Provider) Logouts() []Logout {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.logouts)
}

// Sign signs claims with the current key, as the token endpoint does (for tests that
// need a token of their own making).
func (p *Provider) Sign(claims map[string]any) string {
	p.mu.Lock()
	k := p.keys[len(p.keys)-1]
	p.mu.Unlock()
	return SignWith(p.t, k.key, k.id, claims)
}

// SignWith signs claims with key (kid names it in the header).
func SignWith(t testing.TB, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// entraError answers as Entra's endpoints do when they refuse.
func entraError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": code, "error_description": description,
		"error_codes": []int{}, "timestamp": time.Now().UTC().Format("2006-01-02 15:04:05Z")})
}

func (p *Provider) knownTenant(w http.ResponseWriter, r *http.Request) bool {
	if t := r.PathValue("tenant"); !strings.EqualFold(t, p.Tenant) {
		entraError(w, http.StatusBadRequest, "invalid_tenant",
			fmt.Sprintf("AADSTS90002: Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", t))
		return false
	}
	return true
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	if !p.knownTenant(w, r) {
		return
	}
	base := p.Server.URL + "/" + p.Tenant
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer":                                p.Issuer(),
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"userinfo_endpoint":                     p.Server.URL + "/oidc/userinfo",
		"response_types_supported":              []string{"code", "id_token", "code id_token"},
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"claims_supported": []string{"sub", "iss", "aud", "exp", "iat", "nonce", "name", "preferred_username",
			"email", "oid", "tid", "upn", "groups", "login_hint"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	if !p.knownTenant(w, r) {
		return
	}
	p.mu.Lock()
	p.jwksFetches++
	var set jose.JSONWebKeySet
	for _, k := range p.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.key.PublicKey, KeyID: k.id, Algorithm: "RS256", Use: "sig"})
	}
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(set)
}

var signInPage = template.Must(template.New("").Parse(`<!DOCTYPE html>
<html lang="en"><head><title>Sign in to your account</title></head>
<body><h1>Sign in</h1><p id="op-account">{{.Account}}</p>
<form method="post" action="{{.Action}}">
{{range $k, $v := .Params}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
<button type="submit" id="op-sign-in">Sign in</button></form></body></html>`))

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	if !p.knownTenant(w, r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	q := r.Form
	p.mu.Lock()
	if r.Method == http.MethodGet {
		p.authorizes = append(p.authorizes, maps.Clone(q))
	}
	interactive, registered, account := p.interactive, slices.Contains(p.redirectURIs, q.Get("redirect_uri")), p.account
	p.mu.Unlock()

	// What Entra shows on its own page (it never redirects to an unregistered URI).
	switch {
	case q.Get("client_id") != p.ClientID:
		http.Error(w, fmt.Sprintf("AADSTS700016: Application with identifier '%s' was not found in the directory.", q.Get("client_id")), http.StatusBadRequest)
		return
	case !registered:
		http.Error(w, fmt.Sprintf("AADSTS50011: The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application.", q.Get("redirect_uri")), http.StatusBadRequest)
		return
	}
	back, _ := url.Parse(q.Get("redirect_uri"))
	reply := func(v url.Values) {
		v.Set("state", q.Get("state"))
		back.RawQuery = v.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	}
	p.mu.Lock()
	authErr := p.authError
	p.authError = nil
	p.mu.Unlock()
	switch {
	case authErr != nil:
		reply(url.Values{"error": {authErr[0]}, "error_description": {authErr[1]}})
		return
	case q.Get("response_type") != "code" || !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		reply(url.Values{"error": {"unsupported_response_type"}, "error_description": {"AADSTS700054: response_type 'code' with scope openid is required here."}})
		return
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		// Entra does not insist on PKCE for a web app; this stand-in does, to prove the
		// app sends it.
		reply(url.Values{"error": {"invalid_request"}, "error_description": {"AADSTS501491: PKCE (code_challenge with S256) is required by this test provider."}})
		return
	case q.Get("nonce") == "":
		reply(url.Values{"error": {"invalid_request"}, "error_description": {"AADSTS90014: The request must contain a nonce."}})
		return
	}
	if interactive && r.Method == http.MethodGet {
		params := map[string]string{}
		for k := range q {
			params[k] = q.Get(k)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = signInPage.Execute(w, map[string]any{"Account": account.PreferredUsername, "Action": r.URL.Path, "Params": params})
		return
	}
	code := randomString(24)
	p.mu.Lock()
	p.codes[code] = grant{account: account, clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"),
		challenge: q.Get("code_challenge"), nonce: q.Get("nonce")}
	p.mu.Unlock()
	reply(url.Values{"code": {code}, "session_state": {randomString(12)}})
}

// clientAuth reads the client credentials from the body (client_secret_post) or the
// Authorization header (client_secret_basic).
func clientAuth(r *http.Request) (id, secret string) {
	if id, secret, ok := r.BasicAuth(); ok {
		uid, _ := url.QueryUnescape(id)
		usecret, _ := url.QueryUnescape(secret)
		return uid, usecret
	}
	return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if !p.knownTenant(w, r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		entraError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	id, secret := clientAuth(r)
	switch {
	case id != p.ClientID:
		entraError(w, http.StatusBadRequest, "unauthorized_client",
			fmt.Sprintf("AADSTS700016: Application with identifier '%s' was not found in the directory '%s'.", id, p.Tenant))
		return
	case subtle.ConstantTimeCompare([]byte(secret), []byte(p.ClientSecret)) != 1:
		entraError(w, http.StatusUnauthorized, "invalid_client",
			"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.")
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
		if !strings.HasSuffix(r.PostForm.Get("scope"), "/.default") {
			entraError(w, http.StatusBadRequest, "invalid_scope", "AADSTS1002012: The provided value for scope is not valid.")
			return
		}
		writeJSON(w, map[string]any{"token_type": "Bearer", "expires_in": 3599, "access_token": randomString(32)})
	case "authorization_code":
		p.codeGrant(w, r)
	default:
		entraError(w, http.StatusBadRequest, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
	}
}

func (p *Provider) codeGrant(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	g, ok := p.codes[r.PostForm.Get("code")]
	delete(p.codes, r.PostForm.Get("code")) // a code is used once
	now, hook, tokenHook := p.now(), p.claimsHook, p.tokenHook
	p.mu.Unlock()
	verifier := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case !ok:
		entraError(w, http.StatusBadRequest, "invalid_grant", "AADSTS70008: The provided authorization code or refresh token has expired or was already used.")
		return
	case r.PostForm.Get("redirect_uri") != g.redirectURI:
		entraError(w, http.StatusBadRequest, "invalid_grant", "AADSTS50011: The redirect URI does not match the one of the authorization request.")
		return
	case base64.RawURLEncoding.EncodeToString(verifier[:]) != g.challenge:
		entraError(w, http.StatusBadRequest, "invalid_grant", "AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request.")
		return
	}
	a := g.account
	tid := a.TenantID
	if tid == "" {
		tid = p.Tenant
	}
	claims := map[string]any{
		"ver": "2.0", "iss": p.Issuer(), "aud": g.clientID, "sub": "sub-" + a.OID,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"nonce": g.nonce, "tid": tid, "oid": a.OID, "name": a.Name,
		"preferred_username": a.PreferredUsername,
	}
	for k, v := range map[string]string{"upn": a.UPN, "email": a.Email, "login_hint": a.LoginHint} {
		if v != "" {
			claims[k] = v
		}
	}
	switch {
	case a.GroupsOverage:
		claims["_claim_names"] = map[string]any{"groups": "src1"}
		claims["_claim_sources"] = map[string]any{"src1": map[string]any{
			"endpoint": "https://graph.windows.net/" + tid + "/users/" + a.OID + "/getMemberObjects"}}
	case !a.NoGroupsClaim:
		claims["groups"] = append([]string{}, a.Groups...)
	}
	if hook != nil {
		hook(claims)
	}
	idToken := p.Sign(claims)
	if tokenHook != nil {
		idToken = tokenHook(idToken)
	}
	writeJSON(w, map[string]any{"token_type": "Bearer", "scope": "openid profile email", "expires_in": 3599,
		"access_token": randomString(32), "id_token": idToken})
}

func (p *Provider) logout(w http.ResponseWriter, r *http.Request) {
	if !p.knownTenant(w, r) {
		return
	}
	q := r.URL.Query()
	p.mu.Lock()
	p.logouts = append(p.logouts, Logout{PostLogoutRedirectURI: q.Get("post_logout_redirect_uri"), LogoutHint: q.Get("logout_hint")})
	registered := slices.Contains(p.redirectURIs, q.Get("post_logout_redirect_uri"))
	p.mu.Unlock()
	if registered {
		http.Redirect(w, r, q.Get("post_logout_redirect_uri"), http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(`<!DOCTYPE html><title>Signed out</title><p id="op-signed-out">You signed out of your account.</p>`))
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
