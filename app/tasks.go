package app

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/tasks"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/db"
	riverjobs "github.com/backupchecks/backupchecks/jobs"
)

// taskProgress re-renders a task's progress bar (GET /tasks/:id, asked again on live
// "tasks" events).
func (a *App) taskProgress(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	t, err := tasks.Get(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, ui.TaskProgress(taskView(t)))
}

// startTask starts background work that the page follows: start puts it on River's
// queue with its task row (a riverjobs.Queue method, e.g. (*riverjobs.Queue).StartMailReparse)
// and the answer is the task's progress bar, which then refreshes itself.
func (a *App) startTask(c *fiber.Ctx, start func(*riverjobs.Queue, context.Context, int64) (int64, error)) error {
	q, err := a.background()
	if err != nil {
		return err
	}
	id, err := start(q, c.UserContext(), currentUser(c).ID)
	if err != nil {
		return err
	}
	t, err := tasks.Get(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, ui.TaskProgress(taskView(t)))
}

// background is River's queue, or a 503 when this process runs no background work.
func (a *App) background() (*riverjobs.Queue, error) {
	if a.queue == nil {
		return nil, fiber.NewError(fiber.StatusServiceUnavailable, "Background work is not running in this process.")
	}
	return a.queue, nil
}

// latestTask is the newest task of kind for its page to show: while it is unfinished,
// and for keep after it finished (0: only while unfinished); nil when there is none.
func (a *App) latestTask(c *fiber.Ctx, kind string, keep time.Duration) (*ui.Task, error) {
	t, err := tasks.Latest(c.UserContext(), a.db.Bun, kind)
	if err != nil || t == nil {
		return nil, err
	}
	if t.FinishedAt != nil && (keep == 0 || a.now().Sub(*t.FinishedAt) >= keep) {
		return nil, nil
	}
	return taskView(t), nil
}

func taskView(t *db.BackgroundTask) *ui.Task {
	return &ui.Task{ID: t.ID, Kind: t.Kind, Status: t.Status, Done: t.Done, Total: t.Total,
		Message: t.Message, Finished: t.FinishedAt != nil, Interrupted: t.Interrupted}
}
