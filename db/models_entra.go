package db

import (
	"time"

	"github.com/uptrace/bun"
)

// EntraSettings is the single row of the Entra sign-in configuration.
type EntraSettings struct {
	bun.BaseModel `bun:"table:entra_settings"`

	ID              int16      `bun:"id,pk"`
	Enabled         bool       `bun:"enabled"`
	TenantID        string     `bun:"tenant_id"`
	ClientID        string     `bun:"client_id"`
	ClientSecret    []byte     `bun:"client_secret"` // encrypted
	AllowedDomains  []string   `bun:"allowed_domains,array"`
	AllowedGroups   []string   `bun:"allowed_groups,array"`
	AutoProvision   bool       `bun:"auto_provision"`
	LocalAdminsOnly bool       `bun:"local_admins_only"`
	CheckedAt       *time.Time `bun:"checked_at"`
	CheckResult     string     `bun:"check_result"`
	UpdatedAt       time.Time  `bun:"updated_at,nullzero,default:now()"`
	UpdatedBy       *int64     `bun:"updated_by"`
}

// EntraLogin is an Entra sign-in under way (between the login redirect and the callback).
type EntraLogin struct {
	bun.BaseModel `bun:"table:entra_logins"`

	StateHash    []byte    `bun:"state_hash,pk"`
	BrowserHash  []byte    `bun:"browser_hash"`
	GothSession  string    `bun:"goth_session"`
	Nonce        string    `bun:"nonce"`
	CodeVerifier string    `bun:"code_verifier"`
	Next         string    `bun:"next"`
	IP           string    `bun:"ip"`
	CreatedAt    time.Time `bun:"created_at,nullzero,default:now()"`
	ExpiresAt    time.Time `bun:"expires_at"`
}

// EntraSession marks a session that began with an Entra sign-in.
type EntraSession struct {
	bun.BaseModel `bun:"table:entra_sessions"`

	TokenHash []byte `bun:"token_hash,pk"`
	TenantID  string `bun:"tenant_id"`
	LoginHint string `bun:"login_hint"`
}
