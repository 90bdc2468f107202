package app

import (
	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/app/validation"
	settingsview "github.com/backupchecks/backupchecks/components/settings"
	"github.com/backupchecks/backupchecks/components/view"
	"github.com/backupchecks/backupchecks/db"
)

func generalModel(s *db.SystemSettings) settingsview.General {
	return settingsview.General{UITimezone: s.UITimezone, LoginCaptchaEnabled: s.LoginCaptchaEnabled,
		SandboxEnabled: s.SandboxEnabled, UpdatedAt: s.UpdatedAt}
}

func (a *App) settingsGeneralPage(c *fiber.Ctx) error {
	g := generalModel(state(c).settings)
	return a.renderPage(c, func(v view.Ctx) templ.Component { return settingsview.GeneralPage(v, g) })
}

// settingsGeneralView is the section read-only (Cancel, or a direct load).
func (a *App) settingsGeneralView(c *fiber.Ctx) error {
	g := generalModel(state(c).settings)
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return settingsview.GeneralPage(v, g) },
		settingsview.GeneralView(a.view(c), g))
}

func (a *App) settingsGeneralEdit(c *fiber.Ctx) error {
	zones, err := settings.TimezoneNames(c.UserContext(), a.db.Bun)
	if err != nil {
		return err
	}
	f := settingsview.GeneralForm{General: generalModel(state(c).settings), Timezones: zones}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return settingsview.GeneralPage(v, f.General) },
		settingsview.GeneralEdit(a.view(c), f))
}

func (a *App) settingsGeneralSave(c *fiber.Ctx) error {
	in := settings.General{
		UITimezone:          c.FormValue("ui_timezone"),
		LoginCaptchaEnabled: c.FormValue("login_captcha_enabled") == "on",
		SandboxEnabled:      c.FormValue("sandbox_enabled") == "on",
	}
	saved, err := settings.UpdateGeneral(c.UserContext(), a.db.Bun, a.actor(c), in)
	if errs, ok := validation.As(err); ok {
		zones, zerr := settings.TimezoneNames(c.UserContext(), a.db.Bun)
		if zerr != nil {
			return zerr
		}
		f := settingsview.GeneralForm{General: settingsview.General{UITimezone: in.UITimezone,
			LoginCaptchaEnabled: in.LoginCaptchaEnabled, SandboxEnabled: in.SandboxEnabled}, Errors: errs, Timezones: zones}
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, settingsview.GeneralEdit(a.view(c), f))
	}
	if err != nil {
		return err
	}
	sandboxChanged := saved.SandboxEnabled != state(c).settings.SandboxEnabled
	state(c).settings = saved // the rest of this response already uses the new values
	if sandboxChanged {
		// The banner is part of every page's frame: reload so it appears or goes.
		return a.redirectWithFlash(c, "/settings", success("General settings saved."))
	}
	return a.renderFragment(c, fiber.StatusOK, settingsview.GeneralView(a.view(c), generalModel(saved)), success("General settings saved."))
}
