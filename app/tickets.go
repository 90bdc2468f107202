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
	"github.com/backupchecks/backupchecks/app/tickets"
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

// alertViews are a run's tickets and remarks for the templates.
func alertViews(alerts []tickets.Alert) []ticketsview.Alert {
	out := make([]ticketsview.Alert, len(alerts))
	for i, al := range alerts {
		out[i] = ticketsview.Alert{ID: al.ID, Kind: al.Kind, Code: al.Code, Text: al.Text, Direct: al.Direct, Resolved: al.Resolved}
	}
	return out
}

func ticketParams(c *fiber.Ctx) (string, int64, error) {
	kind := c.Params("kind")
	if kind != tickets.KindTicket && kind != tickets.KindRemark {
		return "", 0, fiber.ErrNotFound
	}
	id, err := pathID(c)
	return kind, id, err
}
