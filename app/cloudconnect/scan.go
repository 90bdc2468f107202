package cloudconnect

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/parsers"
)

// ScanResult is what ScanInbox found.
type ScanResult struct {
	Reports  int // Cloud Connect report mails read
	Found    int // of them, Inbox mails recognised only now (imported before, or parsed otherwise)
	Runs     int // runs of linked accounts made or updated
	Accounts int // accounts after the scan
	Unlinked int // of them, not linked to a job
}

// scanBatch is how many reports one transaction reads.
const scanBatch = 50

// ScanInbox reads every stored Cloud Connect report that is not deleted again: the
// Inbox mails that look like one but were not recognised (imported before the parser
// existed, or read by another parser) are parsed again first (ingest.ReparseMails, which
// hands the reports over); then every report mail is staged again with the current
// rules (StageReports), in batches, and leaves the Inbox. Safe to repeat: accounts,
// rows and runs are keyed, and a run's result is only replaced.
func ScanInbox(ctx context.Context, bdb *bun.DB, reg *parsers.Registry, now time.Time) (ScanResult, error) {
	var res ScanResult
	var maybe []int64
	if err := bdb.NewRaw(`SELECT id FROM mail_messages
		WHERE job_id IS NULL AND location = 'inbox' AND parser_name IS DISTINCT FROM ?
		  AND html_body ILIKE '%18px%' AND html_body ILIKE '%quota%' ORDER BY id`, parsers.CloudConnectParser).Scan(ctx, &maybe); err != nil {
		return res, fmt.Errorf("cloudconnect: scan: find unrecognised reports: %w", err)
	}
	if len(maybe) > 0 {
		r, err := ingest.ReparseMails(ctx, bdb, reg, maybe, now, nil)
		if err != nil {
			return res, err
		}
		res.Found = r.AccountReports
	}
	var ids []int64
	if err := bdb.NewRaw(`SELECT id FROM mail_messages
		WHERE parser_name = ? AND parsed_status IS NOT NULL AND job_id IS NULL AND location <> 'deleted'
		ORDER BY received_at, id`, parsers.CloudConnectParser).Scan(ctx, &ids); err != nil {
		return res, fmt.Errorf("cloudconnect: scan: find reports: %w", err)
	}
	res.Reports = len(ids)
	for from := 0; from < len(ids); from += scanBatch {
		batch := ids[from:min(from+scanBatch, len(ids))]
		err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			n, err := stage(ctx, tx, batch)
			if err != nil {
				return err
			}
			res.Runs += n
			if _, err := tx.ExecContext(ctx, `UPDATE mail_messages SET location = 'processed', updated_at = now()
				WHERE id IN (?) AND location = 'inbox'`, bun.In(batch)); err != nil {
				return fmt.Errorf("cloudconnect: scan: reports out of the Inbox: %w", err)
			}
			return nil
		})
		if err != nil {
			return res, err
		}
	}
	if err := bdb.NewRaw(`SELECT count(*), count(*) FILTER (WHERE job_id IS NULL) FROM cloud_connect_accounts`).
		Scan(ctx, &res.Accounts, &res.Unlinked); err != nil {
		return res, fmt.Errorf("cloudconnect: scan: count accounts: %w", err)
	}
	return res, nil
}
