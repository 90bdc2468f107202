package background_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/background"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

type pingArgs struct {
	N        int    `json:"n"`
	Password string `json:"password"`
}

func (pingArgs) Kind() string { return "ping" }

type pongArgs struct{}

func (pongArgs) Kind() string { return "pong" }

// client is an insert-only River client: nothing works the jobs, so their states are
// what the test sets.
func client(t *testing.T, d *db.DB) *river.Client[pgx.Tx] {
	t.Helper()
	c, err := river.NewClient(riverpgxv5.New(d.Pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLoadListRetryCancel(t *testing.T) {
	d := dbtest.New(t)
	ctx := t.Context()
	c := client(t, d)
	var ids []int64
	for i := range 5 {
		res, err := c.Insert(ctx, pingArgs{N: i, Password: "hunter2"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Job.ID)
	}
	if _, err := c.Insert(ctx, pongArgs{}, &river.InsertOpts{Queue: "slow"}); err != nil {
		t.Fatal(err)
	}
	// The first ping failed for good, the second completed.
	now := time.Now().UTC()
	if _, err := d.Pool.Exec(ctx, `UPDATE river_job SET state = 'discarded', attempt = 3, max_attempts = 3,
		attempted_at = $2, finalized_at = $3,
		errors = ARRAY['{"at":"2026-01-01T00:00:00Z","attempt":2,"error":"first"}'::jsonb, '{"at":"2026-01-01T00:01:00Z","attempt":3,"error":"mailbox refused the login"}'::jsonb]
		WHERE id = $1`, ids[0], now.Add(-3*time.Second), now); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Pool.Exec(ctx, `UPDATE river_job SET state = 'completed', attempt = 1, attempted_at = $2, finalized_at = $2 WHERE id = $1`,
		ids[1], now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}

	o, err := background.Load(ctx, d.Bun, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Kinds) != 2 || o.Kinds[0].Kind != "ping" || o.Kinds[1].Kind != "pong" {
		t.Fatalf("kinds %+v", o.Kinds)
	}
	ping := o.Kinds[0]
	if ping.Counts["available"] != 3 || ping.Counts["discarded"] != 1 || ping.Counts["completed"] != 1 {
		t.Errorf("ping counts %v", ping.Counts)
	}
	if ping.LastState != "discarded" || ping.LastError != "mailbox refused the login" {
		t.Errorf("ping last finished %q with %q, want discarded with the last attempt's error", ping.LastState, ping.LastError)
	}
	var slow *background.Queue
	for i, q := range o.Queues {
		if q.Name == "slow" {
			slow = &o.Queues[i]
		}
	}
	if slow == nil || slow.Counts["available"] != 1 {
		t.Fatalf("queues %+v: want slow with one available job", o.Queues)
	}

	// Two pages of three, newest first; the filter by kind and state; secrets redacted.
	p1, err := background.List(ctx, c, background.Filter{Limit: 3, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(p1.Jobs) != 3 || p1.Next == "" || p1.Jobs[0].Kind != "pong" {
		t.Fatalf("first page %+v", p1)
	}
	p2, err := background.List(ctx, c, background.Filter{Limit: 3, After: p1.Next, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(p2.Jobs) != 3 || p2.Next != "" || p2.Jobs[2].ID != ids[0] {
		t.Fatalf("second page %+v", p2)
	}
	failed := p2.Jobs[2]
	if strings.Contains(failed.Args, "hunter2") || !strings.Contains(failed.Args, `"n":0`) {
		t.Errorf("args %s: want the password redacted and the rest shown", failed.Args)
	}
	if len(failed.Errors) != 2 || failed.Errors[0].Error != "mailbox refused the login" || failed.Duration != 3*time.Second {
		t.Errorf("failed job errors %+v, duration %v", failed.Errors, failed.Duration)
	}
	if !failed.CanRetry() || failed.CanCancel() {
		t.Errorf("a discarded job: retry %v cancel %v, want retry only", failed.CanRetry(), failed.CanCancel())
	}
	only, err := background.List(ctx, c, background.Filter{Kind: "ping", State: "available", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(only.Jobs) != 3 {
		t.Errorf("ping/available: %d jobs, want 3", len(only.Jobs))
	}
	for _, bad := range []background.Filter{{State: "exploded"}, {After: "%%%"}} {
		if _, err := background.List(ctx, c, bad); !errors.Is(err, background.ErrBadFilter) {
			t.Errorf("filter %+v: err %v, want ErrBadFilter", bad, err)
		}
	}

	actor := audit.Actor{ID: 0, Name: "admin"}
	j, err := background.Retry(ctx, d.Bun, c, actor, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if j.State != "available" {
		t.Errorf("retried job is %s, want available", j.State)
	}
	j, err = background.Cancel(ctx, d.Bun, c, actor, ids[2])
	if err != nil {
		t.Fatal(err)
	}
	if j.State != "cancelled" {
		t.Errorf("cancelled job is %s", j.State)
	}
	if _, err := background.Retry(ctx, d.Bun, c, actor, 999999); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("retry of a missing job: %v, want ErrNotFound", err)
	}
	var n int
	if err := d.Bun.NewRaw(`SELECT count(*) FROM audit_log WHERE action IN (?, ?) AND actor_name = 'admin'`,
		background.ActionRetried, background.ActionCancelled).Scan(ctx, &n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d audit entries, want 2", n)
	}
}
