package app

import (
	"context"

	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/mail/mailbox"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/app/tasks"
	"github.com/backupchecks/backupchecks/app/validation"
	settingsview "github.com/backupchecks/backupchecks/components/settings"
	"github.com/backupchecks/backupchecks/components/view"
	"github.com/backupchecks/backupchecks/db"
	riverjobs "github.com/backupchecks/backupchecks/jobs"
)

func importsModel(s *db.SystemSettings) settingsview.Imports {
	m := settingsview.Imports{
		Source: s.MailSource, Enabled: s.MailImportEnabled,
		IntervalMinutes: strconv.Itoa(s.MailImportIntervalMinutes), BatchSize: strconv.Itoa(s.MailImportBatchSize),
		GraphTenantID: s.GraphTenantID, GraphClientID: s.GraphClientID, GraphSecretSet: len(s.GraphClientSecret) > 0,
		GraphMailbox: s.GraphMailbox, GraphSourceFolder: s.GraphSourceFolder, GraphProcessedFolder: s.GraphProcessedFolder,
		IMAPHost: s.IMAPHost, IMAPSecurity: s.IMAPSecurity, IMAPUsername: s.IMAPUsername, IMAPPasswordSet: len(s.IMAPPassword) > 0,
		IMAPFolder: s.IMAPFolder, IMAPProcessedFolder: s.IMAPProcessedFolder,
		LastImportAt: s.MailLastImportAt, LastImportResult: s.MailLastImportResult,
	}
	if s.IMAPPort != nil {
		m.IMAPPort = strconv.Itoa(*s.IMAPPort)
	}
	return m
}

func (a *App) settingsImportsPage(c *fiber.Ctx) error {
	m := importsModel(state(c).settings)
	// A finished import stays on the page for a while, so its result can be read.
	var err error
	if m.Task, err = a.latestTask(c, tasks.KindMailImport, 10*time.Minute); err != nil {
		return err
	}
	return a.renderPage(c, func(v view.Ctx) templ.Component { return settingsview.ImportsPage(v, m) })
}

func (a *App) settingsImportsView(c *fiber.Ctx) error {
	m := importsModel(state(c).settings)
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return settingsview.ImportsPage(v, m) },
		settingsview.ImportsView(a.view(c), m))
}

func (a *App) settingsImportsEdit(c *fiber.Ctx) error {
	f := settingsview.ImportsForm{Imports: importsModel(state(c).settings)}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return settingsview.ImportsPage(v, f.Imports) },
		settingsview.ImportsEdit(a.view(c), f))
}

// importsInput reads the Imports edit form.
func importsInput(c *fiber.Ctx) settings.ImportsInput {
	return settings.ImportsInput{
		Source: c.FormValue("mail_source"), Enabled: c.FormValue("mail_import_enabled") == "on",
		IntervalMinutes: c.FormValue("mail_import_interval_minutes"), BatchSize: c.FormValue("mail_import_batch_size"),
		GraphTenantID: c.FormValue("graph_tenant_id"), GraphClientID: c.FormValue("graph_client_id"),
		GraphClientSecret: c.FormValue("graph_client_secret"), GraphMailbox: c.FormValue("graph_mailbox"),
		GraphSourceFolder: c.FormValue("graph_source_folder"), GraphProcessedFolder: c.FormValue("graph_processed_folder"),
		IMAPHost: c.FormValue("imap_host"), IMAPPort: c.FormValue("imap_port"), IMAPSecurity: c.FormValue("imap_security"),
		IMAPUsername: c.FormValue("imap_username"), IMAPPassword: c.FormValue("imap_password"),
		IMAPFolder: c.FormValue("imap_folder"), IMAPProcessedFolder: c.FormValue("imap_processed_folder"),
	}
}

// importsFormAgain is the edit form showing the values as submitted with errs beside
// them; secrets only as set or not in cur, the stored settings.
func importsFormAgain(in settings.ImportsInput, cur *db.SystemSettings, errs map[string]string) settingsview.ImportsForm {
	return settingsview.ImportsForm{Errors: errs, Imports: settingsview.Imports{
		Source: in.Source, Enabled: in.Enabled, IntervalMinutes: in.IntervalMinutes, BatchSize: in.BatchSize,
		GraphTenantID: in.GraphTenantID, GraphClientID: in.GraphClientID, GraphSecretSet: len(cur.GraphClientSecret) > 0,
		GraphMailbox: in.GraphMailbox, GraphSourceFolder: in.GraphSourceFolder, GraphProcessedFolder: in.GraphProcessedFolder,
		IMAPHost: in.IMAPHost, IMAPPort: in.IMAPPort, IMAPSecurity: in.IMAPSecurity, IMAPUsername: in.IMAPUsername,
		IMAPPasswordSet: len(cur.IMAPPassword) > 0, IMAPFolder: in.IMAPFolder, IMAPProcessedFolder: in.IMAPProcessedFolder,
	}}
}

func (a *App) settingsImportsSave(c *fiber.Ctx) error {
	in := importsInput(c)
	saved, err := settings.UpdateImports(c.UserContext(), a.db.Bun, a.keys, a.actor(c), in)
	if errs, ok := validation.As(err); ok {
		f := importsFormAgain(in, state(c).settings, errs)
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, settingsview.ImportsEdit(a.view(c), f))
	}
	if err != nil {
		return err
	}
	state(c).settings = saved
	return a.renderFragment(c, fiber.StatusOK, settingsview.ImportsView(a.view(c), importsModel(saved)), success("Import settings saved."))
}

// settingsImportsTest connects and shows what it finds: with the values in the edit
// form when it sends them (test=form; a secret left empty is the stored one), else with
// the saved settings. Nothing is saved. Typed values that cannot be tested show the
// form again with the reasons beside the fields.
func (a *App) settingsImportsTest(c *fiber.Ctx) error {
	typed := c.FormValue("test") == "form"
	var im settings.Imports
	var err error
	if typed {
		in := importsInput(c)
		im, err = settings.ImportsFromInput(state(c).settings, a.keys, in)
		if errs, ok := validation.As(err); ok {
			f := importsFormAgain(in, state(c).settings, errs)
			f.NotTested = "Correct the marked fields, then test again."
			retarget(c, "#settings-imports", "outerHTML")
			return a.renderFragment(c, fiber.StatusUnprocessableEntity, settingsview.ImportsEdit(a.view(c), f))
		}
	} else {
		im, err = settings.ImportsFrom(state(c).settings, a.keys)
	}
	t := settingsview.ConnectionTest{Typed: typed}
	if err == nil {
		t, err = a.checkImports(c.UserContext(), im, typed)
	}
	if err != nil {
		t.Err = err.Error()
	}
	return a.renderFragment(c, fiber.StatusOK, settingsview.TestResult(t))
}

// checkImports connects to the mail source of im and reports what it finds there.
func (a *App) checkImports(ctx context.Context, im settings.Imports, typed bool) (settingsview.ConnectionTest, error) {
	t := settingsview.ConnectionTest{Typed: typed}
	ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	src, _, err := mailbox.FromSettings(im, a.sourceOptions())
	if err != nil {
		return t, err
	}
	res, err := src.Check(ctx)
	if err != nil {
		return t, err
	}
	t.Folders, t.SourceFolder, t.Waiting, t.ProcessedInto, t.Details = res.Folders, res.SourceFolder, res.Waiting, res.ProcessedInto, res.ServerDetails
	return t, nil
}

// settingsImportsRun starts "Import now" and shows its progress.
func (a *App) settingsImportsRun(c *fiber.Ctx) error {
	if state(c).settings.MailSource == settings.MailSourceNone {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Choose and save a mail source first.")
	}
	return a.startTask(c, (*riverjobs.Queue).StartMailImport)
}

func (a *App) sourceOptions() mailbox.Options {
	return mailbox.Options{GraphLoginURL: a.cfg.GraphLoginURL, GraphURL: a.cfg.GraphURL}
}
