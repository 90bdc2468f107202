package app

import (
	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/dashboard"
	"github.com/backupchecks/backupchecks/components/home"
	"github.com/backupchecks/backupchecks/components/view"
)

func (a *App) home(c *fiber.Ctx) error {
	f, err := dashboard.Load(c.UserContext(), a.db.Bun)
	if err != nil {
		return err
	}
	d := home.Dashboard{Customers: f.Customers, Jobs: f.Jobs, InboxMails: f.InboxMails, Unreviewed: f.Unreviewed, SettingsPath: "/settings"}
	return a.renderPage(c, func(v view.Ctx) templ.Component { return home.Page(v, d) })
}
