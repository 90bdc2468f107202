package app

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/customers"
	"github.com/backupchecks/backupchecks/app/jobs"
	"github.com/backupchecks/backupchecks/app/review"
	"github.com/backupchecks/backupchecks/app/tickets"
	"github.com/backupchecks/backupchecks/app/validation"
	ticketsview "github.com/backupchecks/backupchecks/components/tickets"
	"github.com/backupchecks/backupchecks/components/view"
	"github.com/backupchecks/backupchecks/db"
)

func ticketKind(s string) string {
	if s == tickets.KindRemark {
		return tickets.KindRemark
	}
	return tickets.KindTicket
}

func (a *App) ticketsModel(c *fiber.Ctx, kind, state string) (ticketsview.Model, error) {
	if state != "resolved" && state != "all" {
		state = "open"
	}
	f := tickets.ListFilter{Kind: kind, Query: strings.TrimSpace(c.Query("q"))}
	f.JobID, _ = strconv.ParseInt(c.Query("job_id"), 10, 64)
	f.CustomerID, _ = strconv.ParseInt(c.Query("customer_id"), 10, 64)
	if state != "all" {
		resolved := state == "resolved"
		f.Resolved = &resolved
	}
	items, err := tickets.List(c.UserContext(), a.db.Bun, f)
	if err != nil {
		return ticketsview.Model{}, err
	}
	m := ticketsview.Model{Kind: kind, State: state, Query: f.Query, JobID: f.JobID, CustomerID: f.CustomerID}
	// Name what an id filter narrows to, so the page says what it shows.
	switch {
	case f.JobID != 0:
		var j *jobs.Row
		if j, err = jobs.Get(c.UserContext(), a.db.Bun, f.JobID); err == nil {
			m.Narrowed = j.CustomerName + " / " + j.JobName
		}
	case f.CustomerID != 0:
		var cu *db.Customer
		if cu, err = customers.Get(c.UserContext(), a.db.Bun, f.CustomerID); err == nil {
			m.Narrowed = cu.Name
		}
	}
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return ticketsview.Model{}, err
	}
	for _, it := range items {
		m.Items = append(m.Items, ticketsview.Item{ID: it.ID, Kind: it.Kind, Code: it.Code, Text: it.Text, ResolvedAt: it.ResolvedAt, AutotaskDeletedAt: it.AutotaskDeletedAt,
			CreatedAt: it.CreatedAt, Scopes: it.Scopes, Runs: it.Runs})
	}
	return m, nil
}

func (a *App) ticketsPage(c *fiber.Ctx) error {
	m, err := a.ticketsModel(c, ticketKind(c.Query("kind")), c.Query("state"))
	if err != nil {
		return err
	}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return ticketsview.Page(v, m) }, ticketsview.Table(a.view(c), m))
}

// ticketNew is the create form, raised from a run.
func (a *App) ticketNew(c *fiber.Ctx) error {
	runID, err := strconv.ParseInt(c.Query("run_id"), 10, 64)
	if err != nil || runID <= 0 {
		return a.ticketNewForScope(c)
	}
	d, err := review.GetRun(c.UserContext(), a.db.Bun, runID)
	if err != nil {
		return err
	}
	f := ticketsview.Form{Kind: ticketKind(c.Query("kind")), RunID: runID, JobID: d.JobID, Scope: d.CustomerName + " / " + d.JobName,
		Customer: d.CustomerName, CustomerID: d.CustomerID}
	if f.Objects, err = a.runObjects(c, runID); err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, ticketsview.FormModal(a.view(c), f))
}

// runObjects are the objects of a run a ticket can be scoped to, failures first.
func (a *App) runObjects(c *fiber.Ctx, runID int64) ([]ticketsview.Object, error) {
	objs, err := tickets.RunObjects(c.UserContext(), a.db.Bun, runID)
	if err != nil {
		return nil, err
	}
	out := make([]ticketsview.Object, len(objs))
	for i, o := range objs {
		out[i] = ticketsview.Object{ID: o.ID, Name: o.Name}
	}
	return out, nil
}

func (a *App) ticketCreate(c *fiber.Ctx) error {
	kind := ticketKind(c.FormValue("kind"))
	runID, _ := strconv.ParseInt(c.FormValue("run_id"), 10, 64)
	jobID, _ := strconv.ParseInt(c.FormValue("job_id"), 10, 64)
	custID, _ := strconv.ParseInt(c.FormValue("customer_id"), 10, 64)
	whole := c.FormValue("whole_customer") == "on"
	objectID, _ := strconv.ParseInt(c.FormValue("object_id"), 10, 64)
	in := tickets.Input{Kind: kind, Code: c.FormValue("code"), Text: c.FormValue("text"), ActiveFrom: c.FormValue("active_from"),
		StartDate: c.FormValue("start_date"), JobID: jobID, RunID: runID, ObjectID: objectID}
	if whole && objectID == 0 {
		in.JobID, in.CustomerID = 0, custID
	}
	if objectID != 0 {
		// Only an object of the run it is raised from: the form offers no other.
		ok, err := tickets.ObjectInRun(c.UserContext(), a.db.Bun, runID, objectID)
		if err != nil {
			return err
		}
		if !ok {
			return fiber.NewError(fiber.StatusUnprocessableEntity, "That object is not part of this run.")
		}
		in.JobID = 0
	}
	_, code, err := tickets.Create(c.UserContext(), a.db.Bun, a.actor(c), in, a.now())
	if errs, ok := validation.As(err); ok {
		f := ticketsview.Form{Kind: kind, RunID: runID, JobID: jobID, CustomerID: custID, Code: in.Code, Text: in.Text,
			ActiveFrom: in.ActiveFrom, StartDate: in.StartDate, WholeCust: whole, ObjectID: objectID, Errors: errs,
			CustomerOnly: runID == 0 && jobID == 0}
		if runID != 0 {
			if d, err := review.GetRun(c.UserContext(), a.db.Bun, runID); err == nil {
				f.Scope, f.Customer = d.CustomerName+" / "+d.JobName, d.CustomerName
			}
			if f.Objects, err = a.runObjects(c, runID); err != nil {
				return err
			}
		}
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, ticketsview.FormModal(a.view(c), f))
	}
	if err != nil {
		return err
	}
	msg := "Remark created."
	if kind == tickets.KindTicket {
		msg = fmt.Sprintf("Ticket %s created.", code)
	}
	if runID != 0 {
		// Raised from a run's dialog: the dialog comes back, showing it at the top; the
		// queue behind refreshes its markers (app.js, runsChanged).
		trigger(c, map[string]any{"runsChanged": true})
		return a.renderRunModal(c, runID, false, success(msg))
	}
	trigger(c, map[string]any{"closeModal": true})
	c.Set("HX-Reswap", "none")
	return a.renderFragment(c, fiber.StatusOK, templ.NopComponent, success(msg))
}

func (a *App) ticketResolve(c *fiber.Ctx) error { return a.ticketSetResolved(c, true) }
func (a *App) ticketReopen(c *fiber.Ctx) error  { return a.ticketSetResolved(c, false) }

func (a *App) ticketSetResolved(c *fiber.Ctx, resolved bool) error {
	kind, id, err := ticketParams(c)
	if err != nil {
		return err
	}
	if err := tickets.SetResolved(c.UserContext(), a.db.Bun, a.actor(c), kind, id, resolved, a.now()); err != nil {
		return err
	}
	m, err := a.ticketsModel(c, kind, c.Query("state"))
	if err != nil {
		return err
	}
	verb := "resolved: it no longer follows new runs"
	if !resolved {
		verb = "reopened"
	}
	return a.renderFragment(c, fiber.StatusOK, ticketsview.Table(a.view(c), m), success(fmt.Sprintf("%s %s.", strings.ToUpper(kind[:1])+kind[1:], verb)))
}

// runAlerts is GET /api/job-runs/{id}/alerts: a run's tickets and remarks, as an HTML
// fragment or, with Accept: application/json, as JSON.
func (a *App) runAlerts(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	alerts, err := tickets.Alerts(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	if strings.Contains(c.Get(fiber.HeaderAccept), "application/json") {
		var tk, rm []tickets.Alert
		for _, al := range alerts {
			if al.Kind == tickets.KindTicket {
				tk = append(tk, al)
			} else {
				rm = append(rm, al)
			}
		}
		return c.JSON(fiber.Map{"run_id": id, "tickets": nonNil(tk), "remarks": nonNil(rm)})
	}
	return a.renderFragment(c, fiber.StatusOK, ticketsview.Alerts(alertViews(alerts)))
}

// alertViews are a run's tickets and remarks for the templates.
func alertViews(alerts []tickets.Alert) []ticketsview.Alert {
	out := make([]ticketsview.Alert, len(alerts))
	for i, al := range alerts {
		out[i] = ticketsview.Alert{ID: al.ID, Kind: al.Kind, Code: al.Code, Text: al.Text, Direct: al.Direct, Resolved: al.Resolved}
	}
	return out
}

func nonNil(a []tickets.Alert) []tickets.Alert {
	if a == nil {
		return []tickets.Alert{}
	}
	return a
}

func ticketParams(c *fiber.Ctx) (string, int64, error) {
	kind := c.Params("kind")
	if kind != tickets.KindTicket && kind != tickets.KindRemark {
		return "", 0, fiber.ErrNotFound
	}
	id, err := pathID(c)
	return kind, id, err
}

// ticketEdit is the edit form of a ticket or remark, in the modal.
func (a *App) ticketEdit(c *fiber.Ctx) error {
	kind, id, err := ticketParams(c)
	if err != nil {
		return err
	}
	e, err := tickets.Current(c.UserContext(), a.db.Bun, kind, id)
	if err != nil {
		return err
	}
	f := ticketsview.Form{Kind: kind, ID: id, Code: e.Code, Text: e.Text, ActiveFrom: e.ActiveFrom, StartDate: e.StartDate,
		Back: string(c.Request().URI().QueryString())}
	return a.renderFragment(c, fiber.StatusOK, ticketsview.FormModal(a.view(c), f))
}

// ticketUpdate saves the edit and shows the list again with the filters it came from.
func (a *App) ticketUpdate(c *fiber.Ctx) error {
	kind, id, err := ticketParams(c)
	if err != nil {
		return err
	}
	e := tickets.Edit{Code: c.FormValue("code"), Text: c.FormValue("text"), ActiveFrom: c.FormValue("active_from"), StartDate: c.FormValue("start_date")}
	err = tickets.Update(c.UserContext(), a.db.Bun, a.actor(c), kind, id, e)
	if errs, ok := validation.As(err); ok {
		f := ticketsview.Form{Kind: kind, ID: id, Code: e.Code, Text: e.Text, ActiveFrom: e.ActiveFrom, StartDate: e.StartDate,
			Back: string(c.Request().URI().QueryString()), Errors: errs}
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, ticketsview.FormModal(a.view(c), f))
	}
	if err != nil {
		return err
	}
	m, err := a.ticketsModel(c, kind, c.Query("state"))
	if err != nil {
		return err
	}
	trigger(c, map[string]any{"closeModal": true})
	c.Set("HX-Retarget", "#tickets-table")
	c.Set("HX-Reswap", "outerHTML")
	return a.renderFragment(c, fiber.StatusOK, ticketsview.Table(a.view(c), m), success(strings.ToUpper(kind[:1])+kind[1:]+" saved."))
}

// ticketNewForScope is the create form for a job or a customer, without a run (from
// the Tickets menu narrowed to one, or from the job page).
func (a *App) ticketNewForScope(c *fiber.Ctx) error {
	jobID, _ := strconv.ParseInt(c.Query("job_id"), 10, 64)
	custID, _ := strconv.ParseInt(c.Query("customer_id"), 10, 64)
	f := ticketsview.Form{Kind: ticketKind(c.Query("kind"))}
	switch {
	case jobID > 0:
		j, err := jobs.Get(c.UserContext(), a.db.Bun, jobID)
		if err != nil {
			return err
		}
		f.JobID, f.CustomerID, f.Customer, f.Scope = jobID, j.CustomerID, j.CustomerName, j.CustomerName+" / "+j.JobName
	case custID > 0:
		cu, err := customers.Get(c.UserContext(), a.db.Bun, custID)
		if err != nil {
			return err
		}
		f.CustomerID, f.Customer, f.Scope, f.WholeCust, f.CustomerOnly = custID, cu.Name, cu.Name, true, true
	default:
		return fiber.NewError(fiber.StatusBadRequest, "Raise a ticket or remark from a run in Run Checks, from a job's page, or narrow this list to a job or customer first.")
	}
	return a.renderFragment(c, fiber.StatusOK, ticketsview.FormModal(a.view(c), f))
}
