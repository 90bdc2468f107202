// Package sso signs users in with Microsoft Entra ID: the authorization-code flow with
// PKCE, state and nonce (state kept in Postgres, so login and callback may reach
// different replicas), ID-token verification against the tenant's keys, the tenant,
// domain and group gates, mapping to local users (and provisioning them), the
// settings, and sign-out at Entra.
//
// goth's openidConnect provider, configured from the tenant's discovery document,
// builds the authorize URL and exchanges the code (passing the PKCE verifier). It does
// not verify the ID token's signature and has no nonce, so the token is verified here
// with go-oidc against the tenant's JWKS (signature, issuer, audience, expiry) and the
// nonce is compared with the one stored at the start. goth's azureadv2 provider fits
// less: its endpoints are fixed to the global cloud, it sends no PKCE verifier, and it
// reads the user from Graph instead of an ID token (so no groups, tid or nonce).
package sso

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/markbates/goth/providers/openidConnect"
)

// DefaultAuthority is Microsoft Entra ID's sign-in host in the global cloud.
const DefaultAuthority = "https://login.microsoftonline.com"

// discoveryTTL is how long a tenant's discovery document (and its key set, which also
// refreshes itself when a token names a key it does not know) is reused.
const discoveryTTL = time.Hour

// Options configure an Entra.
type Options struct {
	Authority  string       // sign-in host; "" is DefaultAuthority (GRAPH_LOGIN_URL for other clouds)
	GraphURL   string       // Microsoft Graph, for the scope of the credentials test; "" is the global one
	HTTPClient *http.Client // nil: a client with a 20 s timeout
	Now        func() time.Time
}

// Entra talks to Microsoft Entra ID for sign-in. One per process; safe for concurrent use.
type Entra struct {
	authority string
	graphURL  string
	client    *http.Client
	now       func() time.Time

	mu      sync.Mutex
	tenants map[string]*tenantConfig
}

// New returns an Entra for the options.
func New(o Options) *Entra {
	e := &Entra{authority: strings.TrimSuffix(o.Authority, "/"), graphURL: o.GraphURL, client: o.HTTPClient, now: o.Now,
		tenants: map[string]*tenantConfig{}}
	if e.authority == "" {
		e.authority = DefaultAuthority
	}
	if e.graphURL == "" {
		e.graphURL = "https://graph.microsoft.com/v1.0"
	}
	if e.client == nil {
		e.client = &http.Client{Timeout: 20 * time.Second}
	}
	if e.now == nil {
		e.now = time.Now
	}
	return e
}

// Issuer is the issuer of the tenant's v2.0 tokens.
func (e *Entra) Issuer(tenant string) string {
	return e.authority + "/" + url.PathEscape(tenant) + "/v2.0"
}

// tenantConfig is what a tenant's discovery document says, with the verifier's key set.
type tenantConfig struct {
	provider   *oidc.Provider
	authURL    string
	tokenURL   string
	endSession string
	fetched    time.Time
}

// DiscoveryError is a tenant's OpenID configuration that could not be read.
type DiscoveryError struct {
	URL string
	Err error
}

func (e *DiscoveryError) Error() string {
	return fmt.Sprintf("could not read the tenant's OpenID configuration at %s: %v", e.URL, e.Err)
}

func (e *DiscoveryError) Unwrap() error { return e.Err }

// tenant returns the tenant's configuration, from the cache while it is fresh.
func (e *Entra) tenant(ctx context.Context, tenant string) (*tenantConfig, error) {
	e.mu.Lock()
	tc := e.tenants[tenant]
	e.mu.Unlock()
	if tc != nil && e.now().Sub(tc.fetched) < discoveryTTL && e.now().After(tc.fetched.Add(-time.Minute)) {
		return tc, nil
	}
	issuer := e.Issuer(tenant)
	wellKnown := issuer + "/.well-known/openid-configuration"
	// Read once ourselves first: Entra's refusal ("AADSTS90002: Tenant … not found") is in
	// the body, which go-oidc reports only as a status.
	if err := e.probe(ctx, wellKnown); err != nil {
		return nil, &DiscoveryError{URL: wellKnown, Err: err}
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, e.client), issuer)
	if err != nil {
		var mismatch *oidc.IssuerMismatchError
		if errors.As(err, &mismatch) {
			err = fmt.Errorf("it names the issuer %q instead of %q (is the tenant ID the Directory (tenant) ID GUID?)", mismatch.Discovered, mismatch.Provided)
		}
		return nil, &DiscoveryError{URL: wellKnown, Err: err}
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
	}
	_ = p.Claims(&extra)
	ep := p.Endpoint()
	if ep.AuthURL == "" || ep.TokenURL == "" {
		return nil, &DiscoveryError{URL: wellKnown, Err: errors.New("it names no authorization or token endpoint")}
	}
	tc = &tenantConfig{provider: p, authURL: ep.AuthURL, tokenURL: ep.TokenURL, endSession: extra.EndSession, fetched: e.now()}
	e.mu.Lock()
	e.tenants[tenant] = tc
	e.mu.Unlock()
	return tc, nil
}

// probe GETs a discovery URL and turns a refusal into Entra's own words.
func (e *Entra) probe(ctx context.Context, target string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach it: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	if msg := entraErrorText(body); msg != "" {
		return errors.New(msg)
	}
	return fmt.Errorf("HTTP %d", resp.StatusCode)
}

// entraErrorText is the first line of an Entra error answer ({"error", "error_description"}).
func entraErrorText(body []byte) string {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == "" {
		return ""
	}
	desc, _, _ := strings.Cut(e.Description, "\n")
	desc = strings.TrimSpace(desc)
	if len(desc) > 400 {
		desc = desc[:400] + "…"
	}
	return e.Error + ": " + desc
}

// scopes asked for at sign-in: the ID token with the user's names and email. Groups
// come as a claim configured on the app registration, not as a scope.
var scopes = []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail}

// gothProvider is goth's OpenID Connect provider for the tenant's endpoints (from the
// discovery document already read; goth's own discovery would read it again).
func (e *Entra) gothProvider(tc *tenantConfig, cfg Config, redirectURI string) (*openidConnect.Provider, error) {
	p, err := openidConnect.NewCustomisedURL(cfg.ClientID, cfg.ClientSecret, redirectURI,
		tc.authURL, tc.tokenURL, e.Issuer(cfg.TenantID), "", tc.endSession, scopes...)
	if err != nil {
		return nil, fmt.Errorf("sso: goth provider: %w", err)
	}
	p.SetName("entra")
	p.HTTPClient = e.client
	p.SkipUserInfoRequest = true // every claim needed is in the verified ID token
	return p, nil
}
