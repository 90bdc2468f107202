package app

import (
	"context"
	"errors"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/autotask"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/app/validation"
	settingsview "github.com/backupchecks/backupchecks/components/settings"
	"github.com/backupchecks/backupchecks/components/view"
	"github.com/backupchecks/backupchecks/db"
)

func autotaskModel(s *db.SystemSettings) settingsview.Autotask {
	return settingsview.Autotask{
		Enabled: s.AutotaskEnabled, Environment: s.AutotaskEnvironment, Username: s.AutotaskUsername,
		SecretSet: len(s.AutotaskSecret) > 0, IntegrationCodeSet: len(s.AutotaskIntegrationCode) > 0,
		TrackingIdentifier: s.AutotaskTrackingIdentifier, BaseURL: s.AutotaskBaseURL,
		CheckedAt: s.AutotaskCheckedAt, CheckResult: s.AutotaskCheckResult,
	}
}

func (a *App) settingsIntegrationsPage(c *fiber.Ctx) error {
	m := autotaskModel(state(c).settings)
	return a.renderPage(c, func(v view.Ctx) templ.Component { return settingsview.IntegrationsPage(v, m) })
}

func (a *App) settingsAutotaskView(c *fiber.Ctx) error {
	m := autotaskModel(state(c).settings)
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return settingsview.IntegrationsPage(v, m) },
		settingsview.AutotaskView(a.view(c), m))
}

func (a *App) settingsAutotaskEdit(c *fiber.Ctx) error {
	f := settingsview.AutotaskForm{Autotask: autotaskModel(state(c).settings)}
	if f.BaseURL == "" && a.cfg.BaseURL != nil {
		f.BaseURL = a.cfg.BaseURL.String() // a sensible first value; the admin confirms it by saving
	}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return settingsview.IntegrationsPage(v, f.Autotask) },
		settingsview.AutotaskEdit(a.view(c), f))
}

func (a *App) settingsAutotaskSave(c *fiber.Ctx) error {
	in := settings.AutotaskInput{
		Enabled: c.FormValue("autotask_enabled") == "on", Environment: c.FormValue("autotask_environment"),
		Username: c.FormValue("autotask_username"), Secret: c.FormValue("autotask_secret"),
		IntegrationCode: c.FormValue("autotask_integration_code"), TrackingIdentifier: c.FormValue("autotask_tracking_identifier"),
		BaseURL: c.FormValue("autotask_base_url"),
	}
	saved, err := settings.UpdateAutotask(c.UserContext(), a.db.Bun, a.keys, a.actor(c), in)
	if errs, ok := validation.As(err); ok {
		cur := state(c).settings
		f := settingsview.AutotaskForm{Errors: errs, Autotask: settingsview.Autotask{
			Enabled: in.Enabled, Environment: in.Environment, Username: in.Username,
			SecretSet: len(cur.AutotaskSecret) > 0, IntegrationCodeSet: len(cur.AutotaskIntegrationCode) > 0,
			TrackingIdentifier: in.TrackingIdentifier, BaseURL: in.BaseURL,
		}}
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, settingsview.AutotaskEdit(a.view(c), f))
	}
	if err != nil {
		return err
	}
	state(c).settings = saved
	return a.renderFragment(c, fiber.StatusOK, settingsview.AutotaskView(a.view(c), autotaskModel(saved)), success("Autotask settings saved."))
}

// settingsAutotaskTest discovers the zone with the saved credentials and reads one
// company, then records the outcome for the page.
func (a *App) settingsAutotaskTest(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 45*time.Second)
	defer cancel()
	s := state(c).settings
	zone, err := a.testAutotask(ctx, s)
	result := "connected to zone " + zone
	if err != nil {
		result = "failed: " + err.Error()
	}
	if rerr := settings.RecordAutotaskCheck(c.UserContext(), a.db.Bun, a.now(), result); rerr != nil {
		return rerr
	}
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	return a.renderFragment(c, fiber.StatusOK, settingsview.AutotaskTestResult(zone, s.AutotaskEnvironment, msg))
}

func (a *App) testAutotask(ctx context.Context, s *db.SystemSettings) (string, error) {
	cfg, err := settings.AutotaskConfig(s, a.keys)
	if err != nil {
		return "", err
	}
	if cfg.Username == "" || cfg.Secret == "" || cfg.IntegrationCode == "" {
		return "", errors.New("enter and save the API user name, secret and integration code first")
	}
	cfg.ZoneLookupURLs = a.cfg.AutotaskZoneURLs
	client, err := autotask.New(cfg)
	if err != nil {
		return "", err
	}
	return client.TestConnection(ctx)
}
