package app

import (
	"errors"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/app/validation"
	authview "github.com/backupchecks/backupchecks/components/auth"
	"github.com/backupchecks/backupchecks/components/view"
	"github.com/backupchecks/backupchecks/db"
)

// setupGone answers /setup once a user exists: the page no longer exists.
func (a *App) setupGone(c *fiber.Ctx) (bool, error) {
	if a.setupDone.Load() {
		return true, nil
	}
	ok, err := auth.HasUsers(c.UserContext(), a.db.Bun)
	if ok {
		a.setupDone.Store(true)
	}
	return ok, err
}

func (a *App) setupPage(c *fiber.Ctx) error {
	if gone, err := a.setupGone(c); err != nil {
		return err
	} else if gone {
		return fiber.ErrNotFound
	}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return authview.SetupPage(v, authview.Setup{}) }, nil)
}

func (a *App) setup(c *fiber.Ctx) error {
	if gone, err := a.setupGone(c); err != nil {
		return err
	} else if gone {
		return fiber.ErrNotFound
	}
	m := authview.Setup{Username: c.FormValue("username"), DisplayName: c.FormValue("display_name"), Email: c.FormValue("email")}
	password := c.FormValue("password")
	var errs validation.Errors
	if password != c.FormValue("confirm_password") {
		errs = validation.Errors{"confirm_password": "the two passwords differ"}
	}
	var (
		user *db.User
		err  error
	)
	if errs == nil {
		user, err = auth.CreateFirstAdmin(c.UserContext(), a.db.Bun, c.IP(), auth.NewUser{
			Username: m.Username, DisplayName: m.DisplayName, Email: m.Email, Password: password})
	}
	if fe, ok := validation.As(err); ok {
		errs = fe
	} else if errors.Is(err, auth.ErrSetupDone) {
		a.setupDone.Store(true)
		return fiber.ErrNotFound
	} else if err != nil {
		return err
	}
	if errs != nil {
		m.Errors = errs
		return a.render(c, fiber.StatusUnprocessableEntity, func(v view.Ctx) templ.Component { return authview.SetupPage(v, m) }, nil)
	}
	a.setupDone.Store(true)
	token, err := auth.CreateSession(c.UserContext(), a.db.Bun, a.sessions, user.ID, c.IP(), c.Get(fiber.HeaderUserAgent), a.now())
	if err != nil {
		return err
	}
	a.setCookie(c, sessionCookie, token, a.sessions.MaxAge)
	a.setCookie(c, csrfCookie, auth.NewCSRFSeed(), 0)
	return a.redirectWithFlash(c, "/", success("Welcome, "+user.Name()+". Your admin account is ready."))
}
