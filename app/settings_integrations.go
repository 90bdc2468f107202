package app

import (
	"context"
	"strconv"
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
	m := autotaskConnModel(s)
	ids := map[string]*int64{"queueID": s.AutotaskQueueID, "source": s.AutotaskSourceID, "priority": s.AutotaskPriorityID, "status": s.AutotaskStatusID}
	m.Defaults = autotaskDefaults(s, func(picklist string) string {
		if id := ids[picklist]; id != nil {
			return strconv.FormatInt(*id, 10)
		}
		return ""
	})
	return m
}

// autotaskDefaults lists the ticket defaults with their choices; value gives each
// default's current (stored or submitted) value.
func autotaskDefaults(s *db.SystemSettings, value func(picklist string) string) []settingsview.TicketDefault {
	var out []settingsview.TicketDefault
	for _, f := range settings.AutotaskDefaultFields {
		d := settingsview.TicketDefault{Name: f.Form, Label: f.Label, Value: value(f.Picklist)}
		for _, c := range s.AutotaskReference[f.Picklist] {
			d.Choices = append(d.Choices, settingsview.Choice{Value: c.Value, Label: c.Label})
			if c.Value == d.Value {
				d.ValueLabel = c.Label
			}
		}
		out = append(out, d)
	}
	return out
}

func autotaskConnModel(s *db.SystemSettings) settingsview.Autotask {
	return settingsview.Autotask{ReferenceAt: s.AutotaskReferenceAt,
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
		QueueID: c.FormValue("autotask_queue_id"), SourceID: c.FormValue("autotask_source_id"),
		PriorityID: c.FormValue("autotask_priority_id"), StatusID: c.FormValue("autotask_status_id"),
	}
	saved, err := settings.UpdateAutotask(c.UserContext(), a.db.Bun, a.keys, a.actor(c), in)
	if errs, ok := validation.As(err); ok {
		cur := state(c).settings
		f := settingsview.AutotaskForm{Errors: errs, Autotask: settingsview.Autotask{
			Enabled: in.Enabled, Environment: in.Environment, Username: in.Username,
			SecretSet: len(cur.AutotaskSecret) > 0, IntegrationCodeSet: len(cur.AutotaskIntegrationCode) > 0,
			TrackingIdentifier: in.TrackingIdentifier, BaseURL: in.BaseURL, ReferenceAt: cur.AutotaskReferenceAt,
		}}
		submitted := map[string]string{"queueID": in.QueueID, "source": in.SourceID, "priority": in.PriorityID, "status": in.StatusID}
		f.Defaults = autotaskDefaults(cur, func(picklist string) string { return submitted[picklist] })
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
	client, err := settings.AutotaskClient(s, a.keys, a.cfg.AutotaskZoneURLs)
	if err != nil {
		return "", err
	}
	return client.TestConnection(ctx)
}

// settingsAutotaskReference loads the ticket picklists from Autotask for the defaults.
func (a *App) settingsAutotaskReference(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 45*time.Second)
	defer cancel()
	fail := func(err error) error {
		return a.renderFragment(c, fiber.StatusOK, settingsview.AutotaskView(a.view(c), autotaskModel(state(c).settings)),
			view.Flash{Kind: "danger", Message: "Could not load Autotask reference data: " + err.Error()})
	}
	client, err := settings.AutotaskClient(state(c).settings, a.keys, a.cfg.AutotaskZoneURLs)
	if err != nil {
		return fail(err)
	}
	lists, err := autotask.TicketPicklists(ctx, client)
	if err != nil {
		return fail(err)
	}
	saved, err := settings.StoreAutotaskReference(c.UserContext(), a.db.Bun, a.actor(c), lists, a.now())
	if err != nil {
		return err
	}
	state(c).settings = saved
	return a.renderFragment(c, fiber.StatusOK, settingsview.AutotaskView(a.view(c), autotaskModel(saved)), success("Autotask reference data refreshed."))
}
