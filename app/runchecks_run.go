package app

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/overrides"
	"github.com/backupchecks/backupchecks/app/psa"
	"github.com/backupchecks/backupchecks/app/review"
	"github.com/backupchecks/backupchecks/app/tickets"
	"github.com/backupchecks/backupchecks/components/layout"
	runchecksview "github.com/backupchecks/backupchecks/components/runchecks"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
)

// runReviewedFromDialog answers "Mark as reviewed" in a run's dialog: the dialog closes
// and the queue (where there is one) refreshes; when a colleague reviewed the run while
// the dialog was open, the dialog shows it again saying who and when.
func (a *App) runReviewedFromDialog(c *fiber.Ctx, id int64, changed bool) error {
	if changed {
		// The confirmation goes to the flash area, not into the dialog: a swap into the
		// dialog (even "none") would have app.js show it again while it closes.
		trigger(c, map[string]any{"closeModal": true, "runsChanged": true})
		retarget(c, "#flash", "beforeend")
		return a.renderFragment(c, fiber.StatusOK, layout.FlashMessage(success("Run reviewed.")))
	}
	d, err := review.GetRunState(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	msg := "This run was not reviewed: it is superseded by a later run."
	if d.ReviewedAt != nil {
		msg = "Already reviewed by " + orSomeone(d.ReviewedBy) + " at " + a.view(c).FormatTimePtr(d.ReviewedAt) + "."
	}
	trigger(c, map[string]any{"runsChanged": true})
	return a.renderRunModal(c, id, false, warning(msg))
}

func orSomeone(name string) string {
	if name == "" {
		return "someone"
	}
	return name
}

// runChecksRun is the run dialog.
func (a *App) runChecksRun(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return a.renderRunModal(c, id, false)
}

// runChecksMarkSuccess treats a run as successful by hand and offers an override.
func (a *App) runChecksMarkSuccess(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	changed, err := overrides.MarkSuccess(c.UserContext(), a.db.Bun, a.actor(c), id, a.now())
	if err != nil {
		return err
	}
	if !changed {
		return fiber.NewError(fiber.StatusConflict, "This run is reviewed or already a success.")
	}
	trigger(c, map[string]any{"runsChanged": true})
	return a.renderRunModal(c, id, true)
}

// runChecksUndoSuccess takes back a "Mark as Success" from the run's dialog.
func (a *App) runChecksUndoSuccess(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	changed, err := overrides.UndoMarkSuccess(c.UserContext(), a.db.Bun, a.actor(c), id, a.now())
	if err != nil {
		return err
	}
	if !changed {
		return fiber.NewError(fiber.StatusConflict, "This run is reviewed or was not marked as a success by hand.")
	}
	trigger(c, map[string]any{"runsChanged": true})
	return a.renderRunModal(c, id, false, success("Mark as Success undone: the run has its reported status again."))
}

// runChecksRunFooter is the run dialog's footer alone (its review state and actions),
// asked again by an open dialog when the queue changed, so that a review or a "Mark
// as Success" by a colleague shows without reopening it.
func (a *App) runChecksRunFooter(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	d, err := review.GetRunState(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, runchecksview.RunFooter(a.view(c), a.runModel(c, d, false)))
}

// runModel is the dialog's model from a run's state (enough for its footer); readOnly
// leaves out every action.
func (a *App) runModel(c *fiber.Ctx, d *review.RunDetail, readOnly bool) runchecksview.RunModel {
	status := d.Status
	if d.Overridden != "" {
		status = d.Overridden
	}
	filter := c.Query("filter")
	if filter == "" {
		filter = c.FormValue("filter")
	}
	return runchecksview.RunModel{Run: runchecksview.Run{ID: d.ID, Status: status, Overridden: d.Overridden != "", Source: d.Source,
		RunAt: d.RunAt, Message: d.Message, MailID: d.MailID, Reviewed: d.ReviewedAt != nil},
		JobID: d.JobID, JobName: d.JobName, CustomerName: d.CustomerName, Software: d.Software, Type: d.Type,
		Original: d.Status, StartedAt: d.StartedAt, EndedAt: d.EndedAt, Host: d.Host, Parser: d.Parser,
		ReviewedAt: d.ReviewedAt, ReviewedBy: d.ReviewedBy, Filter: filter, ReadOnly: readOnly,
		CanMark:       !readOnly && d.ReviewedAt == nil && status != "Success",
		ManualSuccess: d.ManualSuccess, MarkedBy: d.MarkedBy, MarkedAt: d.MarkedAt,
		Autotask: !readOnly && state(c).settings.AutotaskEnabled, AutotaskTicket: d.AutotaskTicket, TimeNote: d.TimeNote}
}

// runDialogModel loads everything the run dialog shows.
func (a *App) runDialogModel(c *fiber.Ctx, id int64, readOnly bool) (runchecksview.RunModel, error) {
	ctx := c.UserContext()
	d, err := review.GetRun(ctx, a.db.Bun, id)
	if err != nil {
		return runchecksview.RunModel{}, err
	}
	alerts, err := tickets.Alerts(ctx, a.db.Bun, id)
	if err != nil {
		return runchecksview.RunModel{}, err
	}
	m := a.runModel(c, d, readOnly)
	if d.Source == ingest.SourceCove {
		if m.Cove, err = a.coveRunPanel(c, d.ID); err != nil {
			return runchecksview.RunModel{}, err
		}
	}
	if d.MailID != nil {
		m.Body = mailBodyView(*d.MailID, d.MailHTML, d.MailText)
	}
	if err := a.withCloudConnect(c, d, &m); err != nil {
		return runchecksview.RunModel{}, err
	}
	for _, o := range d.Objects {
		m.Objects = append(m.Objects, ui.Object{Name: o.Name, Type: o.Type, Status: o.Status, Message: o.Error})
	}
	if !readOnly {
		for _, e := range d.Events {
			m.Events = append(m.Events, runchecksview.RunEvent{Action: e.Action, Actor: e.ActorName, At: e.At})
		}
	}
	m.Alerts = alertViews(alerts)
	return m, nil
}

func (a *App) renderRunModal(c *fiber.Ctx, id int64, askOverride bool, flashes ...view.Flash) error {
	m, err := a.runDialogModel(c, id, false)
	if err != nil {
		return err
	}
	m.AskOverride = askOverride
	return a.renderFragment(c, fiber.StatusOK, runchecksview.RunModal(a.view(c), m), flashes...)
}

// runChecksAutotaskTicket raises (or reuses) the job's Autotask ticket for a run.
func (a *App) runChecksAutotaskTicket(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	client, err := a.autotaskClient(c)
	if err != nil {
		return fiber.NewError(fiber.StatusUnprocessableEntity, autotaskFail(err))
	}
	s := state(c).settings
	ctx, cancel := context.WithTimeout(c.UserContext(), time.Minute)
	defer cancel()
	res, err := psa.CreateTicketForRun(ctx, a.db.Bun, client, a.actor(c), psa.Defaults{QueueID: s.AutotaskQueueID,
		SourceID: s.AutotaskSourceID, PriorityID: s.AutotaskPriorityID, StatusID: s.AutotaskStatusID, BaseURL: s.AutotaskBaseURL}, id, a.now())
	var blocked *psa.BlockedError
	if errors.As(err, &blocked) {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "No Autotask ticket: "+blocked.Reason+".")
	}
	if err != nil {
		return fiber.NewError(fiber.StatusBadGateway, autotaskFail(err))
	}
	msg := "Autotask ticket " + res.TicketNumber + " created."
	if res.Reused {
		msg = "The job's open Autotask ticket " + res.TicketNumber + " now covers this run too."
	}
	return a.renderRunModal(c, id, false, success(msg))
}
