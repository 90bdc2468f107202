package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/app/sso"
	"github.com/backupchecks/backupchecks/components/view"
)

// logout ends the session (POST /logout) and says so on the login page; a session that
// began at Entra continues to Entra's sign-out.
func (a *App) logout(c *fiber.Ctx) error {
	u := currentUser(c)
	token := c.Cookies(sessionCookie)
	entra, err := sso.SessionOf(c.UserContext(), a.db.Bun, auth.HashToken(token))
	if err != nil {
		return err
	}
	if err := auth.DeleteSession(c.UserContext(), a.db.Bun, token); err != nil {
		return err
	}
	var details map[string]any
	if entra != nil {
		details = map[string]any{"method": "entra"}
	}
	if err := audit.Record(c.UserContext(), a.db.Bun, a.actor(c), audit.Logout, "user:"+u.Username, details); err != nil {
		return err
	}
	a.clearCookie(c, sessionCookie)
	if entra != nil {
		// A session that began at Entra continues to Entra's sign-out.
		if done, err := a.entraLogout(c, entra); done || err != nil {
			return err
		}
		return a.redirectWithFlash(c, "/login", view.Flash{Kind: "warning",
			Message: "You are logged out of Backupchecks. Microsoft's sign-out could not be reached: sign out of your Microsoft account yourself on a shared computer."})
	}
	return a.redirectWithFlash(c, "/login", view.Flash{Kind: "info", Message: "You are logged out."})
}
