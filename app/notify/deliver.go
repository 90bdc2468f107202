package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/outbound"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/db"
)

// MaxAttempts is how often a delivery is tried: once and up to four retries.
const MaxAttempts = 5

// RetryDelay is the wait before retry n (1-based): 1, 5, 25 and 125 minutes.
func RetryDelay(n int) time.Duration {
	d := time.Minute
	for range n - 1 {
		d *= 5
	}
	return d
}

// Deliver sends a delivery (attempt is 1-based) and records the outcome: sent, or
// retrying with the error, or failed after the last attempt, which also marks its
// channel failing until a delivery succeeds. It returns the error of a failed attempt
// so that the caller (River) retries. An email target without s.Mailer sends through
// the mail channel of the settings.
func Deliver(ctx context.Context, bdb *bun.DB, keys *secrets.Keyring, s Sender, id int64, attempt int, now time.Time) error {
	d := new(db.NotifyDelivery)
	if err := bdb.NewSelect().Model(d).Where("id = ?", id).Scan(ctx); err != nil {
		if errors.Is(db.NotFound(err), db.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("notify: delivery %d: %w", id, err)
	}
	if d.Status == "sent" || d.Status == "failed" {
		return nil
	}
	sendErr := sendDelivery(ctx, bdb, keys, s, d)
	final := sendErr == nil || attempt >= MaxAttempts
	return record(ctx, bdb, d, attempt, final, sendErr, now)
}

func sendDelivery(ctx context.Context, bdb *bun.DB, keys *secrets.Keyring, s Sender, d *db.NotifyDelivery) error {
	var m Message
	if err := json.Unmarshal(d.Message, &m); err != nil {
		return fmt.Errorf("notify: delivery %d: %w", d.ID, err)
	}
	var t Target
	switch {
	case d.ChannelID != nil:
		ch, err := GetChannel(ctx, bdb, *d.ChannelID)
		if err != nil {
			return err
		}
		if t, err = TargetOf(ch, keys); err != nil {
			return err
		}
	case d.UserID != nil:
		var email string
		if err := bdb.NewRaw("SELECT email FROM users WHERE id = ? AND is_active", *d.UserID).Scan(ctx, &email); err != nil || email == "" {
			return errors.New("the user has no mail address any more, or was deactivated")
		}
		t = Target{Kind: ChannelEmail, Recipients: []string{email}}
	default:
		return errors.New("the channel of this delivery was deleted")
	}
	if t.Kind == ChannelEmail && s.Mailer == nil {
		mailer, err := outbound.FromSettings(ctx, bdb, keys)
		if err != nil {
			return err
		}
		s.Mailer = mailer
	}
	return s.Send(ctx, t, d.ID, d.Subject, m)
}

// record stores the attempt's outcome and, when final, the channel's health.
func record(ctx context.Context, bdb *bun.DB, d *db.NotifyDelivery, attempt int, final bool, sendErr error, now time.Time) error {
	status, msg := "sent", ""
	switch {
	case sendErr != nil && final:
		status, msg = "failed", sendErr.Error()
	case sendErr != nil:
		status, msg = "retrying", sendErr.Error()
	}
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewUpdate().Model(d).Set("status = ?", status).Set("attempts = ?", attempt).Set("last_error = ?", clip(msg, 1000)).
			Set("updated_at = ?", now).WherePK()
		if status == "sent" {
			q = q.Set("sent_at = ?", now)
		}
		if _, err := q.Exec(ctx); err != nil {
			return fmt.Errorf("notify: record delivery %d: %w", d.ID, err)
		}
		if !final || d.ChannelID == nil {
			return nil
		}
		var err error
		if status == "sent" {
			_, err = tx.ExecContext(ctx, "UPDATE notify_channels SET consecutive_failures = 0, last_success_at = ? WHERE id = ?", now, *d.ChannelID)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE notify_channels SET consecutive_failures = consecutive_failures + 1,
				last_error = ?, last_failure_at = ? WHERE id = ?`, clip(msg, 1000), now, *d.ChannelID)
		}
		if err != nil {
			return fmt.Errorf("notify: channel health: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return sendErr
}

// SendTest sends a test message to a channel now, once, records it as a delivery
// like any other, audits it and returns the outcome for the page.
func SendTest(ctx context.Context, bdb *bun.DB, keys *secrets.Keyring, s Sender, actor audit.Actor, channelID int64,
	now time.Time, baseURL string) error {
	ch, err := GetChannel(ctx, bdb, channelID)
	if err != nil {
		return err
	}
	m := Message{Kind: KindTest, Created: now, URL: link(baseURL, "/"),
		Title:   "Test message from Backupchecks",
		Summary: fmt.Sprintf("%s sent this test to the channel %q. Alerts and digests will arrive like this.", actor.Name, ch.Name)}
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	d := &db.NotifyDelivery{Kind: KindTest, ChannelID: &ch.ID, Target: ch.Name, Subject: m.Title, Message: raw,
		Status: "retrying"} // never "queued": the flush's sweep must not send it a second time
	err = bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(d).ExcludeColumn("id", "created_at", "updated_at", "sent_at").Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("notify: test delivery: %w", err)
		}
		return audit.Record(ctx, tx, actor, AuditTestSent, fmt.Sprintf("channel %d", ch.ID), map[string]any{"name": ch.Name})
	})
	if err != nil {
		return err
	}
	return record(ctx, bdb, d, 1, true, sendDelivery(ctx, bdb, keys, s, d), now)
}

// Delivery is a row of the delivery history.
type Delivery struct {
	db.NotifyDelivery `bun:",extend"`
	Alerts            int `bun:"alerts"`
}

// DeliveryPage is one page of the history, newest first.
type DeliveryPage struct {
	Rows  []Delivery
	Total int
	Page  int
}

// Deliveries reads page (1-based) of the delivery history.
func Deliveries(ctx context.Context, idb bun.IDB, page int) (DeliveryPage, error) {
	if page < 1 {
		page = 1
	}
	p := DeliveryPage{Page: page}
	n, err := idb.NewSelect().Model(&p.Rows).
		ColumnExpr("notify_delivery.id, notify_delivery.kind, notify_delivery.channel_id, notify_delivery.user_id, notify_delivery.rule_id").
		ColumnExpr("notify_delivery.target, notify_delivery.subject, notify_delivery.status, notify_delivery.attempts, notify_delivery.last_error").
		ColumnExpr("notify_delivery.created_at, notify_delivery.sent_at, notify_delivery.updated_at").
		ColumnExpr("(SELECT count(*) FROM notify_alerts a WHERE a.delivery_id = notify_delivery.id) AS alerts").
		OrderExpr("notify_delivery.created_at DESC, notify_delivery.id DESC").
		Limit(DeliveriesPage).Offset(int64((page - 1) * DeliveriesPage)).ScanAndCount(ctx)
	if err != nil {
		return p, fmt.Errorf("notify: deliveries: %w", err)
	}
	p.Total = int(n)
	return p, nil
}

// QueuedDeliveries lists deliveries made but never attempted (the flush enqueues them
// again if the process stopped between making and enqueueing them).
func QueuedDeliveries(ctx context.Context, idb bun.IDB) ([]int64, error) {
	var ids []int64
	if err := idb.NewRaw("SELECT id FROM notify_deliveries WHERE status = 'queued' ORDER BY id LIMIT 1000").Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("notify: queued deliveries: %w", err)
	}
	return ids, nil
}
