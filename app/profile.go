package app

import (
	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/components/layout"
	profileview "github.com/backupchecks/backupchecks/components/profile"
	"github.com/backupchecks/backupchecks/components/view"
)

func (a *App) profilePage(c *fiber.Ctx) error {
	sub, err := a.subscriptionModel(c)
	if err != nil {
		return err
	}
	return a.renderPage(c, func(v view.Ctx) templ.Component { return profileview.Page(v, sub) })
}

func (a *App) changePassword(c *fiber.Ctx) error {
	err := auth.ChangeOwnPassword(c.UserContext(), a.db.Bun, a.actor(c),
		c.FormValue("current_password"), c.FormValue("new_password"), c.FormValue("confirm_password"),
		state(c).session.TokenHash)
	if errs, ok := validation.As(err); ok {
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, profileview.PasswordForm(a.view(c), errs))
	}
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, profileview.PasswordForm(a.view(c), nil), success("Password changed. Your other sessions have ended."))
}

func (a *App) setTheme(c *fiber.Ctx) error {
	theme := c.FormValue("theme")
	if err := auth.SetTheme(c.UserContext(), a.db.Bun, currentUser(c).ID, theme); err != nil {
		if _, ok := validation.As(err); ok {
			return fiber.NewError(fiber.StatusUnprocessableEntity, "Choose automatic, light or dark.")
		}
		return err
	}
	currentUser(c).Theme = theme
	trigger(c, map[string]any{"themeChanged": map[string]string{"value": theme}})
	return a.renderFragment(c, fiber.StatusOK, profileview.ThemeForm(a.view(c)))
}

// switchRole changes the active role and returns to the page the user was on.
func (a *App) switchRole(c *fiber.Ctx) error {
	role := c.FormValue("role")
	err := auth.SwitchRole(c.UserContext(), a.db.Bun, a.actor(c), role)
	if _, ok := validation.As(err); ok {
		return fiber.NewError(fiber.StatusForbidden, "You do not hold that role.")
	}
	if err != nil {
		return err
	}
	back := safeNext(c.FormValue("back"))
	if !a.allowed(role)("GET", back) {
		back = "/" // the page may not be open to the new role
	}
	return a.redirectWithFlash(c, back, success("You now work as "+layout.RoleLabel(role)+"."))
}
