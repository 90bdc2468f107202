package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// Subscription is what a user chose on the profile page: alerts by mail for the
// customers they look after, and the daily digest.
type Subscription struct {
	Alerts      bool
	Statuses    []string
	CustomerIDs []int64
	Digest      bool
	DigestTime  string // HH:MM
}

// GetSubscription reads a user's subscription (defaults when none).
func GetSubscription(ctx context.Context, idb bun.IDB, userID int64) (Subscription, error) {
	s := Subscription{Statuses: []string{"Failed", "Missed"}, DigestTime: "07:30"}
	r := new(db.NotifyRule)
	err := idb.NewSelect().Model(r).Where("user_id = ?", userID).Scan(ctx)
	switch {
	case err == nil:
		s.Alerts, s.Statuses, s.CustomerIDs = r.Enabled, r.Statuses, r.CustomerIDs
	case !errors.Is(db.NotFound(err), db.ErrNotFound):
		return s, fmt.Errorf("notify: subscription of %d: %w", userID, err)
	}
	var t *string
	if err := idb.NewRaw("SELECT to_char(digest_time, 'HH24:MI') FROM notify_digest_subscriptions WHERE user_id = ?", userID).
		Scan(ctx, &t); err != nil && !errors.Is(db.NotFound(err), db.ErrNotFound) {
		return s, fmt.Errorf("notify: digest subscription of %d: %w", userID, err)
	}
	if t != nil {
		s.Digest, s.DigestTime = true, *t
	}
	return s, nil
}

// SaveSubscription stores a user's own subscription, audited. Alerts use the rule
// machinery (grouped every 15 minutes) and go to the user's mail address.
func SaveSubscription(ctx context.Context, bdb *bun.DB, actor audit.Actor, userID int64, in Subscription) error {
	errs := validation.Errors{}
	var email string
	if err := bdb.NewRaw("SELECT email FROM users WHERE id = ?", userID).Scan(ctx, &email); err != nil {
		return fmt.Errorf("notify: subscription: %w", db.NotFound(err))
	}
	if (in.Alerts || in.Digest) && strings.TrimSpace(email) == "" {
		errs.Add("subscription", "your account has no mail address; ask an administrator to add one")
	}
	row := db.NotifyRule{UserID: &userID, Name: "", GroupMinutes: 15}
	ruleFields(RuleInput{Statuses: in.Statuses, CustomerIDs: in.CustomerIDs, GroupMinutes: "15",
		WorkingDays: []int{1, 2, 3, 4, 5, 6, 7}, Enabled: in.Alerts}, &row, errs)
	if !in.Alerts {
		delete(errs, "statuses")
		if len(row.Statuses) == 0 {
			row.Statuses = []string{"Failed", "Missed"}
		}
	}
	dt := strings.TrimSpace(in.DigestTime)
	if in.Digest {
		if _, err := time.Parse("15:04", dt); err != nil {
			errs.Add("digest_time", "enter a time as HH:MM")
		}
	}
	if err := errs.Err(); err != nil {
		return err
	}
	return bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&row).ExcludeColumn("id", "created_at", "updated_at").
			On("CONFLICT (user_id) WHERE user_id IS NOT NULL DO UPDATE").
			Set("statuses = EXCLUDED.statuses, customer_ids = EXCLUDED.customer_ids, enabled = EXCLUDED.enabled, updated_at = now()").
			Exec(ctx); err != nil {
			return fmt.Errorf("notify: save subscription: %w", err)
		}
		var err error
		if in.Digest {
			_, err = tx.ExecContext(ctx, `INSERT INTO notify_digest_subscriptions (user_id, digest_time) VALUES (?, ?::time)
				ON CONFLICT (user_id) DO UPDATE SET digest_time = EXCLUDED.digest_time`, userID, dt)
		} else {
			_, err = tx.ExecContext(ctx, "DELETE FROM notify_digest_subscriptions WHERE user_id = ?", userID)
		}
		if err != nil {
			return fmt.Errorf("notify: save digest subscription: %w", err)
		}
		details := map[string]any{"alerts": in.Alerts, "statuses": row.Statuses, "customer_ids": row.CustomerIDs, "digest": in.Digest}
		if in.Digest {
			details["digest_time"] = dt
		}
		return audit.Record(ctx, tx, actor, AuditSubscription, fmt.Sprintf("user %d", userID), details)
	})
}
