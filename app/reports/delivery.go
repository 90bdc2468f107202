package reports

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/mail/graph"
	"github.com/backupchecks/backupchecks/app/outbound"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/db"
)

// Mailer sends a report mail: the shared outbound mailer.
type Mailer = outbound.Mailer

// MailerFromSettings builds the mailer of the mail channel chosen under Settings →
// Reporting (outbound owns it; notifications send through the same).
func MailerFromSettings(ctx context.Context, idb bun.IDB, keys *secrets.Keyring) (Mailer, error) {
	return outbound.FromSettings(ctx, idb, keys)
}

// PlanDeliveries records the mails due at now for every scheduled definition whose
// period has ended (one per customer with recipients, the MSP copies in Bcc), moves
// each definition on to its next period and returns the new deliveries' ids. Running
// it twice records nothing twice.
func PlanDeliveries(ctx context.Context, bdb *bun.DB, channel string, now time.Time, loc *time.Location) ([]int64, error) {
	today := DayOf(now.In(loc))
	var defs []db.ReportDefinition
	if err := bdb.NewSelect().Model(&defs).Where("schedule <> 'none' AND next_period_from IS NOT NULL").
		Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("reports: plan deliveries: %w", err)
	}
	var ids []int64
	for _, def := range defs {
		d := Definition{ReportDefinition: def}
		for {
			r := ScheduledRange(d.Schedule, DayOf(*d.NextPeriodFrom))
			if !r.To.Before(today) {
				break // the period has not ended yet
			}
			got, err := planOne(ctx, bdb, &d, r, channel, loc)
			if err != nil {
				return ids, err
			}
			ids = append(ids, got...)
			next := r.To.AddDays(1).utc()
			d.NextPeriodFrom = &next
		}
	}
	return ids, nil
}

func planOne(ctx context.Context, bdb *bun.DB, d *Definition, r Range, channel string, loc *time.Location) ([]int64, error) {
	var ids []int64
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// The definition is moved on only by the transaction that planned its period.
		res, err := tx.NewUpdate().Model((*db.ReportDefinition)(nil)).Set("next_period_from = ?", r.To.AddDays(1).utc()).
			Where("id = ? AND next_period_from = ?", d.ID, r.From.utc()).Exec(ctx)
		if err != nil {
			return fmt.Errorf("reports: plan %d: %w", d.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // planned by another replica, or edited meanwhile
		}
		customers, err := Customers(ctx, tx, d.Scope(r, loc))
		if err != nil {
			return err
		}
		if len(customers) == 0 {
			return nil
		}
		cids := make([]int64, len(customers))
		for i, c := range customers {
			cids[i] = c.ID
		}
		return tx.NewRaw(`
			WITH msp AS (SELECT coalesce(array_agg(email ORDER BY lower(email)), '{}') AS bcc
			             FROM report_recipients WHERE definition_id = ? AND customer_id IS NULL),
			     per AS (SELECT c.id, c.name,
			                    coalesce((SELECT array_agg(email ORDER BY lower(email)) FROM report_recipients rr
			                              WHERE rr.definition_id = ? AND rr.customer_id = c.id), '{}') AS "to"
			             FROM customers c WHERE c.id = ANY(?))
			INSERT INTO report_deliveries (definition_id, customer_id, customer_name, recipients, period_from, period_to, channel)
			SELECT ?, per.id, per.name, per."to" || msp.bcc, ?, ?, ?
			FROM per, msp
			WHERE cardinality(per."to") + cardinality(msp.bcc) > 0
			ON CONFLICT DO NOTHING
			RETURNING id`, d.ID, d.ID, pgArray(cids), d.ID, r.From.utc(), r.To.utc(), channel).Scan(ctx, &ids)
	})
	return ids, err
}

// MaxAttempts is how often a delivery is tried: once and up to three retries.
const MaxAttempts = 4

// RetryDelay is the wait before retry n (1-based): 1, 5 and 25 minutes.
func RetryDelay(n int) time.Duration {
	d := time.Minute
	for range n - 1 {
		d *= 5
	}
	return d
}

// SendDelivery builds the customer's PDF of a planned delivery and mails it: the
// customer's recipients in To, the MSP copies in Bcc. It records the attempt, audits
// the outcome when the mail went out or the last attempt failed, and returns the
// error of a failed attempt so that the caller retries.
func SendDelivery(ctx context.Context, bdb *bun.DB, mailer Mailer, deliveryID int64, attempt int, now time.Time) error {
	dl := new(db.ReportDelivery)
	if err := bdb.NewSelect().Model(dl).Where("id = ?", deliveryID).Scan(ctx); err != nil {
		if errors.Is(db.NotFound(err), db.ErrNotFound) {
			return nil // its definition was deleted meanwhile: nothing to send
		}
		return fmt.Errorf("reports: delivery %d: %w", deliveryID, err)
	}
	if dl.Status == "sent" {
		return nil
	}
	sendErr := sendOne(ctx, bdb, mailer, dl, now)
	final := sendErr == nil || attempt >= MaxAttempts
	status, msg := "sent", ""
	switch {
	case sendErr != nil && final:
		status, msg = "failed", sendErr.Error()
	case sendErr != nil:
		status, msg = "retrying", sendErr.Error()
	}
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewUpdate().Model(dl).Set("status = ?", status).Set("attempts = ?", attempt).Set("last_error = ?", msg).
			Set("updated_at = now()").WherePK()
		if status == "sent" {
			q = q.Set("sent_at = ?", now)
		}
		if _, err := q.Exec(ctx); err != nil {
			return fmt.Errorf("reports: record delivery %d: %w", dl.ID, err)
		}
		if !final {
			return nil
		}
		action := AuditDelivered
		if status == "failed" {
			action = AuditFailed
		}
		return audit.Record(ctx, tx, audit.Actor{Name: "scheduled delivery"}, action, fmt.Sprintf("report %d", dl.DefinitionID),
			map[string]any{"customer": dl.CustomerName, "recipients": dl.Recipients, "period": DayOf(dl.PeriodFrom).String() + " – " + DayOf(dl.PeriodTo).String(),
				"channel": dl.Channel, "attempts": attempt, "error": msg})
	})
	if err != nil {
		return err
	}
	return sendErr
}

func sendOne(ctx context.Context, bdb *bun.DB, mailer Mailer, dl *db.ReportDelivery, now time.Time) error {
	if dl.CustomerID == nil {
		return errors.New("the customer of this delivery was deleted")
	}
	d, err := GetDefinition(ctx, bdb, dl.DefinitionID)
	if err != nil {
		return err
	}
	sys, err := settings.Load(ctx, bdb)
	if err != nil {
		return err
	}
	loc := settings.Location(sys)
	rs, err := LoadSettings(ctx, bdb, nil)
	if err != nil {
		return err
	}
	r := Range{Kind: ScheduledRange(d.Schedule, DayOf(dl.PeriodFrom)).Kind, From: DayOf(dl.PeriodFrom), To: DayOf(dl.PeriodTo)}
	s := d.Scope(r, loc)
	s.AllCustomers, s.CustomerIDs = false, []int64{*dl.CustomerID}
	data, file, err := RenderToBuffer(ctx, bdb, s, NewDocument(rs.Branding, loc, now, d.Content()), d.Name, FormatPDF, nil)
	if err != nil {
		return err
	}
	var to, bcc []string
	var mine []string
	if err := bdb.NewRaw("SELECT email FROM report_recipients WHERE definition_id = ? AND customer_id = ?", d.ID, *dl.CustomerID).
		Scan(ctx, &mine); err != nil {
		return fmt.Errorf("reports: recipients: %w", err)
	}
	for _, a := range dl.Recipients {
		if containsFold(mine, a) {
			to = append(to, a)
		} else {
			bcc = append(bcc, a)
		}
	}
	if len(to) == 0 {
		to, bcc = bcc, nil // only MSP copies: they are the addressees
	}
	sender := rs.CompanyName
	if sender == "" {
		sender = "your backup provider"
	}
	body := fmt.Sprintf("Hello,\n\nAttached is the backup report of %s for %s (%s).\n\n%s\n\nThis mail was sent by %s.\n",
		dl.CustomerName, r.String(), PeriodLabel(r.Kind), rs.FooterText, sender)
	return mailer.Send(ctx, graph.OutgoingMail{To: to, Bcc: bcc,
		Subject:     fmt.Sprintf("Backup report %s · %s", dl.CustomerName, r.String()),
		Body:        body,
		Attachments: []graph.Attachment{{Name: file.Name, ContentType: "application/pdf", Data: data}}})
}

func containsFold(xs []string, s string) bool {
	for _, x := range xs {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// Deliveries is the delivery history of a definition, newest first.
func Deliveries(ctx context.Context, idb bun.IDB, definitionID int64, limit int) ([]db.ReportDelivery, error) {
	var out []db.ReportDelivery
	if err := idb.NewSelect().Model(&out).Where("definition_id = ?", definitionID).Order("created_at DESC", "id DESC").
		Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("reports: deliveries of %d: %w", definitionID, err)
	}
	return out, nil
}

// QueuedDeliveries lists deliveries planned but never attempted (a sweep enqueues them
// again if the process stopped between planning and enqueueing).
func QueuedDeliveries(ctx context.Context, idb bun.IDB) ([]int64, error) {
	var ids []int64
	if err := idb.NewRaw("SELECT id FROM report_deliveries WHERE status = 'queued' ORDER BY id LIMIT 1000").Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("reports: queued deliveries: %w", err)
	}
	return ids, nil
}

// LastDeliveries is when each definition last had a mail sent.
func LastDeliveries(ctx context.Context, idb bun.IDB) (map[int64]time.Time, error) {
	var rows []struct {
		DefinitionID int64
		At           time.Time
	}
	if err := idb.NewRaw("SELECT definition_id, max(sent_at) AS at FROM report_deliveries WHERE sent_at IS NOT NULL GROUP BY 1").
		Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("reports: last deliveries: %w", err)
	}
	out := make(map[int64]time.Time, len(rows))
	for _, r := range rows {
		out[r.DefinitionID] = r.At
	}
	return out, nil
}
