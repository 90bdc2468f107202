package app

import (
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
)

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
