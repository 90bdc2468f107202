package app

import (
	"context"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/sso"
	"github.com/backupchecks/backupchecks/app/validation"
	settingsview "github.com/backupchecks/backupchecks/components/settings"
	"github.com/backupchecks/backupchecks/components/view"
	"github.com/backupchecks/backupchecks/db"
)

func (a *App) entraModel(s *db.EntraSettings) settingsview.Entra {
	site := a.site()
	return settingsview.Entra{Enabled: s.Enabled, TenantID: s.TenantID, ClientID: s.ClientID, SecretSet: len(s.ClientSecret) > 0,
		AllowedDomains: s.AllowedDomains, AllowedGroups: s.AllowedGroups, AutoProvision: s.AutoProvision,
		LocalAdminsOnly: s.LocalAdminsOnly, RedirectURI: site.RedirectURI(), LogoutURI: site.LogoutReturnURI(),
		SiteProblem: site.Problem(), CheckedAt: s.CheckedAt, CheckResult: s.CheckResult}
}

// integrationsPage is the Integrations tab behind an Entra fragment's full load.
func (a *App) integrationsPage(c *fiber.Ctx) func(view.Ctx) templ.Component {
	m := autotaskModel(state(c).settings)
	return func(v view.Ctx) templ.Component { return settingsview.IntegrationsPage(v, m) }
}

func (a *App) settingsEntraView(c *fiber.Ctx) error {
	s, err := sso.LoadSettings(c.UserContext(), a.db.Bun)
	if err != nil {
		return err
	}
	return a.render(c, fiber.StatusOK, a.integrationsPage(c), settingsview.EntraView(a.view(c), a.entraModel(s)))
}

func (a *App) settingsEntraEdit(c *fiber.Ctx) error {
	s, err := sso.LoadSettings(c.UserContext(), a.db.Bun)
	if err != nil {
		return err
	}
	f := settingsview.EntraForm{Entra: a.entraModel(s),
		Domains: strings.Join(s.AllowedDomains, "\n"), Groups: strings.Join(s.AllowedGroups, "\n")}
	return a.render(c, fiber.StatusOK, a.integrationsPage(c), settingsview.EntraEdit(a.view(c), f))
}

func (a *App) settingsEntraSave(c *fiber.Ctx) error {
	in := sso.SettingsInput{
		Enabled: c.FormValue("entra_enabled") == "on", TenantID: c.FormValue("entra_tenant_id"),
		ClientID: c.FormValue("entra_client_id"), ClientSecret: c.FormValue("entra_client_secret"),
		AllowedDomains: c.FormValue("entra_allowed_domains"), AllowedGroups: c.FormValue("entra_allowed_groups"),
		AutoProvision: c.FormValue("entra_auto_provision") == "on", LocalAdminsOnly: c.FormValue("entra_local_admins_only") == "on",
	}
	saved, err := sso.UpdateSettings(c.UserContext(), a.db.Bun, a.keys, a.actor(c), a.site(), in)
	if errs, ok := validation.As(err); ok {
		cur, lerr := sso.LoadSettings(c.UserContext(), a.db.Bun)
		if lerr != nil {
			return lerr
		}
		m := a.entraModel(cur)
		m.Enabled, m.TenantID, m.ClientID = in.Enabled, in.TenantID, in.ClientID
		m.AutoProvision, m.LocalAdminsOnly = in.AutoProvision, in.LocalAdminsOnly
		f := settingsview.EntraForm{Entra: m, Domains: in.AllowedDomains, Groups: in.AllowedGroups, Errors: errs}
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, settingsview.EntraEdit(a.view(c), f))
	}
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, settingsview.EntraView(a.view(c), a.entraModel(saved)),
		success("Microsoft Entra sign-in settings saved."))
}

// settingsEntraTest checks the saved configuration against Entra, step by step, and
// records the outcome for the page.
func (a *App) settingsEntraTest(c *fiber.Ctx) error {
	s, err := sso.LoadSettings(c.UserContext(), a.db.Bun)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 45*time.Second)
	defer cancel()
	checks := a.entra.TestConfiguration(ctx, s, a.keys, a.site())
	if err := sso.RecordCheck(c.UserContext(), a.db.Bun, a.now(), checks.Summary()); err != nil {
		return err
	}
	out := make([]settingsview.EntraCheck, len(checks))
	for i, ch := range checks {
		out[i] = settingsview.EntraCheck{Name: ch.Name, OK: ch.OK, Skipped: ch.Skipped, Message: ch.Message}
	}
	return a.renderFragment(c, fiber.StatusOK, settingsview.EntraTestResult(out, checks.OK()))
}
