package cove

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// Audit actions of this package.
const (
	ActionSettings     = audit.SettingsUpdated
	ActionTested       = "cove.connection_tested"
	ActionImportNow    = "cove.import_started"
	ActionJobCreated   = "cove.job_created"
	ActionLinked       = "cove.account_linked"
	ActionUnlinked     = "cove.account_unlinked"
	settingsAuditTitle = "settings:cove"
)

// Input is the Cove section's form as submitted. An empty Password keeps the stored one.
type Input struct {
	Enabled         bool
	APIURL          string
	Username        string
	Password        string
	ImportEnabled   bool
	IntervalMinutes string

	OfflineEnabled bool
	WarningDays    string
	FailedDays     string
}

// Form fields' messages.
const (
	msgURL       = "enter Cove's JSON-RPC address, e.g. " + DefaultURL
	msgUsername  = "enter the API user's login name"
	msgPassword  = "enter the API user's password or token"
	msgInterval  = "enter minutes between 5 and 1440"
	msgDays      = "enter a number of days between 1 and 28"
	msgDaysOrder = "must be more days than the Warning threshold"
	msgImport    = "enable the Cove integration to import automatically"
	maxTextLen   = 500
)

// UpdateSettings validates and saves the Cove section, encrypting a typed password,
// and audits what changed (the password masked). Field errors come back as
// validation.Errors, all at once.
func UpdateSettings(ctx context.Context, bdb *bun.DB, keys *secrets.Keyring, actor audit.Actor, in Input) (*db.SystemSettings, error) {
	in.APIURL, in.Username = strings.TrimSpace(in.APIURL), strings.TrimSpace(in.Username)
	in.IntervalMinutes, in.WarningDays, in.FailedDays = strings.TrimSpace(in.IntervalMinutes), strings.TrimSpace(in.WarningDays), strings.TrimSpace(in.FailedDays)
	var saved *db.SystemSettings
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		old := new(db.SystemSettings)
		if err := tx.NewSelect().Model(old).Where("id = 1").For("UPDATE").Scan(ctx); err != nil {
			return err
		}
		next, errs := apply(*old, keys, in)
		if err := errs.Err(); err != nil {
			return err
		}
		o, n := old.CoveSettings, next.CoveSettings
		changes := audit.Changes{}
		changes.Add("cove_enabled", o.CoveEnabled, n.CoveEnabled)
		changes.Add("cove_api_url", o.CoveAPIURL, n.CoveAPIURL)
		changes.Add("cove_username", o.CoveUsername, n.CoveUsername)
		changes.AddSecret("cove_password", in.Password != "")
		changes.Add("cove_import_enabled", o.CoveImportEnabled, n.CoveImportEnabled)
		changes.Add("cove_import_interval_minutes", o.CoveImportIntervalMinutes, n.CoveImportIntervalMinutes)
		changes.Add("cove_offline_enabled", o.CoveOfflineEnabled, n.CoveOfflineEnabled)
		changes.Add("cove_offline_warning_days", o.CoveOfflineWarningDays, n.CoveOfflineWarningDays)
		changes.Add("cove_offline_failed_days", o.CoveOfflineFailedDays, n.CoveOfflineFailedDays)
		saved = &next
		if len(changes) == 0 {
			return nil
		}
		if actor.ID != 0 {
			saved.UpdatedBy = &actor.ID
		}
		cols := []string{"cove_enabled", "cove_api_url", "cove_username", "cove_password", "cove_import_enabled",
			"cove_import_interval_minutes", "cove_offline_enabled", "cove_offline_warning_days", "cove_offline_failed_days", "updated_by"}
		// Another endpoint or user makes the partner and the last test meaningless.
		if o.CoveAPIURL != n.CoveAPIURL || o.CoveUsername != n.CoveUsername || in.Password != "" {
			saved.CovePartnerID, saved.CoveCheckedAt, saved.CoveCheckResult = nil, nil, ""
			cols = append(cols, "cove_partner_id", "cove_checked_at", "cove_check_result")
		}
		if _, err := tx.NewUpdate().Model(saved).Column(cols...).Set("updated_at = now()").WherePK().Returning("*").Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, ActionSettings, settingsAuditTitle, changes)
	})
	if err != nil {
		return nil, fmt.Errorf("cove: update settings: %w", err)
	}
	return saved, nil
}

// apply validates in against the stored row and returns the row to save.
func apply(s db.SystemSettings, keys *secrets.Keyring, in Input) (db.SystemSettings, validation.Errors) {
	errs := validation.Errors{}
	c := &s.CoveSettings
	c.CoveEnabled, c.CoveImportEnabled, c.CoveOfflineEnabled = in.Enabled, in.ImportEnabled, in.OfflineEnabled
	c.CoveAPIURL, c.CoveUsername = in.APIURL, in.Username
	if c.CoveAPIURL == "" {
		c.CoveAPIURL = DefaultURL
	}
	if u, err := url.Parse(c.CoveAPIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.User != nil || len(c.CoveAPIURL) > maxTextLen {
		errs.Add("cove_api_url", msgURL)
	}
	switch {
	case len(c.CoveUsername) > maxTextLen:
		errs.Add("cove_username", fmt.Sprintf("at most %d characters", maxTextLen))
	case strings.ContainsFunc(c.CoveUsername, unicode.IsControl):
		errs.Add("cove_username", "remove the control characters (tabs, line breaks) from this value")
	case c.CoveEnabled && c.CoveUsername == "":
		errs.Add("cove_username", msgUsername)
	}
	if in.Password != "" {
		if len(in.Password) > 4096 {
			errs.Add("cove_password", "at most 4096 characters")
		} else if b, err := keys.Encrypt([]byte(in.Password)); err != nil {
			errs.Add("cove_password", "could not encrypt this secret: "+err.Error())
		} else {
			c.CovePassword = b
		}
	} else if c.CoveEnabled && len(c.CovePassword) == 0 {
		errs.Add("cove_password", msgPassword)
	}
	if c.CoveImportEnabled && !c.CoveEnabled {
		errs.Add("cove_import_enabled", msgImport)
	}
	c.CoveImportIntervalMinutes = intIn(errs, "cove_import_interval_minutes", in.IntervalMinutes, 5, 1440, msgInterval)
	c.CoveOfflineWarningDays = intIn(errs, "cove_offline_warning_days", in.WarningDays, 1, 28, msgDays)
	c.CoveOfflineFailedDays = intIn(errs, "cove_offline_failed_days", in.FailedDays, 1, 28, msgDays)
	if errs["cove_offline_warning_days"] == "" && errs["cove_offline_failed_days"] == "" && c.CoveOfflineFailedDays <= c.CoveOfflineWarningDays {
		errs.Add("cove_offline_failed_days", msgDaysOrder)
	}
	return s, errs
}

func intIn(errs validation.Errors, field, v string, lo, hi int, msg string) int {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		errs.Add(field, msg)
		return lo
	}
	return n
}

// ErrNotConfigured means the Cove section lacks what a connection needs.
var ErrNotConfigured = errors.New("enter and save the Cove API user name and password under Settings → Integrations first")

// ClientFrom builds a client from the saved settings; mod may adjust the config
// (tests: the HTTP client, the sleep).
func ClientFrom(s *db.SystemSettings, keys *secrets.Keyring, mod func(*Config)) (*Client, error) {
	cs := s.CoveSettings
	if cs.CoveUsername == "" || len(cs.CovePassword) == 0 {
		return nil, ErrNotConfigured
	}
	plain, err := keys.Decrypt(cs.CovePassword)
	if err != nil {
		return nil, fmt.Errorf("cove: the stored password no longer decrypts (%w): enter it again under Settings → Integrations", err)
	}
	cfg := Config{URL: cs.CoveAPIURL, Username: cs.CoveUsername, Password: string(plain)}
	if mod != nil {
		mod(&cfg)
	}
	return New(cfg)
}

// TestResult is what Test connection found: whether Cove accepted the user, the
// partner it belongs to, and a message for a person.
type TestResult struct {
	OK        bool   `json:"ok"`
	PartnerID int64  `json:"partner_id"`
	Message   string `json:"message"`
}

// TestConnection logs in with client, reads one account with the import's columns (so
// a column the user may not read shows now, not at the first import), stores the
// partner id and the result on the settings row and audits the test.
func TestConnection(ctx context.Context, idb bun.IDB, client *Client, actor audit.Actor, now time.Time) (TestResult, error) {
	res := TestResult{}
	id, err := client.Login(ctx)
	if err == nil {
		res.PartnerID = id
		var page Page
		page, err = client.AccountsPage(ctx, Columns(), 0, 1)
		if err == nil {
			res.OK = true
			res.Message = fmt.Sprintf("Connected to Cove as partner %d; the API user can read its accounts' statistics.", id)
			if page.Records == 0 {
				res.Message = fmt.Sprintf("Connected to Cove as partner %d, which has no accounts yet.", id)
			}
		}
	}
	if err != nil {
		res.Message = "Connection failed: " + err.Error()
	}
	var partner any
	if res.PartnerID != 0 {
		partner = res.PartnerID
	}
	if _, uerr := idb.NewUpdate().Table("system_settings").
		Set("cove_partner_id = coalesce(?, cove_partner_id)", partner).
		Set("cove_checked_at = ?", now).Set("cove_check_result = ?", clip(res.Message, 1000)).
		Where("id = 1").Exec(ctx); uerr != nil {
		return res, fmt.Errorf("cove: record the connection test: %w", uerr)
	}
	if aerr := audit.Record(ctx, idb, actor, ActionTested, settingsAuditTitle, map[string]any{"ok": res.OK, "partner_id": res.PartnerID}); aerr != nil {
		return res, aerr
	}
	return res, nil
}

// ImportDue reports whether the periodic import should run at now: Cove and its
// automatic import are enabled, and no import has run yet or the interval has passed
// since the last one (read each time, so a changed interval applies at once).
func ImportDue(s *db.SystemSettings, now time.Time) bool {
	c := s.CoveSettings
	if !c.CoveEnabled || !c.CoveImportEnabled {
		return false
	}
	if c.CoveLastImportAt == nil {
		return true
	}
	return !now.Before(c.CoveLastImportAt.Add(time.Duration(c.CoveImportIntervalMinutes) * time.Minute))
}
