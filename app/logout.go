package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/components/view"
)

// logout ends the session (POST /logout) and says so on the login page.
func (a *App) logout(c *fiber.Ctx) error {
	u := currentUser(c)
	if err := auth.DeleteSession(c.UserContext(), a.db.Bun, c.Cookies(sessionCookie)); err != nil {
		return err
	}
	if err := audit.Record(c.UserContext(), a.db.Bun, a.actor(c), audit.Logout, "user:"+u.Username, nil); err != nil {
		return err
	}
	a.clearCookie(c, sessionCookie)
	return a.redirectWithFlash(c, "/login", view.Flash{Kind: "info", Message: "You are logged out."})
}
