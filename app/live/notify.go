// Package live carries change events to the pages that show them live (Inbox, Run
// Checks, Daily Jobs). Writers call Notify inside their transaction; PostgreSQL
// delivers the NOTIFY on commit to every replica's Hub, which fans it out over SSE.
package live

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/uptrace/bun"
)

// Channel is the PostgreSQL LISTEN/NOTIFY channel of all live events.
const Channel = "backupchecks_live"

// Topics of events.
const (
	TopicInbox = "inbox" // mail arrived, was processed, approved or deleted
	TopicRuns  = "runs"  // job runs created or changed
	TopicTasks = "tasks" // progress of a background task (import, re-parse)
)

// Event is one change. IDs are the rows concerned (may be empty for "reload").
type Event struct {
	Topic string  `json:"topic"`
	IDs   []int64 `json:"ids,omitempty"`
}

// maxIDs keeps a payload well under PostgreSQL's 8000-byte NOTIFY limit; beyond it the
// event carries no ids and listeners reload.
const maxIDs = 200

// Notify queues ev; it is delivered when idb's transaction commits (at once outside one).
func Notify(ctx context.Context, idb bun.IDB, ev Event) error {
	payload, err := Encode(ev)
	if err != nil {
		return err
	}
	if _, err := idb.ExecContext(ctx, "SELECT pg_notify(?, ?)", Channel, payload); err != nil {
		return fmt.Errorf("live: notify %s: %w", ev.Topic, err)
	}
	return nil
}

// Encode is ev as the NOTIFY payload on Channel, for a writer that cannot use Notify
// (it holds a pgx transaction, not bun): an event with more than maxIDs ids carries
// none, and listeners reload.
func Encode(ev Event) (string, error) {
	if len(ev.IDs) > maxIDs {
		ev.IDs = nil
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return "", fmt.Errorf("live: encode event: %w", err)
	}
	return string(b), nil
}
