package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/customers"
	customersview "github.com/backupchecks/backupchecks/components/customers"
)

// customersExport streams every customer as CSV, page by page.
func (a *App) customersExport(c *fiber.Ctx) error {
	name := fmt.Sprintf("customers-%s.csv", a.now().Format("2006-01-02"))
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	c.Set(fiber.HeaderCacheControl, "no-store")
	bdb, reqID := a.db.Bun, requestID(c)
	// The writer runs after this handler returns, when c is no longer valid.
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if err := customers.ExportCSV(ctx, bdb, w); err != nil {
			slog.Warn("web: customers export ended early", "err", err, "request_id", reqID)
			return
		}
		_ = w.Flush()
	})
	return nil
}

// customersImport upserts customers from an uploaded CSV file (all or nothing).
func (a *App) customersImport(c *fiber.Ctx) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return a.customersImportRejected(c, []string{"Choose a CSV file to import."})
	}
	if fh.Size > customers.MaxImportBytes {
		return a.customersImportRejected(c, []string{fmt.Sprintf("The file is larger than %d MB.", customers.MaxImportBytes>>20)})
	}
	f, err := fh.Open()
	if err != nil {
		return fmt.Errorf("import %s: %w", fh.Filename, err)
	}
	defer f.Close()
	res, err := customers.ImportCSV(c.UserContext(), a.db.Bun, a.actor(c), f)
	var rejected customers.ImportError
	if errors.As(err, &rejected) {
		msgs := make([]string, len(rejected))
		for i, le := range rejected {
			msgs[i] = le.String()
		}
		return a.customersImportRejected(c, msgs)
	}
	if err != nil {
		return err
	}
	flash := success(fmt.Sprintf("Customers imported from %s: %d created, %d updated, %d unchanged.", fh.Filename, res.Created, res.Updated, res.Unchanged))
	if !isHTMX(c) {
		return a.redirectWithFlash(c, "/customers", flash)
	}
	l, err := a.customersList(c, customerFilter(c))
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, customersview.Imported(a.view(c), l), flash)
}

// customersImportRejected shows why a file was not imported, beside the file field.
func (a *App) customersImportRejected(c *fiber.Ctx, msgs []string) error {
	f := customersview.ImportForm{Errors: msgs}
	if !isHTMX(c) {
		return a.renderCustomersPage(c, fiber.StatusUnprocessableEntity, customersview.Model{Create: customersview.CreateForm{Active: true}, Import: f}, nil)
	}
	retarget(c, "#customers-import", "outerHTML")
	return a.renderFragment(c, fiber.StatusUnprocessableEntity, customersview.Import(a.view(c), f, false))
}
