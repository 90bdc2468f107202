package sso

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// CallbackPath is where Entra sends the browser back; with BASE_URL in front it is the
// redirect URI of the app registration.
const CallbackPath = "/auth/entra/callback"

// LogoutReturnPath is where Entra's sign-out sends the browser back to (registered as
// a redirect URI too).
const LogoutReturnPath = "/login"

// Limits of the settings lists.
const (
	maxDomains = 50
	maxGroups  = 100
)

// Site is what the sign-in needs to know of this installation: its public address
// (BASE_URL) and whether that was configured or is the default.
type Site struct {
	BaseURL *url.URL
	Set     bool
}

// RedirectURI is the address Entra returns to after sign-in.
func (s Site) RedirectURI() string { return s.url(CallbackPath) }

// LogoutReturnURI is the address Entra's sign-out returns to.
func (s Site) LogoutReturnURI() string { return s.url(LogoutReturnPath) }

func (s Site) url(path string) string {
	if s.BaseURL == nil {
		return path
	}
	return strings.TrimSuffix(s.BaseURL.String(), "/") + path
}

// Problem says why sign-in with Entra cannot work at this address, or "" when it can:
// the redirect URI is derived from BASE_URL, and Entra accepts http only for localhost.
func (s Site) Problem() string {
	switch {
	case !s.Set || s.BaseURL == nil:
		return "BASE_URL is not set: set it to the address users open Backupchecks at (e.g. https://backupchecks.example.com) and restart; the redirect URI is made from it"
	case s.BaseURL.Scheme != "https" && !isLoopback(s.BaseURL.Hostname()):
		return fmt.Sprintf("BASE_URL %s is not https: Microsoft Entra accepts http redirect URIs only for localhost", s.BaseURL)
	}
	return ""
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Config is the sign-in configuration with the client secret decrypted.
type Config struct {
	Enabled         bool
	TenantID        string
	ClientID        string
	ClientSecret    string
	AllowedDomains  []string
	AllowedGroups   []string
	AutoProvision   bool
	LocalAdminsOnly bool
}

// LoadSettings returns the stored configuration (the secret still sealed).
func LoadSettings(ctx context.Context, idb bun.IDB) (*db.EntraSettings, error) {
	s := new(db.EntraSettings)
	if err := idb.NewSelect().Model(s).Where("id = 1").Scan(ctx); err != nil {
		return nil, fmt.Errorf("sso: load settings: %w", db.NotFound(err))
	}
	return s, nil
}

// ConfigFrom opens the stored configuration. A secret that no longer decrypts (another
// APP_SECRET_KEY) is an error that says to enter it again.
func ConfigFrom(s *db.EntraSettings, keys *secrets.Keyring) (Config, error) {
	c := Config{Enabled: s.Enabled, TenantID: s.TenantID, ClientID: s.ClientID,
		AllowedDomains: s.AllowedDomains, AllowedGroups: s.AllowedGroups,
		AutoProvision: s.AutoProvision, LocalAdminsOnly: s.LocalAdminsOnly}
	if len(s.ClientSecret) > 0 {
		plain, err := keys.Decrypt(s.ClientSecret)
		if err != nil {
			return c, fmt.Errorf("the stored client secret cannot be decrypted (%w): enter it again under Settings → Integrations → Microsoft Entra sign-in", err)
		}
		c.ClientSecret = string(plain)
	}
	return c, nil
}

// incomplete says what the configuration lacks to sign anyone in, or "".
func (c Config) incomplete() string {
	var missing []string
	if c.TenantID == "" {
		missing = append(missing, "tenant ID")
	}
	if c.ClientID == "" {
		missing = append(missing, "client ID")
	}
	if c.ClientSecret == "" {
		missing = append(missing, "client secret")
	}
	if len(missing) == 0 {
		return ""
	}
	return "the " + strings.Join(missing, ", ") + " " + plural(len(missing), "is", "are") + " not set"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// SettingsInput is the settings form as submitted. An empty secret keeps the stored one.
type SettingsInput struct {
	Enabled         bool
	TenantID        string
	ClientID        string
	ClientSecret    string
	AllowedDomains  string // separated by commas, spaces or lines
	AllowedGroups   string // one object ID a line (commas and spaces work too)
	AutoProvision   bool
	LocalAdminsOnly bool
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// domainRE is a DNS name of at least two labels (IDNs in their xn-- form).
var domainRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$`)

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
}

// ParseDomains reads the allowed domains: lower case, without duplicates; an entry
// that is no domain name is named in the error.
func ParseDomains(s string) ([]string, string) {
	out := []string{}
	for _, d := range splitList(s) {
		d = strings.ToLower(strings.TrimPrefix(d, "@"))
		if !domainRE.MatchString(d) || len(d) > 253 {
			return nil, fmt.Sprintf("%q is not a domain name; enter domains such as contoso.com", d)
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	if len(out) > maxDomains {
		return nil, fmt.Sprintf("enter at most %d domains", maxDomains)
	}
	return out, ""
}

// ParseGroups reads the allowed security groups: Entra object IDs, lower case,
// without duplicates.
func ParseGroups(s string) ([]string, string) {
	out := []string{}
	for _, g := range splitList(s) {
		if !guidRE.MatchString(g) {
			return nil, fmt.Sprintf("%q is not a group object ID; copy the Object ID (like 2b1f…-…) from the group's Overview page in Entra, one per line", g)
		}
		if g = strings.ToLower(g); !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	if len(out) > maxGroups {
		return nil, fmt.Sprintf("enter at most %d groups", maxGroups)
	}
	return out, ""
}

// UpdateSettings validates and saves the configuration, encrypting a typed secret, and
// audits what changed (the secret masked). Turning sign-in on needs every value a
// sign-in uses and a usable BASE_URL.
func UpdateSettings(ctx context.Context, bdb *bun.DB, keys *secrets.Keyring, actor audit.Actor, site Site, in SettingsInput) (*db.EntraSettings, error) {
	in.TenantID, in.ClientID = strings.TrimSpace(in.TenantID), strings.TrimSpace(in.ClientID)
	in.ClientSecret = strings.TrimSpace(in.ClientSecret) // pasted; spaces are never part of it
	errs := validation.Errors{}
	if in.TenantID != "" && !guidRE.MatchString(in.TenantID) {
		errs.Add("entra_tenant_id", "enter the Directory (tenant) ID, a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47, from the app registration's Overview page")
	}
	if in.ClientID != "" && !guidRE.MatchString(in.ClientID) {
		errs.Add("entra_client_id", "enter the Application (client) ID, a GUID, from the app registration's Overview page")
	}
	if len(in.ClientSecret) > 1000 {
		errs.Add("entra_client_secret", "this is longer than any client secret; paste the secret's Value")
	}
	domains, msg := ParseDomains(in.AllowedDomains)
	if msg != "" {
		errs.Add("entra_allowed_domains", msg)
	}
	groups, msg := ParseGroups(in.AllowedGroups)
	if msg != "" {
		errs.Add("entra_allowed_groups", msg)
	}
	var saved *db.EntraSettings
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		old := new(db.EntraSettings)
		if err := tx.NewSelect().Model(old).Where("id = 1").For("UPDATE").Scan(ctx); err != nil {
			return err
		}
		if in.Enabled {
			if in.TenantID == "" {
				errs.Add("entra_tenant_id", "enter the tenant ID to turn sign-in on")
			}
			if in.ClientID == "" {
				errs.Add("entra_client_id", "enter the client ID to turn sign-in on")
			}
			if in.ClientSecret == "" && len(old.ClientSecret) == 0 {
				errs.Add("entra_client_secret", "enter the client secret to turn sign-in on")
			}
			if p := site.Problem(); p != "" {
				errs.Add("entra_enabled", "sign-in cannot be turned on: "+p)
			}
		}
		if err := errs.Err(); err != nil {
			return err
		}
		next := *old
		next.Enabled, next.TenantID, next.ClientID = in.Enabled, strings.ToLower(in.TenantID), strings.ToLower(in.ClientID)
		next.AllowedDomains, next.AllowedGroups = domains, groups
		next.AutoProvision, next.LocalAdminsOnly = in.AutoProvision, in.LocalAdminsOnly
		if in.ClientSecret != "" {
			sealed, err := keys.Encrypt([]byte(in.ClientSecret))
			if err != nil {
				return validation.Errors{"entra_client_secret": "could not encrypt this secret: " + err.Error()}
			}
			next.ClientSecret = sealed
		}
		changes := audit.Changes{}
		changes.Add("enabled", old.Enabled, next.Enabled)
		changes.Add("tenant_id", old.TenantID, next.TenantID)
		changes.Add("client_id", old.ClientID, next.ClientID)
		changes.AddSecret("client_secret", in.ClientSecret != "")
		changes.Add("allowed_domains", strings.Join(old.AllowedDomains, ", "), strings.Join(next.AllowedDomains, ", "))
		changes.Add("allowed_groups", strings.Join(old.AllowedGroups, ", "), strings.Join(next.AllowedGroups, ", "))
		changes.Add("auto_provision", old.AutoProvision, next.AutoProvision)
		changes.Add("local_admins_only", old.LocalAdminsOnly, next.LocalAdminsOnly)
		saved = &next
		if len(changes) == 0 {
			return nil
		}
		if actor.ID != 0 {
			saved.UpdatedBy = &actor.ID
		}
		q := tx.NewUpdate().Model(saved).Column("enabled", "tenant_id", "client_id", "client_secret", "allowed_domains",
			"allowed_groups", "auto_provision", "local_admins_only", "updated_by").Set("updated_at = now()")
		// Another tenant, app or secret makes the last test result meaningless.
		if old.TenantID != next.TenantID || old.ClientID != next.ClientID || in.ClientSecret != "" {
			saved.CheckedAt, saved.CheckResult = nil, ""
			q = q.Column("checked_at", "check_result")
		}
		if _, err := q.WherePK().Returning("*").Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, audit.SettingsUpdated, "settings:entra", changes)
	})
	if err != nil {
		var verrs validation.Errors
		if errors.As(err, &verrs) {
			return nil, verrs
		}
		return nil, fmt.Errorf("sso: update settings: %w", err)
	}
	return saved, nil
}

// RecordCheck stores the outcome of the last Test configuration.
func RecordCheck(ctx context.Context, idb bun.IDB, at time.Time, result string) error {
	if _, err := idb.NewUpdate().Model((*db.EntraSettings)(nil)).Set("checked_at = ?", at).Set("check_result = ?", result).
		Where("id = 1").Exec(ctx); err != nil {
		return fmt.Errorf("sso: record check: %w", err)
	}
	return nil
}
