package cloudconnect

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// RulesInput is the rules' settings form as typed; an empty field turns its rule off.
type RulesInput struct {
	QuotaPercent string
	InactiveDays string
}

// Messages of the rules' fields: the same when a value is missing and when it is wrong.
const (
	quotaPercentHelp = "enter a whole percentage from 1 to 100, or leave it empty to turn the quota alert off"
	inactiveDaysHelp = "enter a whole number of days from 1 to 3650, or leave it empty to turn the inactivity rule off"
)

// ParseRules reads the form; field errors on cloud_connect_quota_percent and
// cloud_connect_inactive_days.
func ParseRules(in RulesInput) (Rules, error) {
	errs := validation.Errors{}
	var r Rules
	read := func(field, text string, lo, hi int, help string) *int {
		text = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(text), "%"))
		if text == "" {
			return nil
		}
		n, err := strconv.Atoi(text)
		if err != nil || n < lo || n > hi {
			errs.Add(field, help)
			return nil
		}
		return &n
	}
	r.QuotaPercent = read("cloud_connect_quota_percent", in.QuotaPercent, 1, 100, quotaPercentHelp)
	r.InactiveDays = read("cloud_connect_inactive_days", in.InactiveDays, 1, 3650, inactiveDaysHelp)
	return r, errs.Err()
}

// UpdateRules validates and saves the rules' thresholds and audits what changed. They
// apply to reports read from then on; ScanInbox applies them to the stored ones.
func UpdateRules(ctx context.Context, bdb *bun.DB, actor audit.Actor, in RulesInput) (*db.SystemSettings, error) {
	r, err := ParseRules(in)
	if err != nil {
		return nil, err
	}
	var saved *db.SystemSettings
	err = bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		old := new(db.SystemSettings)
		if err := tx.NewSelect().Model(old).Where("id = 1").For("UPDATE").Scan(ctx); err != nil {
			return err
		}
		changes := audit.Changes{}
		changes.Add("cloud_connect_quota_percent", RuleText(old.CloudConnectQuotaPercent, "%"), RuleText(r.QuotaPercent, "%"))
		changes.Add("cloud_connect_inactive_days", RuleText(old.CloudConnectInactiveDays, " days"), RuleText(r.InactiveDays, " days"))
		saved = old
		saved.CloudConnectQuotaPercent, saved.CloudConnectInactiveDays = r.QuotaPercent, r.InactiveDays
		if len(changes) == 0 {
			return nil
		}
		if actor.ID != 0 {
			saved.UpdatedBy = &actor.ID
		}
		// Plain SQL: bun writes a nil pointer of a model as DEFAULT, and off is NULL.
		if _, err := tx.ExecContext(ctx, `UPDATE system_settings SET cloud_connect_quota_percent = ?,
			cloud_connect_inactive_days = ?, updated_by = ?, updated_at = now() WHERE id = 1`,
			nullInt(r.QuotaPercent), nullInt(r.InactiveDays), saved.UpdatedBy); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, audit.SettingsUpdated, "settings:cloud_connect", changes)
	})
	if err != nil {
		return nil, fmt.Errorf("cloudconnect: update rules: %w", err)
	}
	return saved, nil
}

// RuleText shows a threshold: "90%", "30 days", or "off".
func RuleText(v *int, unit string) string {
	if v == nil {
		return "off"
	}
	return strconv.Itoa(*v) + unit
}

func nullInt(v *int) any {
	if v == nil {
		return nil
	}
	return *v
}
