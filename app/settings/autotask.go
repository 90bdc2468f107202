package settings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/autotask"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// Autotask environments an admin can choose. Zone discovery finds the right API host
// for either; the choice tells operators which tenant tickets land in.
const (
	AutotaskProduction = "production"
	AutotaskSandbox    = "sandbox"
)

// AutotaskInput is the Autotask form as submitted. Empty secret fields keep the
// stored secret.
type AutotaskInput struct {
	Enabled            bool
	Environment        string
	Username           string
	Secret             string
	IntegrationCode    string
	TrackingIdentifier string
	BaseURL            string

	// Ticket defaults: picklist values as submitted, "" for none.
	QueueID, SourceID, PriorityID, StatusID string
}

// AutotaskDefaultFields maps each ticket default's form field to its Autotask
// picklist field.
var AutotaskDefaultFields = []struct{ Form, Picklist, Label string }{
	{"autotask_queue_id", "queueID", "Queue"},
	{"autotask_source_id", "source", "Source"},
	{"autotask_priority_id", "priority", "Priority"},
	{"autotask_status_id", "status", "Status"},
}

// AutotaskClient builds a client from the saved connection; zoneURLs overrides zone
// discovery (nil: Autotask's global hosts). Incomplete credentials are an error that
// says what to do.
func AutotaskClient(s *db.SystemSettings, keys *secrets.Keyring, zoneURLs []string) (*autotask.Client, error) {
	cfg := autotask.Config{Username: s.AutotaskUsername, TrackingIdentifier: s.AutotaskTrackingIdentifier, ZoneLookupURLs: zoneURLs}
	if err := openSecrets(keys, "Integrations",
		sealedField{s.AutotaskSecret, &cfg.Secret, "Autotask secret"},
		sealedField{s.AutotaskIntegrationCode, &cfg.IntegrationCode, "Autotask integration code"}); err != nil {
		return nil, err
	}
	if cfg.Username == "" || cfg.Secret == "" || cfg.IntegrationCode == "" {
		return nil, errors.New("enter and save the API user name, secret and integration code first")
	}
	return autotask.New(cfg)
}

// UpdateAutotask validates and saves the Autotask connection, encrypting typed secrets,
// and audits what changed (secrets masked).
func UpdateAutotask(ctx context.Context, bdb *bun.DB, keys *secrets.Keyring, actor audit.Actor, in AutotaskInput) (*db.SystemSettings, error) {
	trimAll(&in.Environment, &in.Username, &in.TrackingIdentifier, &in.BaseURL, &in.QueueID, &in.SourceID, &in.PriorityID, &in.StatusID)
	// Secrets are pasted; surrounding whitespace is never part of them.
	trimAll(&in.Secret, &in.IntegrationCode)
	var saved *db.SystemSettings
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		old := new(db.SystemSettings)
		if err := tx.NewSelect().Model(old).Where("id = 1").For("UPDATE").Scan(ctx); err != nil {
			return err
		}
		next, errs := applyAutotask(*old, keys, in)
		if err := errs.Err(); err != nil {
			return err
		}
		changes := audit.Changes{}
		changes.Add("autotask_enabled", old.AutotaskEnabled, next.AutotaskEnabled)
		changes.Add("autotask_environment", old.AutotaskEnvironment, next.AutotaskEnvironment)
		changes.Add("autotask_username", old.AutotaskUsername, next.AutotaskUsername)
		changes.AddSecret("autotask_secret", in.Secret != "")
		changes.AddSecret("autotask_integration_code", in.IntegrationCode != "")
		changes.Add("autotask_tracking_identifier", old.AutotaskTrackingIdentifier, next.AutotaskTrackingIdentifier)
		changes.Add("autotask_base_url", old.AutotaskBaseURL, next.AutotaskBaseURL)
		changes.Add("autotask_queue_id", int64Or(old.AutotaskQueueID), int64Or(next.AutotaskQueueID))
		changes.Add("autotask_source_id", int64Or(old.AutotaskSourceID), int64Or(next.AutotaskSourceID))
		changes.Add("autotask_priority_id", int64Or(old.AutotaskPriorityID), int64Or(next.AutotaskPriorityID))
		changes.Add("autotask_status_id", int64Or(old.AutotaskStatusID), int64Or(next.AutotaskStatusID))
		saved = &next
		if len(changes) == 0 {
			return nil
		}
		if actor.ID != 0 {
			saved.UpdatedBy = &actor.ID
		}
		cols := []string{"autotask_enabled", "autotask_environment", "autotask_username", "autotask_secret",
			"autotask_integration_code", "autotask_tracking_identifier", "autotask_base_url",
			"autotask_queue_id", "autotask_source_id", "autotask_priority_id", "autotask_status_id", "updated_by"}
		q := tx.NewUpdate().Model(saved).Column(cols...).Set("updated_at = now()")
		// Another user or secret makes the last test result meaningless.
		if old.AutotaskUsername != next.AutotaskUsername || in.Secret != "" || in.IntegrationCode != "" {
			saved.AutotaskCheckedAt, saved.AutotaskCheckResult = nil, ""
			q = q.Column("autotask_checked_at", "autotask_check_result")
		}
		if _, err := q.WherePK().Returning("*").Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, audit.SettingsUpdated, "settings:autotask", changes)
	})
	if err != nil {
		return nil, fmt.Errorf("settings: update autotask: %w", err)
	}
	return saved, nil
}

func applyAutotask(s db.SystemSettings, keys *secrets.Keyring, in AutotaskInput) (db.SystemSettings, validation.Errors) {
	errs := validation.Errors{}
	s.AutotaskEnabled = in.Enabled
	switch in.Environment {
	case AutotaskProduction, AutotaskSandbox:
		s.AutotaskEnvironment = in.Environment
	default:
		errs.Add("autotask_environment", "choose production or sandbox")
	}
	s.AutotaskUsername, s.AutotaskTrackingIdentifier = in.Username, in.TrackingIdentifier
	if in.Secret != "" {
		s.AutotaskSecret = seal(errs, keys, "autotask_secret", in.Secret)
	}
	if in.IntegrationCode != "" {
		s.AutotaskIntegrationCode = seal(errs, keys, "autotask_integration_code", in.IntegrationCode)
	}
	s.AutotaskBaseURL = strings.TrimRight(in.BaseURL, "/")
	if s.AutotaskBaseURL != "" {
		if u, err := url.Parse(s.AutotaskBaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs.Add("autotask_base_url", "enter the address operators open Backupchecks at, e.g. https://backupchecks.example.com")
		}
	}
	for _, d := range []struct {
		in    string
		into  **int64
		field string
	}{{in.QueueID, &s.AutotaskQueueID, "queueID"}, {in.SourceID, &s.AutotaskSourceID, "source"},
		{in.PriorityID, &s.AutotaskPriorityID, "priority"}, {in.StatusID, &s.AutotaskStatusID, "status"}} {
		*d.into = nil
		if d.in == "" {
			continue
		}
		form := ""
		for _, f := range AutotaskDefaultFields {
			if f.Picklist == d.field {
				form = f.Form
			}
		}
		id, err := strconv.ParseInt(d.in, 10, 64)
		if err != nil || s.AutotaskReference.Label(d.field, &id) == "" {
			errs.Add(form, "choose one of Autotask's values (refresh the reference data if it is missing)")
			continue
		}
		*d.into = &id
	}
	// An API user is an e-mail-like user name; a disabled integration may stay half-filled.
	if s.AutotaskUsername != "" && (!strings.Contains(s.AutotaskUsername, "@") || strings.ContainsAny(s.AutotaskUsername, " \t")) {
		errs.Add("autotask_username", "enter the API user's user name, e.g. backupchecks@example.com")
	}
	if s.AutotaskEnabled {
		if s.AutotaskUsername == "" {
			errs.Add("autotask_username", "enter the API user's user name")
		}
		if len(s.AutotaskSecret) == 0 {
			errs.Add("autotask_secret", "enter the API user's secret")
		}
		if len(s.AutotaskIntegrationCode) == 0 {
			errs.Add("autotask_integration_code", "enter the API tracking identifier's integration code")
		}
		if s.AutotaskBaseURL == "" {
			errs.Add("autotask_base_url", "enter Backupchecks' address; tickets link back to the run")
		}
	}
	return s, errs
}

// StoreAutotaskReference caches the ticket picklists Backupchecks offers as defaults.
func StoreAutotaskReference(ctx context.Context, idb bun.IDB, actor audit.Actor, lists map[string][]autotask.PicklistValue, now time.Time) (*db.SystemSettings, error) {
	ref := db.AutotaskReference{}
	counts := map[string]int{}
	for _, f := range AutotaskDefaultFields {
		choices := []db.AutotaskChoice{}
		for _, v := range lists[f.Picklist] {
			choices = append(choices, db.AutotaskChoice{Value: v.Value, Label: v.Label})
		}
		ref[f.Picklist] = choices
		counts[f.Picklist] = len(choices)
	}
	raw, err := json.Marshal(ref)
	if err != nil {
		return nil, fmt.Errorf("settings: store autotask reference: %w", err)
	}
	saved := new(db.SystemSettings)
	err = idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model(saved).Set("autotask_reference = ?::jsonb", string(raw)).Set("autotask_reference_at = ?", now).
			Where("id = 1").Returning("*").Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, audit.SettingsUpdated, "settings:autotask", map[string]any{"reference_refreshed": counts})
	})
	if err != nil {
		return nil, fmt.Errorf("settings: store autotask reference: %w", err)
	}
	return saved, nil
}

func int64Or(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// RecordAutotaskCheck stores the outcome of "Test connection" for the settings page.
func RecordAutotaskCheck(ctx context.Context, idb bun.IDB, at time.Time, result string) error {
	_, err := idb.NewUpdate().Model((*db.SystemSettings)(nil)).
		Set("autotask_checked_at = ?", at).Set("autotask_check_result = ?", result).
		Where("id = 1").Exec(ctx)
	if err != nil {
		return fmt.Errorf("settings: record autotask check: %w", err)
	}
	return nil
}
