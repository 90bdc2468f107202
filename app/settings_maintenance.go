package app

import (
	"bufio"
	"fmt"
	"mime"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/jobs"
	settingsview "github.com/backupchecks/backupchecks/components/settings"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
)

func (a *App) settingsMaintenancePage(c *fiber.Ctx) error {
	return a.renderPage(c, settingsview.MaintenancePage)
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
	return a.redirectWithFlash(c, "/settings/maintenance", success(fmt.Sprintf(
		"Imported: %s and %s created, %s updated.", ui.Count(res.CustomersCreated, "customer", "customers"),
		ui.Count(res.JobsCreated, "job", "jobs"), ui.Count(res.JobsUpdated, "job", "jobs"))))
}
