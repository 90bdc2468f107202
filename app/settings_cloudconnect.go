package app

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/cloudconnect"
	"github.com/backupchecks/backupchecks/app/validation"
	settingsview "github.com/backupchecks/backupchecks/components/settings"
	"github.com/backupchecks/backupchecks/db"
)

func cloudConnectRulesModel(s *db.SystemSettings) settingsview.CloudConnect {
	m := settingsview.CloudConnect{UpdatedAt: s.UpdatedAt}
	if s.CloudConnectQuotaPercent != nil {
		m.QuotaPercent = strconv.Itoa(*s.CloudConnectQuotaPercent)
	}
	if s.CloudConnectInactiveDays != nil {
		m.InactiveDays = strconv.Itoa(*s.CloudConnectInactiveDays)
	}
	return m
}

// settingsCloudConnectView is the section read-only (loaded into the Integrations page,
// and Cancel).
func (a *App) settingsCloudConnectView(c *fiber.Ctx) error {
	return a.renderFragment(c, fiber.StatusOK, settingsview.CloudConnectView(a.view(c), cloudConnectRulesModel(state(c).settings)))
}

func (a *App) settingsCloudConnectEdit(c *fiber.Ctx) error {
	f := settingsview.CloudConnectForm{CloudConnect: cloudConnectRulesModel(state(c).settings)}
	return a.renderFragment(c, fiber.StatusOK, settingsview.CloudConnectEdit(a.view(c), f))
}

func (a *App) settingsCloudConnectSave(c *fiber.Ctx) error {
	in := cloudconnect.RulesInput{QuotaPercent: c.FormValue("cloud_connect_quota_percent"), InactiveDays: c.FormValue("cloud_connect_inactive_days")}
	saved, err := cloudconnect.UpdateRules(c.UserContext(), a.db.Bun, a.actor(c), in)
	if errs, ok := validation.As(err); ok {
		f := settingsview.CloudConnectForm{CloudConnect: settingsview.CloudConnect{QuotaPercent: in.QuotaPercent, InactiveDays: in.InactiveDays}, Errors: errs}
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, settingsview.CloudConnectEdit(a.view(c), f))
	}
	if err != nil {
		return err
	}
	state(c).settings = saved
	return a.renderFragment(c, fiber.StatusOK, settingsview.CloudConnectView(a.view(c), cloudConnectRulesModel(saved)),
		success("Cloud Connect rules saved. They apply to reports read from now on; Scan inbox on the accounts page applies them to the stored ones."))
}
