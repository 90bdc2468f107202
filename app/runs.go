package app

import (
	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	runchecksview "github.com/backupchecks/backupchecks/components/runchecks"
	"github.com/backupchecks/backupchecks/components/view"
)

// runView is a run read-only (GET /runs/:id), for every reader: what the run dialog
// shows, without review, override or ticket actions. A dialog for htmx, else a page.
func (a *App) runView(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	m, err := a.runDialogModel(c, id, true)
	if err != nil {
		return err
	}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return runchecksview.RunPage(v, m) }, runchecksview.RunModal(a.view(c), m))
}
