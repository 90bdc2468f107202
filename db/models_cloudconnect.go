package db

import (
	"time"

	"github.com/uptrace/bun"
)

// CloudConnectAccount is one tenant repository of a Veeam Cloud Connect report, keyed
// by (UserName, Section, RepoName), with the figures of the latest report listing it;
// JobID is the job it is linked to.
type CloudConnectAccount struct {
	bun.BaseModel `bun:"table:cloud_connect_accounts"`

	ID             int64      `bun:"id,pk,autoincrement"`
	UserName       string     `bun:"user_name"`
	Section        string     `bun:"section"`
	RepoName       string     `bun:"repo_name"`
	JobID          *int64     `bun:"job_id"`
	Repository     string     `bun:"repository"`
	Machines       string     `bun:"machines"`
	QuotaText      string     `bun:"quota_text"`
	UsedText       string     `bun:"used_text"`
	FreeText       string     `bun:"free_text"`
	QuotaBytes     *int64     `bun:"quota_bytes"`
	UsedBytes      *int64     `bun:"used_bytes"`
	FreeBytes      *int64     `bun:"free_bytes"`
	LastActive     string     `bun:"last_active"`
	LastActiveAt   *time.Time `bun:"last_active_at"`
	Expiry         string     `bun:"expiry"`
	Colour         string     `bun:"colour"`
	ReportedStatus *string    `bun:"reported_status"`
	Status         *string    `bun:"status"`
	Message        string     `bun:"message"`
	LastMailID     *int64     `bun:"last_mail_id"`
	LastResultAt   *time.Time `bun:"last_result_at"`
	FirstSeenAt    time.Time  `bun:"first_seen_at,nullzero,default:now()"`
	LastSeenAt     time.Time  `bun:"last_seen_at,nullzero,default:now()"`
	CreatedAt      time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt      time.Time  `bun:"updated_at,nullzero,default:now()"`
}
