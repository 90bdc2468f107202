// Package background shows an admin what River, the background job queue, is doing:
// its queues, the state of each kind of job, the recent jobs with their attempts and
// errors, and retries or cancels one. Lists go through River's client API; the counts
// River's client does not offer are one grouped query on river_job (which holds only
// recent jobs: River deletes finished ones after a day, failed ones after a week).
package background

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/logctx"
	"github.com/backupchecks/backupchecks/db"
)

// Client is River's client as the web process holds it.
type Client = *river.Client[pgx.Tx]

// States are River's job states in the order the page shows them.
var States = []string{"running", "available", "scheduled", "retryable", "completed", "discarded", "cancelled", "pending"}

// Audit actions.
const (
	ActionRetried   = "background.job_retried"
	ActionCancelled = "background.job_cancelled"
)

// Queue is one River queue with its unfinished jobs.
type Queue struct {
	Name     string
	Paused   bool
	Counts   map[string]int // by state (available, running, scheduled, retryable)
	LastSeen time.Time      // when a worker process last reported working it
}

// Kind sums up one kind of job: how many are in each state, and how the last one that
// finished ended.
type Kind struct {
	Kind         string
	Counts       map[string]int // by state
	LastFinished *time.Time
	LastState    string // completed, discarded or cancelled
	LastError    string // of the last finished job, when it failed
}

// Overview is the top of the page.
type Overview struct {
	Queues []Queue
	Kinds  []Kind
}

// Load reads the queues and the per-kind summary.
func Load(ctx context.Context, idb bun.IDB, client Client) (Overview, error) {
	var o Overview
	qs, err := client.QueueList(ctx, river.NewQueueListParams().First(100))
	if err != nil {
		return o, fmt.Errorf("background: list queues: %w", err)
	}
	var counts []struct {
		Queue string `bun:"queue"`
		Kind  string `bun:"kind"`
		State string `bun:"state"`
		N     int    `bun:"n"`
	}
	if err := idb.NewRaw(`SELECT queue, kind, state::text AS state, count(*) AS n FROM river_job GROUP BY queue, kind, state`).Scan(ctx, &counts); err != nil {
		return o, fmt.Errorf("background: count jobs: %w", err)
	}
	queues := map[string]*Queue{}
	for _, q := range qs.Queues {
		queues[q.Name] = &Queue{Name: q.Name, Paused: q.PausedAt != nil, Counts: map[string]int{}, LastSeen: q.UpdatedAt}
	}
	kinds := map[string]*Kind{}
	for _, c := range counts {
		if slices.Contains([]string{"available", "running", "scheduled", "retryable"}, c.State) {
			q := queues[c.Queue]
			if q == nil { // jobs of a queue no process works (yet)
				q = &Queue{Name: c.Queue, Counts: map[string]int{}}
				queues[c.Queue] = q
			}
			q.Counts[c.State] += c.N
		}
		k := kinds[c.Kind]
		if k == nil {
			k = &Kind{Kind: c.Kind, Counts: map[string]int{}}
			kinds[c.Kind] = k
		}
		k.Counts[c.State] += c.N
	}
	var last []struct {
		Kind        string    `bun:"kind"`
		State       string    `bun:"state"`
		FinalizedAt time.Time `bun:"finalized_at"`
		Error       string    `bun:"error"`
	}
	if err := idb.NewRaw(`
		SELECT DISTINCT ON (kind) kind, state::text AS state, finalized_at,
		       coalesce(errors[array_length(errors, 1)]->>'error', '') AS error
		FROM river_job WHERE finalized_at IS NOT NULL
		ORDER BY kind, finalized_at DESC`).Scan(ctx, &last); err != nil {
		return o, fmt.Errorf("background: last finished jobs: %w", err)
	}
	for _, l := range last {
		k := kinds[l.Kind]
		if k == nil {
			continue
		}
		at := l.FinalizedAt
		k.LastFinished, k.LastState = &at, l.State
		if l.State != "completed" {
			k.LastError = l.Error
		}
	}
	for _, q := range queues {
		o.Queues = append(o.Queues, *q)
	}
	slices.SortFunc(o.Queues, func(a, b Queue) int { return compare(a.Name, b.Name) })
	for _, k := range kinds {
		o.Kinds = append(o.Kinds, *k)
	}
	slices.SortFunc(o.Kinds, func(a, b Kind) int { return compare(a.Kind, b.Kind) })
	return o, nil
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Job is one River job as the list shows it.
type Job struct {
	ID          int64
	Kind        string
	Queue       string
	State       string
	Attempt     int
	MaxAttempts int
	CreatedAt   time.Time
	ScheduledAt time.Time
	AttemptedAt *time.Time
	FinalizedAt *time.Time
	Errors      []AttemptError // newest first
	Args        string         // JSON, secrets redacted
	Duration    time.Duration  // of the last attempt: to its end, or so far while running
}

// AttemptError is one failed attempt.
type AttemptError struct {
	Attempt int
	At      time.Time
	Error   string
}

// CanRetry reports whether Retry makes sense for the job: River makes any job that is
// not running available again; one that is already available needs nothing.
func (j Job) CanRetry() bool { return j.State != "running" && j.State != "available" }

// CanCancel reports whether the job has not finished yet.
func (j Job) CanCancel() bool {
	return slices.Contains([]string{"available", "scheduled", "retryable", "running", "pending"}, j.State)
}

// Filter selects the jobs to list.
type Filter struct {
	Kind  string
	State string
	After string // cursor of the previous page's last job
	Limit int
	Now   time.Time
}

// Page is one page of jobs, newest first, and the cursor of the next page ("" at the end).
type Page struct {
	Jobs []Job
	Next string
}

// ErrBadFilter is returned for a state or cursor that is not River's.
var ErrBadFilter = errors.New("background: unknown state or page")

// List returns the jobs matching f, newest first.
func List(ctx context.Context, client Client, f Filter) (Page, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	params := river.NewJobListParams().OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(f.Limit)
	if f.Kind != "" {
		params = params.Kinds(f.Kind)
	}
	if f.State != "" {
		if !slices.Contains(States, f.State) {
			return Page{}, ErrBadFilter
		}
		params = params.States(rivertype.JobState(f.State))
	}
	if f.After != "" {
		var cur river.JobListCursor
		if err := cur.UnmarshalText([]byte(f.After)); err != nil {
			return Page{}, ErrBadFilter
		}
		params = params.After(&cur)
	}
	res, err := client.JobList(ctx, params)
	if err != nil {
		return Page{}, fmt.Errorf("background: list jobs: %w", err)
	}
	var p Page
	for _, r := range res.Jobs {
		p.Jobs = append(p.Jobs, jobFrom(r, f.Now))
	}
	if len(res.Jobs) == f.Limit && res.LastCursor != nil {
		// A full page: offer the next one only if it has a job.
		more, err := client.JobList(ctx, params.After(res.LastCursor).First(1))
		if err != nil {
			return Page{}, fmt.Errorf("background: list jobs: %w", err)
		}
		if len(more.Jobs) > 0 {
			b, err := res.LastCursor.MarshalText()
			if err != nil {
				return Page{}, fmt.Errorf("background: page cursor: %w", err)
			}
			p.Next = string(b)
		}
	}
	return p, nil
}

func jobFrom(r *rivertype.JobRow, now time.Time) Job {
	j := Job{ID: r.ID, Kind: r.Kind, Queue: r.Queue, State: string(r.State), Attempt: r.Attempt, MaxAttempts: r.MaxAttempts,
		CreatedAt: r.CreatedAt, ScheduledAt: r.ScheduledAt, AttemptedAt: r.AttemptedAt, FinalizedAt: r.FinalizedAt,
		Args: logctx.Redacted(r.EncodedArgs)}
	for i := len(r.Errors) - 1; i >= 0; i-- {
		e := r.Errors[i]
		j.Errors = append(j.Errors, AttemptError{Attempt: e.Attempt, At: e.At, Error: e.Error})
	}
	if r.AttemptedAt != nil {
		end := now
		if r.FinalizedAt != nil {
			end = *r.FinalizedAt
		} else if r.State != rivertype.JobStateRunning && len(r.Errors) > 0 {
			end = r.Errors[len(r.Errors)-1].At // retryable: the last attempt ended with its error
		}
		if d := end.Sub(*r.AttemptedAt); d > 0 {
			j.Duration = d
		}
	}
	return j
}

// Retry makes a job that is not running available to run again now, and audits it.
func Retry(ctx context.Context, idb bun.IDB, client Client, actor audit.Actor, id int64) (Job, error) {
	row, err := client.JobRetry(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return Job{}, db.ErrNotFound
	} else if err != nil {
		return Job{}, fmt.Errorf("background: retry job %d: %w", id, err)
	}
	if err := audit.Record(ctx, idb, actor, ActionRetried, fmt.Sprintf("river_job:%d", id), map[string]any{"kind": row.Kind}); err != nil {
		return Job{}, err
	}
	return jobFrom(row, time.Now()), nil
}

// Cancel cancels a job that has not finished (a running one is asked to stop), and
// audits it.
func Cancel(ctx context.Context, idb bun.IDB, client Client, actor audit.Actor, id int64) (Job, error) {
	row, err := client.JobCancel(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return Job{}, db.ErrNotFound
	} else if err != nil {
		return Job{}, fmt.Errorf("background: cancel job %d: %w", id, err)
	}
	if err := audit.Record(ctx, idb, actor, ActionCancelled, fmt.Sprintf("river_job:%d", id), map[string]any{"kind": row.Kind}); err != nil {
		return Job{}, err
	}
	return jobFrom(row, time.Now()), nil
}
