package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/overrides"
	"github.com/backupchecks/backupchecks/app/psa"
	"github.com/backupchecks/backupchecks/app/review"
	"github.com/backupchecks/backupchecks/app/schedule"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/app/tickets"
	"github.com/backupchecks/backupchecks/components/layout"
	runchecksview "github.com/backupchecks/backupchecks/components/runchecks"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
	"github.com/backupchecks/backupchecks/db"
)

const runChecksPerPage = 25

// runChecksFilter reads the filter from URL values (the page's query string, or the
// copy a POST carries so the refreshed list keeps it).
func (a *App) runChecksFilter(c *fiber.Ctx, q url.Values) (review.QueueFilter, runchecksview.Filter, string) {
	f := runchecksview.Filter{CustomerID: q.Get("customer_id"), Status: q.Get("status"), Software: q.Get("software"),
		Type: q.Get("type"), Text: q.Get("q"), From: q.Get("from"), To: q.Get("to"),
		IncludeReviewed: q.Get("include_reviewed") == "on" && currentUser(c).ActiveRole == db.RoleAdmin}
	qf := review.QueueFilter{Status: f.Status, Software: f.Software, Type: f.Type, Text: f.Text,
		IncludeReviewed: f.IncludeReviewed, Page: pageNumber(q.Get("page")), PerPage: runChecksPerPage}
	qf.CustomerID, _ = strconv.ParseInt(f.CustomerID, 10, 64)
	loc := settings.Location(state(c).settings)
	if d, err := schedule.ParseDate(f.From); err == nil {
		t := schedule.LocalInstant(d, 0, 0, loc)
		qf.From = &t
	} else {
		f.From = ""
	}
	if d, err := schedule.ParseDate(f.To); err == nil {
		t := schedule.LocalInstant(d.AddDays(1), 0, 0, loc) // "until" includes that day
		qf.To = &t
	} else {
		f.To = ""
	}
	keep := url.Values{}
	for k, v := range map[string]string{"customer_id": f.CustomerID, "status": f.Status, "software": f.Software,
		"type": f.Type, "q": f.Text, "from": f.From, "to": f.To} {
		if v != "" {
			keep.Set(k, v)
		}
	}
	if f.IncludeReviewed {
		keep.Set("include_reviewed", "on")
	}
	return qf, f, keep.Encode()
}

func (a *App) runChecksModel(c *fiber.Ctx, q url.Values) (runchecksview.Model, error) {
	qf, f, query := a.runChecksFilter(c, q)
	groups, total, err := review.Queue(c.UserContext(), a.db.Bun, qf)
	if err != nil {
		return runchecksview.Model{}, err
	}
	m := runchecksview.Model{Filter: f, IsAdmin: currentUser(c).ActiveRole == db.RoleAdmin, Query: query,
		Pager: ui.Pager{Page: qf.Page, PerPage: runChecksPerPage, Total: total, BaseURL: "/runchecks?" + query + "&"}}
	if query == "" {
		m.Pager.BaseURL = "/runchecks?"
	}
	for _, g := range groups {
		vg := runchecksview.Group{JobID: g.JobID, CustomerID: g.CustomerID, CustomerName: g.CustomerName, JobName: g.JobName,
			Software: g.Software, Type: g.Type, Schedule: describe(decodeSchedule(g.Schedule)), Worst: g.Worst,
			Unreviewed: g.Unreviewed, Ticket: g.Ticket, Tickets: g.Tickets, Remark: g.Remark}
		for _, r := range g.Runs {
			vg.Runs = append(vg.Runs, runchecksview.Run{ID: r.ID, Status: r.Status, Overridden: r.Overridden, Source: r.Source,
				RunAt: r.RunAt, Message: r.Message, MailID: r.MailID, Reviewed: r.ReviewedAt != nil})
		}
		m.Groups = append(m.Groups, vg)
	}
	return m, nil
}

func (a *App) runChecksPage(c *fiber.Ctx) error {
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	m, err := a.runChecksModel(c, q)
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		if err := a.runChecksOptions(c, &m); err != nil {
			return err
		}
	}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return runchecksview.Page(v, m) }, runchecksview.List(a.view(c), m))
}

// filterOptions are the Run Checks filter's choices, cached briefly: every operator's
// full page load needs them, and a customer or job added a minute ago can wait.
type filterOptions struct {
	mu        sync.Mutex
	fetchedAt time.Time
	customers *ui.OptionList
	softwares []string
	types     []string
}

const filterOptionsTTL = time.Minute

// runChecksOptions fills the filter's choices (customers, software, types).
func (a *App) runChecksOptions(c *fiber.Ctx, m *runchecksview.Model) error {
	o := &a.rcOptions
	o.mu.Lock()
	defer o.mu.Unlock()
	if time.Since(o.fetchedAt) > filterOptionsTTL {
		if err := a.loadRunChecksOptions(c, o); err != nil {
			return err
		}
		o.fetchedAt = time.Now()
	}
	m.Customers, m.Softwares, m.Types = o.customers, o.softwares, o.types
	return nil
}

func (a *App) loadRunChecksOptions(c *fiber.Ctx, m *filterOptions) error {
	ch, err := review.FilterChoices(c.UserContext(), a.db.Bun)
	if err != nil {
		return err
	}
	opts := make([]ui.Option, len(ch.Customers))
	for i, cu := range ch.Customers {
		opts[i] = ui.Option{Value: strconv.FormatInt(cu.ID, 10), Label: cu.Name}
	}
	if m.customers, err = ui.NewOptionList(c.UserContext(), opts); err != nil {
		return fmt.Errorf("run checks: customers: %w", err)
	}
	m.softwares, m.types = ch.Softwares, ch.Types
	return nil
}

func (a *App) runChecksReview(c *fiber.Ctx) error   { return a.runChecksChange(c, true) }
func (a *App) runChecksUnreview(c *fiber.Ctx) error { return a.runChecksChange(c, false) }

func (a *App) runChecksChange(c *fiber.Ctx, reviewed bool) error {
	var ids []int64
	for _, raw := range c.Request().PostArgs().PeekMulti("run_ids") {
		if id, err := strconv.ParseInt(string(raw), 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Select at least one run.")
	}
	var n int
	var err error
	if reviewed {
		n, err = review.ReviewRuns(c.UserContext(), a.db.Bun, a.actor(c), ids, a.now())
	} else {
		n, err = review.UnreviewRuns(c.UserContext(), a.db.Bun, a.actor(c), ids, a.now())
	}
	if err != nil {
		return err
	}
	if reviewed && c.FormValue("from_modal") != "" && len(ids) == 1 {
		return a.runReviewedFromDialog(c, ids[0], n == 1)
	}
	q, _ := url.ParseQuery(c.FormValue("filter"))
	m, err := a.runChecksModel(c, q)
	if err != nil {
		return err
	}
	verb := "reviewed"
	if !reviewed {
		verb = "back in the queue"
	}
	return a.renderFragment(c, fiber.StatusOK, runchecksview.List(a.view(c), m), success(fmt.Sprintf("%s %s.", ui.Count(n, "run", "runs"), verb)))
}

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
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return fiber.ErrNotFound
	}
	return a.renderRunModal(c, id, false)
}

// runChecksMarkSuccess treats a run as successful by hand and offers an override.
func (a *App) runChecksMarkSuccess(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return fiber.ErrNotFound
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
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return fiber.ErrNotFound
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
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return fiber.ErrNotFound
	}
	d, err := review.GetRunState(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, runchecksview.RunFooter(a.view(c), a.runModel(c, d, false)))
}

// runView is a run read-only (GET /runs/:id), for every reader: what the run dialog
// shows, without review, override or ticket actions. A dialog for htmx, else a page.
func (a *App) runView(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return fiber.ErrNotFound
	}
	m, err := a.runDialogModel(c, id, true)
	if err != nil {
		return err
	}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return runchecksview.RunPage(v, m) }, runchecksview.RunModal(a.view(c), m))
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
	if d.MailHTML != "" && d.MailID != nil {
		m.BodyURL = mailBodyURL(*d.MailID)
	} else {
		m.Text = d.MailText
	}
	for _, o := range d.Objects {
		m.Objects = append(m.Objects, runchecksview.RunObject{Name: o.Name, Type: o.Type, Status: o.Status, Error: o.Error})
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
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return fiber.ErrNotFound
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
