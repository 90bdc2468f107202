package app

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/retention"
	"github.com/backupchecks/backupchecks/app/validation"
	settingsview "github.com/backupchecks/backupchecks/components/settings"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
)

// retentionModel reads the saved policy and whether a pass is under way.
func (a *App) retentionModel(c *fiber.Ctx) (settingsview.Retention, error) {
	ctx := c.UserContext()
	p, err := retention.Load(ctx, a.db.Bun)
	if err != nil {
		return settingsview.Retention{}, err
	}
	running, err := retention.Running(ctx, a.db.Bun)
	if err != nil {
		return settingsview.Retention{}, err
	}
	return settingsview.Retention{Years: p.Years, LastRunAt: p.LastRunAt, LastResult: p.LastResult, Running: running,
		CanPurge: a.queue != nil}, nil
}

// parseYears reads the years field; a value that is no whole number is a field error.
func parseYears(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, validation.Errors{"years": "Enter a whole number of years, e.g. 3 (0 keeps everything)."}
	}
	return n, retention.Validate(n)
}

// retentionView is the section; with ?preview=1 it also shows what the years typed
// would remove now. A full load shows the Maintenance page.
func (a *App) retentionView(c *fiber.Ctx) error {
	r, err := a.retentionModel(c)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if c.Query("preview") != "" {
		r.Input = c.Query("years", strconv.Itoa(r.Years))
		years, err := parseYears(r.Input)
		if errs, ok := validation.As(err); ok {
			r.Errors, status = errs, fiber.StatusUnprocessableEntity
		} else {
			p, err := retention.Count(c.UserContext(), a.db.Bun, years, a.now())
			if err != nil {
				return err
			}
			r.Preview = &settingsview.RetentionPreview{Years: p.Years, Cutoff: p.Cutoff, Runs: p.Runs, Mails: p.Mails}
		}
	}
	if !isHTMX(c) {
		return a.renderMaintenance(c, status, settingsview.Maintenance{})
	}
	return a.renderFragment(c, status, settingsview.RetentionView(a.view(c), r))
}

// retentionSave sets the years; the answer shows what the new setting removes.
func (a *App) retentionSave(c *fiber.Ctx) error {
	input := c.FormValue("years")
	years, err := parseYears(input)
	if err == nil {
		err = retention.Save(c.UserContext(), a.db.Bun, a.actor(c), years)
	}
	if errs, ok := validation.As(err); ok {
		r, merr := a.retentionModel(c)
		if merr != nil {
			return merr
		}
		r.Input, r.Errors = input, errs
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, settingsview.RetentionView(a.view(c), r))
	} else if err != nil {
		return err
	}
	r, err := a.retentionModel(c)
	if err != nil {
		return err
	}
	msg := "Data retention is off: everything is kept."
	if years > 0 {
		p, err := retention.Count(c.UserContext(), a.db.Bun, years, a.now())
		if err != nil {
			return err
		}
		r.Preview = &settingsview.RetentionPreview{Years: p.Years, Cutoff: p.Cutoff, Runs: p.Runs, Mails: p.Mails}
		msg = "Data retention set to " + ui.Count(years, "year", "years") + ": the daily pass removes older runs and mails."
	}
	if !isHTMX(c) {
		return a.redirectWithFlash(c, "/settings/maintenance", success(msg))
	}
	return a.renderFragment(c, fiber.StatusOK, settingsview.RetentionView(a.view(c), r), success(msg))
}

// retentionRun starts a pass now.
func (a *App) retentionRun(c *fiber.Ctx) error {
	q, err := a.background()
	if err != nil {
		return err
	}
	r, err := a.retentionModel(c)
	if err != nil {
		return err
	}
	flash := view.Flash{Kind: "warning", Message: "Data retention is off (0 years): there is nothing to purge."}
	if r.Years > 0 {
		started, err := q.StartRetention(c.UserContext())
		if err != nil {
			return err
		}
		flash = success("Purge started: runs and mails older than " + ui.Count(r.Years, "year", "years") + " are being removed.")
		if !started {
			flash = view.Flash{Kind: "info", Message: "A retention pass is already under way."}
		}
		r.Running = true
	}
	if !isHTMX(c) {
		return a.redirectWithFlash(c, "/settings/maintenance", flash)
	}
	return a.renderFragment(c, fiber.StatusOK, settingsview.RetentionView(a.view(c), r), flash)
}
