package cloudconnect

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/db"
)

// RunRow is the report row a Cloud Connect run was made from: its account and its
// figures, for the run dialog. The provider's mail lists every tenant; only this row
// of it is ever shown with the run.
type RunRow struct {
	User           string     `bun:"user_name"`
	Section        string     `bun:"section"`
	RepoName       string     `bun:"repo_name"`
	Repository     string     `bun:"repository"`
	Machines       string     `bun:"machines"`
	QuotaText      string     `bun:"quota_text"`
	UsedText       string     `bun:"used_text"`
	FreeText       string     `bun:"free_text"`
	QuotaBytes     *int64     `bun:"quota_bytes"`
	UsedBytes      *int64     `bun:"used_bytes"`
	LastActive     string     `bun:"last_active"`
	Expiry         string     `bun:"expiry"`
	Colour         string     `bun:"colour"`
	ReportedStatus string     `bun:"reported_status"`
	Status         string     `bun:"status"`
	Message        string     `bun:"message"`
	ReceivedAt     time.Time  `bun:"received_at"`
	ReportDate     time.Time  `bun:"report_date"`
	From           string     `bun:"from_address"`
	Subject        string     `bun:"subject"`
	LastActiveAt   *time.Time `bun:"last_active_at"`
}

// ForRun returns the stored report row of a Cloud Connect run: the row of the run's
// report mail that made its external id (the account linked to the run's job first,
// should two repositories' names read alike). nil when the run is not a Cloud Connect
// run or its report was purged.
func ForRun(ctx context.Context, idb bun.IDB, runID int64) (*RunRow, error) {
	r := new(RunRow)
	err := idb.NewRaw(`
		SELECT a.user_name, a.section, a.repo_name, x.repository, x.machines, x.quota_text, x.used_text, x.free_text,
		       x.quota_bytes, x.used_bytes, x.last_active, x.last_active_at, x.expiry, x.colour, x.reported_status,
		       x.status, x.message, x.received_at, x.report_date,
		       coalesce(m.from_address, '') AS from_address, coalesce(m.subject, '') AS subject
		FROM job_runs jr
		JOIN cloud_connect_report_rows x ON x.mail_message_id = jr.mail_message_id AND x.external_id = jr.external_id
		JOIN cloud_connect_accounts a ON a.id = x.account_id
		JOIN mail_messages m ON m.id = x.mail_message_id
		WHERE jr.id = ? AND jr.source_type = 'cloud_connect'
		ORDER BY a.job_id = jr.job_id DESC NULLS LAST
		LIMIT 1`, runID).Scan(ctx, r)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cloudconnect: report row of run %d: %w", runID, err)
	}
	return r, nil
}
