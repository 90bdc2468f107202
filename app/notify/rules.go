package notify

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// Statuses a rule can watch, in the order the forms offer them.
var Statuses = []string{"Failed", "Missed", "Warning"}

// Weekdays are ISO day numbers with their names, Monday first.
var Weekdays = []struct {
	N    int
	Name string
}{{1, "Mon"}, {2, "Tue"}, {3, "Wed"}, {4, "Thu"}, {5, "Fri"}, {6, "Sat"}, {7, "Sun"}}

// RuleInput is the rule form as submitted.
type RuleInput struct {
	Name         string
	ChannelID    int64
	Statuses     []string
	CustomerIDs  []int64 // none: all customers
	JobIDs       []int64 // none: every job of them
	GroupMinutes string
	QuietFrom    string // HH:MM, both or neither
	QuietTo      string
	WorkingDays  []int
	Enabled      bool
}

// ruleFields validates the fields a rule and a subscription share into row.
func ruleFields(in RuleInput, row *db.NotifyRule, errs validation.Errors) {
	row.Statuses = nil
	for _, s := range Statuses {
		if slices.Contains(in.Statuses, s) {
			row.Statuses = append(row.Statuses, s)
		}
	}
	if len(row.Statuses) == 0 {
		errs.Add("statuses", "choose at least one status")
	}
	row.CustomerIDs, row.JobIDs = nonNil(in.CustomerIDs), nonNil(in.JobIDs)
	n, err := strconv.Atoi(strings.TrimSpace(in.GroupMinutes))
	if err != nil || n < 1 || n > 1440 {
		errs.Add("group_minutes", "enter minutes between 1 and 1440")
	}
	row.GroupMinutes = n
	row.QuietFrom, row.QuietTo = nil, nil
	qf, qt := strings.TrimSpace(in.QuietFrom), strings.TrimSpace(in.QuietTo)
	switch {
	case qf == "" && qt == "":
	case qf == "" || qt == "":
		errs.Add("quiet_from", "enter both the start and the end of the quiet hours, or neither")
	default:
		_, e1 := time.Parse("15:04", qf)
		_, e2 := time.Parse("15:04", qt)
		if e1 != nil || e2 != nil || qf == qt {
			errs.Add("quiet_from", "enter two different times as HH:MM")
		} else {
			row.QuietFrom, row.QuietTo = &qf, &qt
		}
	}
	row.WorkingDays = nil
	for _, d := range Weekdays {
		if slices.Contains(in.WorkingDays, d.N) {
			row.WorkingDays = append(row.WorkingDays, int16(d.N))
		}
	}
	if len(row.WorkingDays) == 0 {
		errs.Add("working_days", "choose at least one day")
	}
	row.Enabled = in.Enabled
}

func nonNil(xs []int64) []int64 {
	if xs == nil {
		return []int64{}
	}
	return xs
}

// SaveRule creates (id 0) or updates an admin rule, audited.
func SaveRule(ctx context.Context, bdb *bun.DB, actor audit.Actor, id int64, in RuleInput) (int64, error) {
	errs := validation.Errors{}
	old := new(db.NotifyRule)
	if id != 0 {
		if err := bdb.NewSelect().Model(old).Where("id = ? AND channel_id IS NOT NULL", id).Scan(ctx); err != nil {
			return 0, fmt.Errorf("notify: rule %d: %w", id, db.NotFound(err))
		}
	}
	row := *old
	row.Name = strings.TrimSpace(in.Name)
	if row.Name == "" || len(row.Name) > maxNameLen {
		errs.Add("name", "enter a name of at most 100 characters")
	}
	var exists bool
	if err := bdb.NewRaw("SELECT EXISTS (SELECT 1 FROM notify_channels WHERE id = ?)", in.ChannelID).Scan(ctx, &exists); err != nil {
		return 0, fmt.Errorf("notify: save rule: %w", err)
	}
	if !exists {
		errs.Add("channel_id", "choose a channel")
	}
	row.ChannelID = &in.ChannelID
	ruleFields(in, &row, errs)
	if err := errs.Err(); err != nil {
		return 0, err
	}
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if id == 0 {
			if _, err := tx.NewInsert().Model(&row).ExcludeColumn("id", "created_at", "updated_at").Returning("id").Exec(ctx); err != nil {
				return fmt.Errorf("notify: save rule: %w", err)
			}
		} else if _, err := tx.NewUpdate().Model(&row).WherePK().ExcludeColumn("id", "user_id", "created_at", "updated_at").
			Set("updated_at = now()").Exec(ctx); err != nil {
			return fmt.Errorf("notify: save rule: %w", err)
		}
		ch := ruleChanges(old, &row)
		ch.Add("channel_id", derefID(old.ChannelID), derefID(row.ChannelID))
		return audit.Record(ctx, tx, actor, AuditRuleSaved, fmt.Sprintf("rule %d", row.ID), ch)
	})
	return row.ID, err
}

func ruleChanges(old, row *db.NotifyRule) audit.Changes {
	ch := audit.Changes{}
	ch.Add("name", old.Name, row.Name)
	ch.Add("statuses", old.Statuses, row.Statuses)
	ch.Add("customer_ids", old.CustomerIDs, row.CustomerIDs)
	ch.Add("job_ids", old.JobIDs, row.JobIDs)
	ch.Add("group_minutes", old.GroupMinutes, row.GroupMinutes)
	ch.Add("quiet_hours", deref(old.QuietFrom)+"–"+deref(old.QuietTo), deref(row.QuietFrom)+"–"+deref(row.QuietTo))
	ch.Add("working_days", old.WorkingDays, row.WorkingDays)
	ch.Add("enabled", old.Enabled, row.Enabled)
	return ch
}

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// DeleteRule deletes an admin rule (its pending alerts go with it), audited.
func DeleteRule(ctx context.Context, bdb *bun.DB, actor audit.Actor, id int64) error {
	return bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var name string
		if err := tx.NewRaw("DELETE FROM notify_rules WHERE id = ? AND channel_id IS NOT NULL RETURNING name", id).Scan(ctx, &name); err != nil {
			return fmt.Errorf("notify: delete rule %d: %w", id, db.NotFound(err))
		}
		return audit.Record(ctx, tx, actor, AuditRuleDeleted, fmt.Sprintf("rule %d", id), map[string]any{"name": name})
	})
}

// Rule is an admin rule as the settings page lists it.
type Rule struct {
	db.NotifyRule `bun:",extend"`
	ChannelName   string   `bun:"channel_name"`
	ChannelKind   string   `bun:"channel_kind"`
	Customers     []string `bun:"customers,array"`
	Jobs          []string `bun:"jobs,array"`
}

// Rules lists the admin rules by name.
func Rules(ctx context.Context, idb bun.IDB) ([]Rule, error) {
	var out []Rule
	if err := idb.NewSelect().Model(&out).
		ColumnExpr("notify_rule.*, c.name AS channel_name, c.kind AS channel_kind").
		ColumnExpr("ARRAY(SELECT name FROM customers WHERE id = ANY(notify_rule.customer_ids) ORDER BY lower(name)) AS customers").
		ColumnExpr("ARRAY(SELECT job_name FROM jobs WHERE id = ANY(notify_rule.job_ids) ORDER BY lower(job_name)) AS jobs").
		Join("JOIN notify_channels c ON c.id = notify_rule.channel_id").
		OrderExpr("lower(notify_rule.name), notify_rule.id").Limit(RulesMax).Scan(ctx); err != nil {
		return nil, fmt.Errorf("notify: rules: %w", err)
	}
	return out, nil
}

// GetRule reads one admin rule.
func GetRule(ctx context.Context, idb bun.IDB, id int64) (*db.NotifyRule, error) {
	r := new(db.NotifyRule)
	if err := idb.NewSelect().Model(r).Where("id = ? AND channel_id IS NOT NULL", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("notify: rule %d: %w", id, db.NotFound(err))
	}
	return r, nil
}

// Option is an id and a name for a form's choices.
type Option struct {
	ID   int64  `bun:"id"`
	Name string `bun:"name"`
}

// CustomerOptions are the active customers to choose from.
func CustomerOptions(ctx context.Context, idb bun.IDB) ([]Option, error) {
	var out []Option
	if err := idb.NewRaw("SELECT id, name FROM customers WHERE active ORDER BY lower(name) LIMIT 5000").Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("notify: customers: %w", err)
	}
	return out, nil
}

// JobOptions are the jobs to choose from, named with their customer.
func JobOptions(ctx context.Context, idb bun.IDB) ([]Option, error) {
	var out []Option
	if err := idb.NewRaw(`SELECT j.id, c.name || ' · ' || j.job_name AS name FROM jobs j JOIN customers c ON c.id = j.customer_id
		WHERE j.archived_at IS NULL AND c.active ORDER BY lower(c.name), lower(j.job_name) LIMIT 5000`).Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("notify: jobs: %w", err)
	}
	return out, nil
}
