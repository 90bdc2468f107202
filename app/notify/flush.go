package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/notify/detect"
	"github.com/backupchecks/backupchecks/db"
)

// MaxListed is how many runs one alert message lists; the rest are counted ("and 450
// more") and Run Checks has them all.
const MaxListed = 50

// Allowed reports whether rule r may send at t: a working day and outside the quiet
// hours, both in loc (the UI timezone). Quiet hours may wrap midnight (22:00–07:00).
func Allowed(r *db.NotifyRule, t time.Time, loc *time.Location) bool {
	lt := t.In(loc)
	wd := int(lt.Weekday())
	if wd == 0 {
		wd = 7
	}
	if !slices.Contains(r.WorkingDays, int16(wd)) {
		return false
	}
	if r.QuietFrom == nil || r.QuietTo == nil {
		return true
	}
	now := lt.Hour()*60 + lt.Minute()
	from, to := minutes(*r.QuietFrom), minutes(*r.QuietTo)
	if from < to {
		return now < from || now >= to
	}
	return now < from && now >= to // wraps midnight
}

// minutes reads "HH:MM" or "HH:MM:SS" as minutes after midnight.
func minutes(s string) int {
	var h, m int
	fmt.Sscanf(s, "%d:%d", &h, &m)
	return h*60 + m
}

// Flush turns the pending alerts of every rule whose group is due into one delivery
// per rule and returns the new deliveries' ids. A group is due when its oldest alert
// waited the rule's group minutes and the rule may send now (working day, outside
// quiet hours): alerts found in quiet hours wait, grouped, until they end. Alerts
// whose run was ticketed, overridden or reviewed meanwhile are skipped. Rules are
// locked while flushed, so replicas flushing together send nothing twice.
func Flush(ctx context.Context, bdb *bun.DB, now time.Time, loc *time.Location, baseURL string) ([]int64, error) {
	var ruleIDs []int64
	if err := bdb.NewRaw(`SELECT DISTINCT rule_id FROM notify_alerts WHERE delivery_id IS NULL AND skipped_at IS NULL ORDER BY 1`).
		Scan(ctx, &ruleIDs); err != nil {
		return nil, fmt.Errorf("notify: flush: %w", err)
	}
	var ids []int64
	for _, rid := range ruleIDs {
		id, err := flushRule(ctx, bdb, rid, now, loc, baseURL)
		if err != nil {
			return ids, err
		}
		if id != 0 {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func flushRule(ctx context.Context, bdb *bun.DB, ruleID int64, now time.Time, loc *time.Location, baseURL string) (int64, error) {
	var deliveryID int64
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		r := new(db.NotifyRule)
		if err := tx.NewSelect().Model(r).Where("id = ?", ruleID).For("UPDATE SKIP LOCKED").Scan(ctx); err != nil {
			if errors.Is(db.NotFound(err), db.ErrNotFound) {
				return nil // deleted, or another replica flushes it
			}
			return fmt.Errorf("notify: flush rule %d: %w", ruleID, err)
		}
		// Skip what is no longer a problem for this rule: the run was ticketed, overridden,
		// reviewed or superseded, or its result changed (an integration updated it); and
		// everything while the rule or its channel is disabled (not sent on re-enabling).
		if _, err := tx.ExecContext(ctx, `
			UPDATE notify_alerts a SET skipped_at = ?
			FROM job_runs r, notify_rules nr LEFT JOIN notify_channels c ON c.id = nr.channel_id
			WHERE a.rule_id = ? AND a.delivery_id IS NULL AND a.skipped_at IS NULL AND r.id = a.run_id AND nr.id = a.rule_id
			  AND (NOT nr.enabled OR c.enabled IS FALSE OR r.status <> ALL(nr.statuses) OR NOT (`+detect.Problem+`))`, now, ruleID); err != nil {
			return fmt.Errorf("notify: flush rule %d: skip: %w", ruleID, err)
		}
		var oldest *time.Time
		if err := tx.NewRaw(`SELECT min(created_at) FROM notify_alerts WHERE rule_id = ? AND delivery_id IS NULL AND skipped_at IS NULL`,
			ruleID).Scan(ctx, &oldest); err != nil {
			return fmt.Errorf("notify: flush rule %d: %w", ruleID, err)
		}
		if oldest == nil || now.Sub(*oldest) < time.Duration(r.GroupMinutes)*time.Minute || !Allowed(r, now, loc) {
			return nil
		}
		target, err := ruleTarget(ctx, tx, r)
		if err != nil || target == "" {
			return err // no target any more (user without mail): wait for one
		}
		msg, err := alertMessage(ctx, tx, ruleID, now, loc, baseURL)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(msg)
		if err != nil {
			return err
		}
		d := &db.NotifyDelivery{Kind: KindAlert, ChannelID: r.ChannelID, UserID: r.UserID, RuleID: &r.ID, Target: target,
			Subject: msg.Title, Message: raw, Status: "queued"}
		if _, err := tx.NewInsert().Model(d).ExcludeColumn("id", "created_at", "updated_at", "sent_at").Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("notify: flush rule %d: delivery: %w", ruleID, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE notify_alerts SET delivery_id = ? WHERE rule_id = ? AND delivery_id IS NULL AND skipped_at IS NULL`,
			d.ID, ruleID); err != nil {
			return fmt.Errorf("notify: flush rule %d: %w", ruleID, err)
		}
		deliveryID = d.ID
		return nil
	})
	return deliveryID, err
}

// ruleTarget names what a rule sends to, for the history: the channel, or the user's
// address ("" when the user has none or is deactivated).
func ruleTarget(ctx context.Context, idb bun.IDB, r *db.NotifyRule) (string, error) {
	var s string
	q := "SELECT name FROM notify_channels WHERE id = ?"
	arg := derefID(r.ChannelID)
	if r.UserID != nil {
		q, arg = "SELECT coalesce(min(email), '') FROM users WHERE id = ? AND is_active AND btrim(email) <> ''", *r.UserID
	}
	if err := idb.NewRaw(q, arg).Scan(ctx, &s); err != nil {
		return "", fmt.Errorf("notify: target of rule %d: %w", r.ID, err)
	}
	return s, nil
}

// alertMessage lists the pending alerts of a rule: counts per status in the title,
// the first MaxListed runs (worst first, then by customer and job) with links.
func alertMessage(ctx context.Context, idb bun.IDB, ruleID int64, now time.Time, loc *time.Location, baseURL string) (Message, error) {
	var counts []struct {
		Status string `bun:"status"`
		N      int    `bun:"n"`
	}
	if err := idb.NewRaw(`
		SELECT r.status, count(*) AS n FROM notify_alerts a JOIN job_runs r ON r.id = a.run_id
		WHERE a.rule_id = ? AND a.delivery_id IS NULL AND a.skipped_at IS NULL
		GROUP BY 1 ORDER BY array_position(ARRAY['Failed', 'Missed', 'Warning'], r.status)`, ruleID).Scan(ctx, &counts); err != nil {
		return Message{}, fmt.Errorf("notify: alert counts: %w", err)
	}
	var runs []struct {
		ID       int64     `bun:"id"`
		JobID    int64     `bun:"job_id"`
		Customer string    `bun:"customer"`
		Job      string    `bun:"job"`
		Status   string    `bun:"status"`
		RunAt    time.Time `bun:"run_at"`
		Message  string    `bun:"message"`
	}
	if err := idb.NewRaw(`
		SELECT r.id, r.job_id, c.name AS customer, j.job_name AS job, r.status, r.run_at, coalesce(r.message, '') AS message
		FROM notify_alerts a JOIN job_runs r ON r.id = a.run_id JOIN jobs j ON j.id = r.job_id JOIN customers c ON c.id = j.customer_id
		WHERE a.rule_id = ? AND a.delivery_id IS NULL AND a.skipped_at IS NULL
		ORDER BY array_position(ARRAY['Failed', 'Missed', 'Warning'], r.status), lower(c.name), lower(j.job_name), r.run_at, r.id
		LIMIT ?`, ruleID, MaxListed).Scan(ctx, &runs); err != nil {
		return Message{}, fmt.Errorf("notify: alert runs: %w", err)
	}
	total := 0
	var parts []string
	for _, c := range counts {
		total += c.N
		parts = append(parts, fmt.Sprintf("%d %s", c.N, c.Status))
	}
	m := Message{Kind: KindAlert, Created: now, URL: link(baseURL, "/runchecks")}
	if total == 1 && len(runs) == 1 {
		m.Title = fmt.Sprintf("Backup %s: %s · %s", strings.ToLower(runs[0].Status), runs[0].Customer, runs[0].Job)
	} else {
		m.Title = fmt.Sprintf("%d new backup problems: %s", total, strings.Join(parts, ", "))
	}
	m.Summary = "New since the last message. Review them in Run Checks."
	sec := Section{Title: "New problems", More: total - len(runs)}
	for _, r := range runs {
		url := link(baseURL, fmt.Sprintf("/jobs/%d", r.JobID))
		text := fmt.Sprintf("%s · %s · %s · %s", r.Status, r.Customer, r.Job, r.RunAt.In(loc).Format("2006-01-02 15:04"))
		if r.Message != "" {
			text += " · " + clip(oneLine(r.Message), 160)
		}
		sec.Lines = append(sec.Lines, Line{Text: text, URL: url})
		m.Runs = append(m.Runs, Run{ID: r.ID, Customer: r.Customer, Job: r.Job, Status: r.Status, RunAt: r.RunAt.UTC(),
			Message: clip(r.Message, 1000), URL: url})
	}
	m.Sections = []Section{sec}
	return m, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
