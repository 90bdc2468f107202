package inbox

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/validation"
)

// MaxPurgeDays bounds the age asked for by PurgeDeletedOlderThan (ten years).
const MaxPurgeDays = 3650

// PurgeDeletedOlderThan deletes for good the soft-deleted mails deleted more than days
// ago (0: every deleted mail), with their parsed objects and inline parts; runs made
// from them keep their data without the mail. One statement, audited with the count.
func PurgeDeletedOlderThan(ctx context.Context, bdb *bun.DB, actor audit.Actor, days int, now time.Time) (int, error) {
	if days < 0 || days > MaxPurgeDays {
		return 0, validation.Errors{"days": fmt.Sprintf("enter a number of days from 0 to %d", MaxPurgeDays)}
	}
	var n int64
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM mail_messages
			WHERE location = 'deleted' AND job_id IS NULL AND coalesce(deleted_at, updated_at) < ?`, now.AddDate(0, 0, -days))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return audit.Record(ctx, tx, actor, "mail.purged", "", map[string]any{"older_than_days": days, "count": n})
	})
	if err != nil {
		return 0, fmt.Errorf("inbox: purge deleted mails: %w", err)
	}
	return int(n), nil
}

// CountDeleted counts the soft-deleted mails (Deleted mails).
func CountDeleted(ctx context.Context, idb bun.IDB) (int, error) {
	var n int
	if err := idb.NewRaw("SELECT count(*) FROM mail_messages WHERE location = 'deleted' AND job_id IS NULL").Scan(ctx, &n); err != nil {
		return 0, fmt.Errorf("inbox: count deleted: %w", err)
	}
	return n, nil
}
