package sso

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/markbates/goth/providers/openidConnect"
	"github.com/uptrace/bun"
	"golang.org/x/oauth2"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/db"
)

// Sign-ins under way: how long one may take, and how many one address may have open
// (each GET /auth/entra/login writes a row, and anyone may call it).
const (
	FlowLifetime = 10 * time.Minute
	maxOpenPerIP = 30
)

// Started is a sign-in sent to Entra: the browser goes to AuthURL, and keeps Browser
// in a cookie that the callback must bring back (the state alone is in the URL, which
// an attacker could hand to a victim).
type Started struct {
	AuthURL string
	Browser string
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// Begin starts a sign-in: it reads the tenant's discovery document, stores the state,
// nonce and PKCE verifier in the database and returns where to send the browser.
// next is where to go after signing in (already checked to be a local path).
func (e *Entra) Begin(ctx context.Context, idb bun.IDB, keys *secrets.Keyring, site Site, next, ip string) (*Started, error) {
	s, err := LoadSettings(ctx, idb)
	if err != nil {
		return nil, err
	}
	cfg, err := ConfigFrom(s, keys)
	switch {
	case !s.Enabled:
		return nil, disabledRefusal()
	case err != nil:
		return nil, configRefusal(err.Error())
	case cfg.incomplete() != "":
		return nil, configRefusal(cfg.incomplete())
	case site.Problem() != "":
		return nil, configRefusal(site.Problem())
	}
	now := e.now()
	// Forget sign-ins that were never completed, then count this address's open ones.
	if _, err := idb.NewDelete().Model((*db.EntraLogin)(nil)).Where("expires_at <= ?", now).Exec(ctx); err != nil {
		return nil, fmt.Errorf("sso: delete expired sign-ins: %w", err)
	}
	open, err := idb.NewSelect().Model((*db.EntraLogin)(nil)).Where("ip = ?", ip).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("sso: count sign-ins: %w", err)
	}
	if open >= maxOpenPerIP {
		return nil, refuse(GateBusy, "Too many sign-ins at once",
			fmt.Sprintf("More than %d sign-ins were started from your address in the last %d minutes and not completed.", maxOpenPerIP, int(FlowLifetime.Minutes())),
			"Wait a few minutes, then sign in once. If many people share your address, an admin can check that TRUSTED_PROXIES names the proxy so each person's own address counts.").
			status(429)
	}
	tc, err := e.tenant(ctx, cfg.TenantID)
	if err != nil {
		return nil, configRefusal(err.Error()).status(502)
	}
	p, err := e.gothProvider(tc, cfg, site.RedirectURI())
	if err != nil {
		return nil, err
	}
	state, nonce, browser, verifier := random(), random(), random(), oauth2.GenerateVerifier()
	// Per sign-in parameters: the provider is made for this request alone.
	p.SetAuthCodeOptions(map[string]string{
		"nonce":                 nonce,
		"code_challenge":        oauth2.S256ChallengeFromVerifier(verifier),
		"code_challenge_method": "S256",
		"response_mode":         "query",
	})
	sess, err := p.BeginAuth(state)
	if err != nil {
		return nil, fmt.Errorf("sso: begin: %w", err)
	}
	authURL, err := sess.GetAuthURL()
	if err != nil {
		return nil, fmt.Errorf("sso: begin: %w", err)
	}
	row := &db.EntraLogin{StateHash: hash(state), BrowserHash: hash(browser), GothSession: sess.Marshal(),
		Nonce: nonce, CodeVerifier: verifier, Next: next, IP: ip, CreatedAt: now, ExpiresAt: now.Add(FlowLifetime)}
	if _, err := idb.NewInsert().Model(row).Exec(ctx); err != nil {
		return nil, fmt.Errorf("sso: store sign-in: %w", err)
	}
	return &Started{AuthURL: authURL, Browser: browser}, nil
}

// CallbackParams are what Entra sends back to the redirect URI.
type CallbackParams struct {
	State            string
	Code             string
	Error            string
	ErrorDescription string
}

// SignedIn is a completed sign-in: the local user, who Entra said it is, and where
// to go next.
type SignedIn struct {
	User     *db.User
	Identity Identity
	Next     string
}

// Complete finishes a sign-in at the callback: it takes the stored sign-in for the
// state (once: a replayed callback finds none), checks that the same browser started
// it, exchanges the code with the PKCE verifier, verifies the ID token, applies the
// gates and finds, links or creates the local user. Every outcome is audited; a
// refusal is a *Refusal.
func (e *Entra) Complete(ctx context.Context, bdb *bun.DB, keys *secrets.Keyring, site Site, p CallbackParams, browser, ip string) (*SignedIn, error) {
	res, err := e.complete(ctx, bdb, keys, site, p, browser, ip)
	var r *Refusal
	if errors.As(err, &r) {
		name := r.User
		if name == "" {
			name = "entra"
		}
		target := ""
		if r.User != "" {
			target = "user:" + r.User
		}
		if aerr := audit.Record(ctx, bdb, audit.Actor{Name: name, IP: ip}, audit.LoginFailure, target,
			map[string]any{"method": "entra", "gate": r.Gate, "reason": r.Detail}); aerr != nil {
			return nil, aerr
		}
	}
	return res, err
}

func (e *Entra) complete(ctx context.Context, bdb *bun.DB, keys *secrets.Keyring, site Site, p CallbackParams, browser, ip string) (*SignedIn, error) {
	s, err := LoadSettings(ctx, bdb)
	if err != nil {
		return nil, err
	}
	login, err := e.takeLogin(ctx, bdb, p.State, browser)
	if err != nil {
		return nil, err
	}
	cfg, err := ConfigFrom(s, keys)
	switch {
	case !s.Enabled:
		return nil, disabledRefusal()
	case err != nil:
		return nil, configRefusal(err.Error())
	case cfg.incomplete() != "":
		return nil, configRefusal(cfg.incomplete())
	case p.Error != "":
		return nil, entraRefusal(p.Error, p.ErrorDescription, site)
	case p.Code == "":
		return nil, entraRefusal("invalid_request", "the answer from Microsoft has neither a code nor an error", site)
	}
	tc, err := e.tenant(ctx, cfg.TenantID)
	if err != nil {
		return nil, configRefusal(err.Error()).status(502)
	}
	gp, err := e.gothProvider(tc, cfg, site.RedirectURI())
	if err != nil {
		return nil, err
	}
	sess, err := gp.UnmarshalSession(login.GothSession)
	if err != nil {
		return nil, fmt.Errorf("sso: stored sign-in: %w", err)
	}
	// goth exchanges the code; code_verifier completes PKCE.
	if _, err := sess.Authorize(gp, url.Values{"code": {p.Code}, "code_verifier": {login.CodeVerifier}}); err != nil {
		return nil, exchangeRefusal(exchangeText(err))
	}
	gs, ok := sess.(*openidConnect.Session)
	if !ok {
		return nil, fmt.Errorf("sso: goth session of type %T", sess)
	}
	id, err := e.verifyIDToken(ctx, tc, cfg.ClientID, gs.IDToken, login.Nonce)
	if err != nil {
		return nil, tokenRefusal(err.Error())
	}
	if r := checkGates(cfg, id); r != nil {
		r.User = id.SignInName()
		return nil, r
	}
	user, err := signIn(ctx, bdb, cfg, id, ip, e.now())
	if err != nil {
		var r *Refusal
		if errors.As(err, &r) && r.User == "" {
			r.User = id.SignInName()
		}
		return nil, err
	}
	return &SignedIn{User: user, Identity: id, Next: login.Next}, nil
}

// exchangeText is the token endpoint's refusal in Entra's words, or the error.
func exchangeText(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if msg := entraErrorText(re.Body); msg != "" {
			return msg
		}
		if re.Response != nil {
			return fmt.Sprintf("the token endpoint answered HTTP %d", re.Response.StatusCode)
		}
	}
	return err.Error()
}

// takeLogin deletes and returns the sign-in under way for state that this browser
// started, if it has not expired: each is used once. One started by another browser is
// left alone (a state seen by someone else cannot be spent on the victim's behalf).
func (e *Entra) takeLogin(ctx context.Context, idb bun.IDB, state, browser string) (*db.EntraLogin, error) {
	if state == "" || browser == "" {
		return nil, stateRefusal("no state in the callback or no sign-in cookie")
	}
	login := new(db.EntraLogin)
	err := idb.NewDelete().Model(login).Where("state_hash = ? AND browser_hash = ?", hash(state), hash(browser)).
		Returning("*").Scan(ctx)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, stateRefusal("unknown or already used state, or one started in another browser")
	case err != nil:
		return nil, fmt.Errorf("sso: take sign-in: %w", err)
	case !e.now().Before(login.ExpiresAt):
		return nil, stateRefusal("the sign-in started at " + login.CreatedAt.UTC().Format(time.RFC3339) + " expired")
	}
	return login, nil
}
