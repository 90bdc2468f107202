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

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/db"
)

// Check is one step of Test configuration and what it found.
type Check struct {
	Name    string
	OK      bool
	Skipped bool // not run because an earlier step failed
	Message string
}

// Checks are the steps of one Test configuration.
type Checks []Check

// OK reports whether every step passed.
func (cs Checks) OK() bool {
	for _, c := range cs {
		if !c.OK {
			return false
		}
	}
	return len(cs) > 0
}

// Summary is a line for the settings page's "last test".
func (cs Checks) Summary() string {
	for _, c := range cs {
		if !c.OK && !c.Skipped {
			return "failed: " + c.Name + ": " + c.Message
		}
	}
	return "passed"
}

// TestConfiguration checks the saved settings against Entra: the public address the
// redirect URI comes from, the tenant's discovery document and signing keys, and the
// client ID and secret (by asking the tenant for an app-only token, which needs no
// permission). It says exactly which value is wrong. Nothing is saved.
func (e *Entra) TestConfiguration(ctx context.Context, s *db.EntraSettings, keys *secrets.Keyring, site Site) Checks {
	var out Checks
	add := func(name string, err error, ok string) bool {
		c := Check{Name: name, OK: err == nil, Message: ok}
		if err != nil {
			c.Message = err.Error()
		}
		out = append(out, c)
		return err == nil
	}
	skip := func(names ...string) Checks {
		for _, n := range names {
			out = append(out, Check{Name: n, Skipped: true, Message: "not checked: fix the step above first"})
		}
		return out
	}
	if p := site.Problem(); p != "" {
		add("Redirect URI", errors.New(p), "")
	} else {
		add("Redirect URI", nil, site.RedirectURI()+" (Entra must list it, and "+site.LogoutReturnURI()+" for sign-out, as Web redirect URIs; that cannot be checked from here)")
	}
	cfg, err := ConfigFrom(s, keys)
	if !add("Tenant ID", tenantProblem(s.TenantID), s.TenantID) {
		return skip("Discovery document", "Signing keys", "Client ID and secret")
	}
	e.forget(s.TenantID) // read it afresh
	tc, derr := e.tenant(ctx, s.TenantID)
	if derr != nil {
		var de *DiscoveryError
		if errors.As(derr, &de) && strings.Contains(de.Err.Error(), "AADSTS90002") {
			derr = fmt.Errorf("tenant %s does not exist in this Microsoft cloud: copy the Directory (tenant) ID from the app registration's Overview page (%v)", s.TenantID, de.Err)
		}
		add("Discovery document", derr, "")
		return skip("Signing keys", "Client ID and secret")
	}
	add("Discovery document", nil, e.Issuer(s.TenantID)+"/.well-known/openid-configuration")
	n, kerr := e.countKeys(ctx, tc)
	add("Signing keys", kerr, fmt.Sprintf("%d %s published", n, plural(n, "key", "keys")))
	switch {
	case err != nil:
		add("Client ID and secret", err, "")
	case cfg.ClientID == "":
		add("Client ID and secret", errors.New("enter the Application (client) ID"), "")
	case cfg.ClientSecret == "":
		add("Client ID and secret", errors.New("enter the client secret (its Value)"), "")
	default:
		add("Client ID and secret", e.checkClient(ctx, tc, cfg), "the tenant accepts client ID "+cfg.ClientID+" with this secret")
	}
	return out
}

func tenantProblem(tenant string) error {
	switch {
	case tenant == "":
		return errors.New("enter the Directory (tenant) ID")
	case !guidRE.MatchString(tenant):
		return fmt.Errorf("%q is not a tenant ID: use the Directory (tenant) ID GUID", tenant)
	}
	return nil
}

// forget drops a tenant's cached discovery document.
func (e *Entra) forget(tenant string) {
	e.mu.Lock()
	delete(e.tenants, tenant)
	e.mu.Unlock()
}

// countKeys reads the tenant's key set (jwks_uri).
func (e *Entra) countKeys(ctx context.Context, tc *tenantConfig) (int, error) {
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := tc.provider.Claims(&meta); err != nil || meta.JWKSURI == "" {
		return 0, errors.New("the discovery document names no jwks_uri")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, meta.JWKSURI, nil)
	if err != nil {
		return 0, err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("cannot read %s: %w", meta.JWKSURI, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s answered HTTP %d", meta.JWKSURI, resp.StatusCode)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return 0, fmt.Errorf("%s is no key set: %w", meta.JWKSURI, err)
	}
	if len(set.Keys) == 0 {
		return 0, fmt.Errorf("%s lists no keys", meta.JWKSURI)
	}
	return len(set.Keys), nil
}

// checkClient asks the token endpoint for an app-only Graph token with the client ID
// and secret: Entra answers it for any app registration whose secret is right, with
// no permission granted, and names what is wrong otherwise.
func (e *Entra) checkClient(ctx context.Context, tc *tenantConfig, cfg Config) error {
	cc := clientcredentials.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, TokenURL: tc.tokenURL,
		Scopes: []string{graphScope(e.graphURL)}, AuthStyle: oauth2.AuthStyleInParams}
	_, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, e.client))
	if err == nil {
		return nil
	}
	msg := exchangeText(err)
	switch {
	case strings.Contains(msg, "AADSTS7000215"):
		return fmt.Errorf("the client secret is wrong: paste the secret's Value, not its Secret ID (%s)", msg)
	case strings.Contains(msg, "AADSTS7000222"):
		return fmt.Errorf("the client secret has expired: create a new one under Certificates & secrets (%s)", msg)
	case strings.Contains(msg, "AADSTS700016"):
		return fmt.Errorf("tenant %s has no application with client ID %s: copy the Application (client) ID from the app registration's Overview page (%s)", cfg.TenantID, cfg.ClientID, msg)
	case strings.Contains(msg, "AADSTS7000112"):
		return fmt.Errorf("the application is disabled in Entra (%s)", msg)
	}
	return errors.New(msg)
}

// graphScope is the .default scope of the Graph host of graphURL.
func graphScope(graphURL string) string {
	if u, err := url.Parse(graphURL); err == nil && u.Host != "" {
		return u.Scheme + "://" + u.Host + "/.default"
	}
	return "https://graph.microsoft.com/.default"
}
