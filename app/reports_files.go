package app

import (
	"errors"
	"mime"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/reports"
	"github.com/backupchecks/backupchecks/app/tasks"
	reportsview "github.com/backupchecks/backupchecks/components/reports"
	"github.com/backupchecks/backupchecks/db"
)

// The report's downloads: streamed files, a build in the background and its kept file,
// and the branding logo.

// reportPDF streams one customer's PDF (?customer=), or the ZIP of every customer's
// when the report is small; a large ZIP is built in the background instead.
func (a *App) reportPDF(c *fiber.Ctx) error {
	return a.reportDownload(c, reports.FormatPDF)
}

// reportCSV streams the CSV of a small report.
func (a *App) reportCSV(c *fiber.Ctx) error {
	return a.reportDownload(c, reports.FormatCSV)
}

func (a *App) reportDownload(c *fiber.Ctx, format string) error {
	rs, err := a.loadReportScope(c)
	if err != nil {
		return err
	}
	if rs.empty != "" {
		return fiber.NewError(fiber.StatusConflict, rs.empty)
	}
	ctx := c.UserContext()
	scope := rs.scope
	if c.Query("customer") != "" && format == reports.FormatPDF {
		cu, _, ok := rs.pick(c)
		if !ok {
			return fiber.NewError(fiber.StatusNotFound, "This customer is not in the report.")
		}
		scope.AllCustomers, scope.CustomerIDs = false, []int64{cu.ID}
	} else {
		size, err := reports.Measure(ctx, a.db.Bun, scope, rs.customers)
		if err != nil {
			return err
		}
		if size.Large() && !(format == reports.FormatPDF && size.Customers == 1) {
			return fiber.NewError(fiber.StatusConflict, "This report is large: build it in the background on the report's page and download it there.")
		}
	}
	b, err := reports.LoadSettings(ctx, a.db.Bun, nil)
	if err != nil {
		return err
	}
	data, file, err := reports.RenderToBuffer(ctx, a.db.Bun, scope, reports.NewDocument(b.Branding, rs.loc, a.now(), rs.def.Content()),
		rs.def.Name, format, nil)
	if err != nil {
		return err
	}
	return sendFile(c, file.Name, file.ContentType, data)
}

// sendFile answers with data as a download named name.
func sendFile(c *fiber.Ctx, name, contentType string, data []byte) error {
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	return c.Send(data)
}

// reportGenerate starts building the report in the background (POST, format pdf or csv).
func (a *App) reportGenerate(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := reports.GetDefinition(c.UserContext(), a.db.Bun, id); err != nil {
		return err
	}
	format := c.FormValue("format")
	if format != reports.FormatCSV {
		format = reports.FormatPDF
	}
	q, err := a.background()
	if err != nil {
		return err
	}
	taskID, err := q.StartReport(c.UserContext(), currentUser(c).ID, id, format)
	if err != nil {
		return err
	}
	t, err := tasks.Get(c.UserContext(), a.db.Bun, taskID)
	if err != nil {
		return err
	}
	// Its own progress view (not ui.TaskProgress): when done it offers the built file.
	return a.renderFragment(c, fiber.StatusOK, reportsview.TaskProgress(taskView(t), nil))
}

// reportTask is a report build's progress (polled by its page), with the file when done.
func (a *App) reportTask(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	t, err := tasks.Get(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	if t.Kind != reports.TaskKind {
		return fiber.ErrNotFound
	}
	var file *reportsview.File
	if t.Status == "done" {
		f, err := reports.FileForTask(c.UserContext(), a.db.Bun, id, a.now())
		if err != nil {
			return err
		}
		if f != nil {
			file = &reportsview.File{ID: f.ID, Filename: f.Filename, Size: mail.FormatSize(f.Size), CreatedAt: f.CreatedAt, ExpiresAt: f.ExpiresAt}
		}
	}
	return a.renderFragment(c, fiber.StatusOK, reportsview.TaskProgress(taskView(t), file))
}

// reportFile downloads a kept report file.
func (a *App) reportFile(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	f, err := reports.GetFile(c.UserContext(), a.db.Bun, id, a.now())
	if errors.Is(err, db.ErrNotFound) {
		return fiber.NewError(fiber.StatusNotFound, "This file is no longer kept (its retention ended). Build the report again.")
	}
	if err != nil {
		return err
	}
	return sendFile(c, f.Filename, f.ContentType, f.Data)
}

// reportLogo serves the branding logo (re-encoded as PNG when uploaded).
func (a *App) reportLogo(c *fiber.Ctx) error {
	s, err := reports.LoadSettings(c.UserContext(), a.db.Bun, nil)
	if err != nil {
		return err
	}
	if len(s.Logo) == 0 {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, "image/png")
	c.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	return c.Send(s.Logo)
}
