package sso

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/db"
)

// RememberSession marks the session (by its token hash) as begun with Entra, so that
// logging out continues to Entra's sign-out.
func RememberSession(ctx context.Context, idb bun.IDB, tokenHash []byte, id Identity) error {
	s := &db.EntraSession{TokenHash: tokenHash, TenantID: id.TenantID, LoginHint: id.LoginHint}
	if _, err := idb.NewInsert().Model(s).Exec(ctx); err != nil {
		return fmt.Errorf("sso: remember session: %w", err)
	}
	return nil
}

// SessionOf returns the Entra side of a session, or nil when it began with a password.
func SessionOf(ctx context.Context, idb bun.IDB, tokenHash []byte) (*db.EntraSession, error) {
	s := new(db.EntraSession)
	err := idb.NewSelect().Model(s).Where("token_hash = ?", tokenHash).Scan(ctx)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sso: session: %w", err)
	}
	return s, nil
}

// EndSessionURL is Entra's sign-out for the session's tenant, returning to returnTo
// (which the app registration must list as a redirect URI).
func (e *Entra) EndSessionURL(ctx context.Context, s *db.EntraSession, returnTo string) (string, error) {
	tc, err := e.tenant(ctx, s.TenantID)
	if err != nil {
		return "", err
	}
	if tc.endSession == "" {
		return "", errors.New("sso: the tenant's OpenID configuration names no end_session_endpoint")
	}
	u, err := url.Parse(tc.endSession)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("sso: end_session_endpoint %q is no web address", tc.endSession)
	}
	q := u.Query()
	q.Set("post_logout_redirect_uri", returnTo)
	if s.LoginHint != "" {
		q.Set("logout_hint", s.LoginHint) // signs out this account without asking which
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// LocalSignInAllowed is the rule for password sign-in: once sign-in with Entra is on
// with "local sign-in for admins only", only admins (the break-glass accounts) may
// sign in with a password.
func LocalSignInAllowed(s *db.EntraSettings) func(*db.User) error {
	return func(u *db.User) error {
		if s != nil && s.Enabled && s.LocalAdminsOnly && !u.HasRole(db.RoleAdmin) {
			return ErrLocalAdminsOnly
		}
		return nil
	}
}

// ErrLocalAdminsOnly refuses a password sign-in of a non-admin while sign-in with Entra
// is the way in.
var ErrLocalAdminsOnly = errors.New("password sign-in is for admins only; sign in with Microsoft")
