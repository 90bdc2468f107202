package app

import (
	"bufio"
	"fmt"
	"mime"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/inbox"
	"github.com/backupchecks/backupchecks/app/jobs"
	"github.com/backupchecks/backupchecks/app/validation"
	settingsview "github.com/backupchecks/backupchecks/components/settings"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
)

// defaultPurgeDays is the age the purge form suggests.
const defaultPurgeDays = 30

func (a *App) settingsMaintenancePage(c *fiber.Ctx) error {
	return a.renderMaintenance(c, fiber.StatusOK, settingsview.Maintenance{PurgeDays: strconv.Itoa(defaultPurgeDays)})
}

// renderMaintenance shows the tab with m's values and errors, filling in the figures
// and the retention (unless m carries a value that was refused).
func (a *App) renderMaintenance(c *fiber.Ctx, status int, m settingsview.Maintenance) error {
	ctx := c.UserContext()
	var err error
	if m.Jobs, err = jobs.CountAll(ctx, a.db.Bun); err != nil {
		return err
	}
	if m.DeletedMails, err = inbox.CountDeleted(ctx, a.db.Bun); err != nil {
		return err
	}
	if m.RetentionDays == "" {
		days, err := audit.Retention(ctx, a.db.Bun)
		if err != nil {
			return err
		}
		m.RetentionDays = strconv.Itoa(days)
	}
	if m.PurgeDays == "" {
		m.PurgeDays = strconv.Itoa(defaultPurgeDays)
	}
	return a.render(c, status, func(v view.Ctx) templ.Component { return settingsview.MaintenancePage(v, m) }, nil)
}

// maintenanceDeleteJobs deletes every job once the confirmation word is typed.
func (a *App) maintenanceDeleteJobs(c *fiber.Ctx) error {
	if strings.TrimSpace(c.FormValue("confirm")) != settingsview.DeleteAllWord {
		return a.renderMaintenance(c, fiber.StatusUnprocessableEntity, settingsview.Maintenance{
			Errors: map[string]string{"confirm": "Type " + settingsview.DeleteAllWord + " exactly (capitals) to delete every job."}})
	}
	n, err := jobs.DeleteAll(c.UserContext(), a.db.Bun, a.actor(c))
	if err != nil {
		return err
	}
	return a.redirectWithFlash(c, "/settings/maintenance", success(fmt.Sprintf(
		"Deleted %s with %s; %s returned to the Inbox; %s and %s unlinked.",
		ui.Count(n.Jobs, "job", "jobs"), ui.Count(n.Runs, "run", "runs"), ui.Count(n.MailsToInbox, "mail", "mails"),
		ui.Count(n.CoveUnlinked, "Cove account", "Cove accounts"), ui.Count(n.CloudConnectUnlinked, "Cloud Connect tenant", "Cloud Connect tenants"))))
}

// maintenancePurgeMails purges the mails deleted more than the given days ago.
func (a *App) maintenancePurgeMails(c *fiber.Ctx) error {
	raw := strings.TrimSpace(c.FormValue("days"))
	days, err := strconv.Atoi(raw)
	if err != nil {
		days = -1 // refused by the capability, beside the field
	}
	n, err := inbox.PurgeDeletedOlderThan(c.UserContext(), a.db.Bun, a.actor(c), days, a.now())
	if errs, ok := validation.As(err); ok {
		return a.renderMaintenance(c, fiber.StatusUnprocessableEntity, settingsview.Maintenance{PurgeDays: raw, Errors: errs})
	}
	if err != nil {
		return err
	}
	return a.redirectWithFlash(c, "/settings/maintenance", success(fmt.Sprintf("Purged %s deleted more than %s ago.",
		ui.Count(n, "mail", "mails"), ui.Count(days, "day", "days"))))
}

// maintenanceAuditRetention sets how long audit entries are kept.
func (a *App) maintenanceAuditRetention(c *fiber.Ctx) error {
	raw := strings.TrimSpace(c.FormValue("audit_retention_days"))
	days, err := strconv.Atoi(raw)
	if err != nil {
		days = 0 // out of bounds: refused beside the field
	}
	err = audit.SetRetention(c.UserContext(), a.db.Bun, a.actor(c), days)
	if errs, ok := validation.As(err); ok {
		return a.renderMaintenance(c, fiber.StatusUnprocessableEntity, settingsview.Maintenance{RetentionDays: raw, Errors: errs})
	}
	if err != nil {
		return err
	}
	return a.redirectWithFlash(c, "/settings/maintenance", success(fmt.Sprintf("Logging keeps entries for %s.", ui.Count(days, "day", "days"))))
}

// jobsExport streams the jobs export as a JSON download.
func (a *App) jobsExport(c *fiber.Ctx) error {
	name := "backupchecks-jobs-" + a.now().Format("2006-01-02") + ".json"
	c.Set(fiber.HeaderContentType, "application/json")
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	ctx := c.UserContext()
	now := a.now()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		if _, err := jobs.Export(ctx, a.db.Bun, w, now); err != nil {
			// Headers are gone; a cut-off file fails to import, which is the signal.
			fmt.Fprintf(w, "\nexport failed: %v\n", err)
		}
		_ = w.Flush()
	})
	return nil
}

func (a *App) jobsImport(c *fiber.Ctx) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return a.redirectWithFlash(c, "/settings/maintenance", view.Flash{Kind: "danger", Message: "Choose a jobs export file to import."})
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := jobs.Import(c.UserContext(), a.db.Bun, a.actor(c), f)
	if err != nil {
		return a.redirectWithFlash(c, "/settings/maintenance", view.Flash{Kind: "danger", Message: "Nothing imported: " + err.Error()})
	}
	msg := fmt.Sprintf("Imported: %s and %s created, %s updated.", ui.Count(res.CustomersCreated, "customer", "customers"),
		ui.Count(res.JobsCreated, "job", "jobs"), ui.Count(res.JobsUpdated, "job", "jobs"))
	if res.CloudConnectLinked > 0 {
		msg += " " + ui.Count(res.CloudConnectLinked, "Cloud Connect tenant", "Cloud Connect tenants") + " linked."
	}
	return a.redirectWithFlash(c, "/settings/maintenance", success(msg))
}
