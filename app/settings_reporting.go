package app

import (
	"io"
	"strconv"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/reports"
	"github.com/backupchecks/backupchecks/app/validation"
	settingsview "github.com/backupchecks/backupchecks/components/settings"
	"github.com/backupchecks/backupchecks/components/view"
)

// Settings → Reporting (issue 17): the branding of reports and how scheduled ones are mailed.

func (a *App) reportingModel(c *fiber.Ctx) (settingsview.Reporting, error) {
	s, err := reports.LoadSettings(c.UserContext(), a.db.Bun, nil)
	if err != nil {
		return settingsview.Reporting{}, err
	}
	m := settingsview.Reporting{CompanyName: s.CompanyName, HasLogo: len(s.Logo) > 0, AccentColor: s.AccentColor,
		FooterText: s.FooterText, DeliveryChannel: s.DeliveryChannel, SMTPHost: s.SMTPHost, SMTPSecurity: s.SMTPSecurity,
		SMTPUsername: s.SMTPUsername, SMTPPasswordSet: s.HasSMTPPassword, SMTPFrom: s.SMTPFrom,
		FileRetentionDays: strconv.Itoa(s.FileRetentionDays), GraphMailbox: state(c).settings.GraphMailbox}
	if s.SMTPPort != 0 {
		m.SMTPPort = strconv.Itoa(s.SMTPPort)
	}
	return m, nil
}

func (a *App) settingsReportingPage(c *fiber.Ctx) error {
	m, err := a.reportingModel(c)
	if err != nil {
		return err
	}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return settingsview.ReportingPage(v, m) },
		settingsview.ReportingView(a.view(c), m))
}

func (a *App) settingsReportingView(c *fiber.Ctx) error { return a.settingsReportingPage(c) }

func (a *App) settingsReportingEdit(c *fiber.Ctx) error {
	m, err := a.reportingModel(c)
	if err != nil {
		return err
	}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return settingsview.ReportingPage(v, m) },
		settingsview.ReportingEdit(a.view(c), settingsview.ReportingForm{Reporting: m}))
}

func (a *App) settingsReportingSave(c *fiber.Ctx) error {
	in := reports.SettingsInput{CompanyName: c.FormValue("company_name"), AccentColor: c.FormValue("accent_color"),
		FooterText: c.FormValue("footer_text"), RemoveLogo: c.FormValue("remove_logo") == "on",
		DeliveryChannel: c.FormValue("delivery_channel"), SMTPHost: c.FormValue("smtp_host"), SMTPPort: c.FormValue("smtp_port"),
		SMTPSecurity: c.FormValue("smtp_security"), SMTPUsername: c.FormValue("smtp_username"),
		SMTPPassword: c.FormValue("smtp_password"), ClearSMTPPassword: c.FormValue("clear_smtp_password") == "on",
		SMTPFrom: c.FormValue("smtp_from"), FileRetentionDays: c.FormValue("file_retention_days")}
	errs := validation.Errors{}
	if fh, err := c.FormFile("logo"); err == nil && fh.Size > 0 {
		if fh.Size > reports.MaxLogoBytes {
			errs.Add("logo", "the logo is too large; upload at most 1 MB")
		} else if f, err := fh.Open(); err == nil {
			in.Logo, err = io.ReadAll(io.LimitReader(f, reports.MaxLogoBytes+1))
			f.Close()
			if err != nil {
				errs.Add("logo", "the upload could not be read; try again")
			}
		}
	}
	err := errs.Err()
	if err == nil {
		err = reports.UpdateSettings(c.UserContext(), a.db.Bun, a.keys, a.actor(c), in)
	}
	if verrs, ok := validation.As(err); ok {
		m, merr := a.reportingModel(c)
		if merr != nil {
			return merr
		}
		f := settingsview.ReportingForm{Reporting: settingsview.Reporting{CompanyName: in.CompanyName, HasLogo: m.HasLogo,
			AccentColor: in.AccentColor, FooterText: in.FooterText, DeliveryChannel: in.DeliveryChannel, SMTPHost: in.SMTPHost,
			SMTPPort: in.SMTPPort, SMTPSecurity: in.SMTPSecurity, SMTPUsername: in.SMTPUsername, SMTPPasswordSet: m.SMTPPasswordSet,
			SMTPFrom: in.SMTPFrom, FileRetentionDays: in.FileRetentionDays, GraphMailbox: m.GraphMailbox}, Errors: verrs}
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, settingsview.ReportingEdit(a.view(c), f))
	}
	if err != nil {
		return err
	}
	m, err := a.reportingModel(c)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, settingsview.ReportingView(a.view(c), m), success("Reporting settings saved."))
}
