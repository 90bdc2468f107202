package sso

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Identity is who Entra signed in, read from a verified ID token.
type Identity struct {
	TenantID          string // tid
	ObjectID          string // oid: the account's id in the tenant, kept across renames
	PreferredUsername string
	UPN               string
	Email             string
	Name              string
	LoginHint         string
	Groups            []string // object IDs, lower case
	GroupsClaim       bool     // the token has a groups claim (possibly empty)
	GroupsOverage     bool     // the groups did not fit in the token (_claim_names / hasgroups)
}

// SignInName is the name the account signs in with: preferred_username, else upn,
// else email.
func (id Identity) SignInName() string {
	for _, n := range []string{id.PreferredUsername, id.UPN, id.Email} {
		if n = strings.TrimSpace(n); n != "" {
			return n
		}
	}
	return ""
}

// names are the distinct names a local user may be matched by (lower case): first
// the sign-in names (preferred_username, upn), then the email claim.
func (id Identity) names() (signIn []string, email string) {
	for _, n := range []string{id.PreferredUsername, id.UPN} {
		n = strings.ToLower(strings.TrimSpace(n))
		if n != "" && !slices.Contains(signIn, n) {
			signIn = append(signIn, n)
		}
	}
	return signIn, strings.ToLower(strings.TrimSpace(id.Email))
}

// idClaims are the claims read from an Entra v2.0 ID token.
type idClaims struct {
	TID               string            `json:"tid"`
	OID               string            `json:"oid"`
	PreferredUsername string            `json:"preferred_username"`
	UPN               string            `json:"upn"`
	Email             string            `json:"email"`
	Name              string            `json:"name"`
	LoginHint         string            `json:"login_hint"`
	Groups            json.RawMessage   `json:"groups"`
	HasGroups         bool              `json:"hasgroups"`
	ClaimNames        map[string]string `json:"_claim_names"`
}

// maxClaim bounds a claim's length: an ID token is small; longer is not Entra's.
const maxClaim = 1000

// verifyIDToken checks the token's signature against the tenant's key set, its issuer,
// audience (the client ID), expiry and nonce, and reads the identity from it.
func (e *Entra) verifyIDToken(ctx context.Context, tc *tenantConfig, clientID, raw, nonce string) (Identity, error) {
	if raw == "" {
		return Identity{}, errors.New("the token answer has no ID token")
	}
	// Verifier (not VerifierContext, which makes a new key set each time): the
	// provider's one key set, cached and read again only for a key it does not know.
	v := tc.provider.Verifier(&oidc.Config{ClientID: clientID, Now: e.now,
		SupportedSigningAlgs: []string{oidc.RS256}})
	tok, err := v.Verify(ctx, raw)
	if err != nil {
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return Identity{}, fmt.Errorf("the ID token expired at %s", expired.Expiry.UTC().Format("2006-01-02 15:04:05 UTC"))
		}
		return Identity{}, err
	}
	if nonce == "" || subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(nonce)) != 1 {
		return Identity{}, errors.New("the ID token's nonce is not the one this sign-in sent")
	}
	var c idClaims
	if err := tok.Claims(&c); err != nil {
		return Identity{}, fmt.Errorf("read the ID token's claims: %w", err)
	}
	id := Identity{TenantID: strings.ToLower(c.TID), ObjectID: strings.ToLower(c.OID), PreferredUsername: c.PreferredUsername,
		UPN: c.UPN, Email: c.Email, Name: c.Name, LoginHint: c.LoginHint}
	for _, s := range []string{id.TenantID, id.ObjectID, id.PreferredUsername, id.UPN, id.Email, id.Name, id.LoginHint} {
		if len(s) > maxClaim {
			return Identity{}, errors.New("the ID token has a claim longer than Entra writes")
		}
	}
	if id.TenantID == "" || id.ObjectID == "" {
		return Identity{}, errors.New("the ID token has no tid or oid claim (is this a work or school account?)")
	}
	if _, ok := c.ClaimNames["groups"]; ok || c.HasGroups {
		id.GroupsOverage = true
	}
	if len(c.Groups) > 0 && string(c.Groups) != "null" {
		if err := json.Unmarshal(c.Groups, &id.Groups); err != nil {
			return Identity{}, errors.New("the ID token's groups claim is not a list of group IDs")
		}
		id.GroupsClaim = true
		for i, g := range id.Groups {
			id.Groups[i] = strings.ToLower(g)
		}
	}
	return id, nil
}
