package db

import (
	"encoding/json"
	"time"

	"github.com/uptrace/bun"
)

// NotifyChannel is where notifications go (migration 0025): a mail list, a Teams or
// Slack webhook, or a signed generic webhook. URL and Secret are encrypted.
type NotifyChannel struct {
	bun.BaseModel `bun:"table:notify_channels"`

	ID                  int64      `bun:"id,pk,autoincrement"`
	Name                string     `bun:"name"`
	Kind                string     `bun:"kind"`
	Recipients          []string   `bun:"recipients,array"`
	URL                 []byte     `bun:"url"`
	Secret              []byte     `bun:"secret"`
	DigestTime          *string    `bun:"digest_time"` // HH:MM:SS local, nil for none
	Enabled             bool       `bun:"enabled"`
	ConsecutiveFailures int        `bun:"consecutive_failures"`
	LastError           string     `bun:"last_error"`
	LastFailureAt       *time.Time `bun:"last_failure_at"`
	LastSuccessAt       *time.Time `bun:"last_success_at"`
	CreatedAt           time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt           time.Time  `bun:"updated_at,nullzero,default:now()"`
}

// NotifyRule says which new problem runs alert a channel, or (UserID set) a user's
// own subscription.
type NotifyRule struct {
	bun.BaseModel `bun:"table:notify_rules"`

	ID           int64     `bun:"id,pk,autoincrement"`
	Name         string    `bun:"name"`
	ChannelID    *int64    `bun:"channel_id"`
	UserID       *int64    `bun:"user_id"`
	Statuses     []string  `bun:"statuses,array"`
	CustomerIDs  []int64   `bun:"customer_ids,array"`
	JobIDs       []int64   `bun:"job_ids,array"`
	GroupMinutes int       `bun:"group_minutes"`
	QuietFrom    *string   `bun:"quiet_from"`
	QuietTo      *string   `bun:"quiet_to"`
	WorkingDays  []int16   `bun:"working_days,array"`
	Enabled      bool      `bun:"enabled"`
	CreatedAt    time.Time `bun:"created_at,nullzero,default:now()"`
	UpdatedAt    time.Time `bun:"updated_at,nullzero,default:now()"`
}

// NotifyDelivery is one message to one target and its outcome.
type NotifyDelivery struct {
	bun.BaseModel `bun:"table:notify_deliveries"`

	ID         int64           `bun:"id,pk,autoincrement"`
	Kind       string          `bun:"kind"`
	ChannelID  *int64          `bun:"channel_id"`
	UserID     *int64          `bun:"user_id"`
	RuleID     *int64          `bun:"rule_id"`
	Target     string          `bun:"target"`
	Subject    string          `bun:"subject"`
	Message    json.RawMessage `bun:"message,type:jsonb"`
	DigestDate *time.Time      `bun:"digest_date,type:date"`
	Status     string          `bun:"status,nullzero,default:'queued'"`
	Attempts   int             `bun:"attempts"`
	LastError  string          `bun:"last_error"`
	CreatedAt  time.Time       `bun:"created_at,nullzero,default:now()"`
	UpdatedAt  time.Time       `bun:"updated_at,nullzero,default:now()"`
	SentAt     *time.Time      `bun:"sent_at"`
}
