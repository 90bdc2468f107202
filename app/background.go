package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/background"
	backgroundview "github.com/backupchecks/backupchecks/components/background"
	"github.com/backupchecks/backupchecks/components/view"
	"github.com/backupchecks/backupchecks/db"
)

const backgroundPerPage = 50

// riverClient is River's client of this process, or nil (tests without one).
func (a *App) riverClient() *river.Client[pgx.Tx] {
	if a.queue == nil {
		return nil
	}
	return a.queue.Client
}

// backgroundPage is Admin → Background jobs; an htmx request (a filter, Refresh)
// gets the job list alone.
func (a *App) backgroundPage(c *fiber.Ctx) error {
	client := a.riverClient()
	if client == nil {
		return a.renderPage(c, func(v view.Ctx) templ.Component {
			return backgroundview.Page(v, backgroundview.Overview{}, backgroundview.Jobs{})
		})
	}
	ctx := c.UserContext()
	jobs, err := a.backgroundJobs(c, client)
	if err != nil {
		return err
	}
	if isHTMX(c) {
		return a.renderFragment(c, fiber.StatusOK, backgroundview.JobList(a.view(c), jobs))
	}
	o, err := background.Load(ctx, a.db.Bun, client)
	if err != nil {
		return err
	}
	ov := backgroundview.Overview{Available: true}
	for _, q := range o.Queues {
		ov.Queues = append(ov.Queues, backgroundview.Queue{Name: q.Name, Paused: q.Paused, Counts: q.Counts, LastSeen: q.LastSeen})
	}
	for _, k := range o.Kinds {
		ov.Kinds = append(ov.Kinds, backgroundview.Kind{Kind: k.Kind, Label: backgroundview.KindLabel(k.Kind), Counts: k.Counts,
			LastFinished: k.LastFinished, LastState: k.LastState, LastError: k.LastError})
		if !slices.Contains(jobs.Kinds, k.Kind) {
			jobs.Kinds = append(jobs.Kinds, k.Kind)
		}
	}
	slices.Sort(jobs.Kinds)
	return a.renderPage(c, func(v view.Ctx) templ.Component { return backgroundview.Page(v, ov, jobs) })
}

// backgroundJobs reads the job list the query asks for; a filter River does not know
// is shown beside the list, not as an error page.
func (a *App) backgroundJobs(c *fiber.Ctx, client *river.Client[pgx.Tx]) (backgroundview.Jobs, error) {
	f := background.Filter{Kind: c.Query("kind"), State: c.Query("state"), After: c.Query("after"), Limit: backgroundPerPage, Now: a.now()}
	jobs := backgroundview.Jobs{Kind: f.Kind, State: f.State, States: background.States, First: f.After == ""}
	for kind := range backgroundview.KindLabels {
		jobs.Kinds = append(jobs.Kinds, kind)
	}
	if f.Kind != "" && !slices.Contains(jobs.Kinds, f.Kind) {
		jobs.Kinds = append(jobs.Kinds, f.Kind)
	}
	slices.Sort(jobs.Kinds)
	p, err := background.List(c.UserContext(), client, f)
	if errors.Is(err, background.ErrBadFilter) {
		jobs.Error = "That state or page does not exist; choose a state from the list."
		return jobs, nil
	} else if err != nil {
		return jobs, err
	}
	jobs.Next = p.Next
	for _, j := range p.Jobs {
		jobs.Rows = append(jobs.Rows, riverJobRow(j))
	}
	return jobs, nil
}

func riverJobRow(j background.Job) backgroundview.Job {
	r := backgroundview.Job{ID: j.ID, Kind: j.Kind, Label: backgroundview.KindLabel(j.Kind), Queue: j.Queue, State: j.State,
		Attempt: j.Attempt, MaxAttempts: j.MaxAttempts, CreatedAt: j.CreatedAt, AttemptedAt: j.AttemptedAt, FinalizedAt: j.FinalizedAt,
		Duration: j.Duration, Args: j.Args, CanRetry: j.CanRetry(), CanCancel: j.CanCancel()}
	for _, e := range j.Errors {
		r.Errors = append(r.Errors, backgroundview.AttemptError{Attempt: e.Attempt, At: e.At, Error: e.Error})
	}
	return r
}

func (a *App) backgroundRetry(c *fiber.Ctx) error {
	return a.backgroundAct(c, background.Retry, "Job #%d will run again shortly.")
}

func (a *App) backgroundCancel(c *fiber.Ctx) error {
	return a.backgroundAct(c, background.Cancel, "Job #%d is cancelled.")
}

// backgroundAct retries or cancels a job and answers with its row (htmx) or the page.
func (a *App) backgroundAct(c *fiber.Ctx, act func(context.Context, bun.IDB, *river.Client[pgx.Tx], audit.Actor, int64) (background.Job, error), done string) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return fiber.ErrNotFound
	}
	client := a.riverClient()
	if client == nil {
		return fiber.NewError(fiber.StatusServiceUnavailable, "This process runs no background workers.")
	}
	j, err := act(c.UserContext(), a.db.Bun, client, a.actor(c), id)
	if errors.Is(err, db.ErrNotFound) {
		return fiber.NewError(fiber.StatusNotFound, fmt.Sprintf("Job #%d is gone: River removes finished jobs after a while.", id))
	} else if err != nil {
		return err
	}
	flash := success(fmt.Sprintf(done, id))
	if !isHTMX(c) {
		return a.redirectWithFlash(c, "/background", flash)
	}
	return a.renderFragment(c, fiber.StatusOK, backgroundview.JobRow(a.view(c), riverJobRow(j)), flash)
}
