package app

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/customers"
	"github.com/backupchecks/backupchecks/app/validation"
	customersview "github.com/backupchecks/backupchecks/components/customers"
	inboxview "github.com/backupchecks/backupchecks/components/inbox"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
)

const customersPerPage = 50

// autotaskOn reports whether the Autotask integration is enabled: the rows offer their
// mapping (to whoever may map, which the buttons ask the route table).
func autotaskOn(c *fiber.Ctx) bool { return state(c).settings.AutotaskEnabled }

func customerRowView(r customers.Row) customersview.Row {
	v := customersview.Row{ID: r.ID, Name: r.Name, Active: r.Active, JobCount: r.JobCount, AllJobs: r.AllJobs}
	if r.AutotaskCompanyID != nil {
		v.AutotaskCompany, v.AutotaskStatus = deref(r.AutotaskCompanyName), deref(r.AutotaskStatus)
		if v.AutotaskCompany == "" {
			v.AutotaskCompany = fmt.Sprintf("company %d", *r.AutotaskCompanyID)
		}
	}
	return v
}

// customerFilter reads the list's filter from the query string or the submitted form
// (the create and import forms send the filter along).
func customerFilter(c *fiber.Ctx) customers.Filter {
	return customers.Filter{
		Query:           strings.TrimSpace(c.FormValue("q")),
		IncludeInactive: c.FormValue("inactive") != "",
		Page:            pageNumber(c.FormValue("page")),
		PerPage:         customersPerPage,
	}
}

// customersList loads the table for f; a page past the end shows the last page.
func (a *App) customersList(c *fiber.Ctx, f customers.Filter) (customersview.List, error) {
	p, err := customers.List(c.UserContext(), a.db.Bun, f)
	if err != nil {
		return customersview.List{}, err
	}
	if last := (p.Total + f.PerPage - 1) / f.PerPage; len(p.Rows) == 0 && f.Page > 1 && last >= 1 {
		f.Page = last
		if p, err = customers.List(c.UserContext(), a.db.Bun, f); err != nil {
			return customersview.List{}, err
		}
	}
	q := url.Values{}
	if f.Query != "" {
		q.Set("q", f.Query)
	}
	if f.IncludeInactive {
		q.Set("inactive", "on")
	}
	base := "/customers?"
	if len(q) > 0 {
		base += q.Encode() + "&"
	}
	l := customersview.List{Query: f.Query, ShowInactive: f.IncludeInactive, Autotask: autotaskOn(c),
		Pager: ui.Pager{Page: f.Page, PerPage: f.PerPage, Total: p.Total, BaseURL: base}}
	for _, r := range p.Rows {
		l.Rows = append(l.Rows, customerRowView(r))
	}
	return l, nil
}

// renderCustomersPage answers with the whole page (full navigations, and plain form
// posts without JavaScript that need their errors shown).
func (a *App) renderCustomersPage(c *fiber.Ctx, status int, m customersview.Model, fragment templ.Component) error {
	l, err := a.customersList(c, customerFilter(c))
	if err != nil {
		return err
	}
	m.List = l
	if fragment == nil {
		fragment = customersview.Table(a.view(c), l)
	}
	return a.render(c, status, func(v view.Ctx) templ.Component { return customersview.Page(v, m) }, fragment)
}

func (a *App) customersPage(c *fiber.Ctx) error {
	return a.renderCustomersPage(c, fiber.StatusOK, customersview.Model{Create: customersview.CreateForm{Active: true}}, nil)
}

func (a *App) customerCreate(c *fiber.Ctx) error {
	name := c.FormValue("customer_name")
	active := c.FormValue("active") == "on"
	cu, err := customers.Add(c.UserContext(), a.db.Bun, a.actor(c), name, active)
	if errs, ok := validation.As(err); ok {
		f := customersview.CreateForm{Name: name, Active: active, Errors: errs, Autofocus: true}
		if !isHTMX(c) {
			return a.renderCustomersPage(c, fiber.StatusUnprocessableEntity, customersview.Model{Create: f}, nil)
		}
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, customersview.Create(a.view(c), f))
	}
	if err != nil {
		return err
	}
	flash := success(fmt.Sprintf("Customer %s added.", cu.Name))
	if !isHTMX(c) {
		return a.redirectWithFlash(c, "/customers", flash)
	}
	row := customersview.Row{ID: cu.ID, Name: cu.Name, Active: cu.Active}
	fresh := customersview.CreateForm{Active: true, Autofocus: true}
	return a.renderFragment(c, fiber.StatusOK, customersview.Created(a.view(c), fresh, row, autotaskOn(c)), flash)
}

// customerRow shows one row read-only (Cancel of an edit).
func (a *App) customerRow(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	r, err := customers.GetRow(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, customersview.RowView(a.view(c), customerRowView(r), autotaskOn(c), false))
}

// customerEdit turns a row into a form.
func (a *App) customerEdit(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	r, err := customers.GetRow(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, customersview.RowEdit(a.view(c), customersview.EditForm{Row: customerRowView(r)}))
}

func (a *App) customerUpdate(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	name := c.FormValue("name")
	active := c.FormValue("active") == "on"
	_, err = customers.Update(ctx, a.db.Bun, a.actor(c), id, name, active)
	if errs, ok := validation.As(err); ok {
		r, err := customers.GetRow(ctx, a.db.Bun, id)
		if err != nil {
			return err
		}
		f := customersview.EditForm{Row: customersview.Row{ID: id, Name: name, Active: active, JobCount: r.JobCount}, Errors: errs}
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, customersview.RowEdit(a.view(c), f))
	}
	if err != nil {
		return err
	}
	r, err := customers.GetRow(ctx, a.db.Bun, id)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, customersview.RowView(a.view(c), customerRowView(r), autotaskOn(c), false),
		success(fmt.Sprintf("Customer %s saved.", r.Name)))
}

func (a *App) customerDeactivate(c *fiber.Ctx) error { return a.customerSetActive(c, false) }
func (a *App) customerActivate(c *fiber.Ctx) error   { return a.customerSetActive(c, true) }

// customerSetActive is the row's Deactivate / Activate: what a customer with jobs gets
// instead of Delete.
func (a *App) customerSetActive(c *fiber.Ctx, active bool) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if _, err := customers.SetActive(ctx, a.db.Bun, a.actor(c), id, active); err != nil {
		return err
	}
	r, err := customers.GetRow(ctx, a.db.Bun, id)
	if err != nil {
		return err
	}
	msg := "Customer %s activated: its jobs are monitored again."
	if !active {
		msg = "Customer %s deactivated: its jobs are no longer monitored; their history stays."
	}
	return a.renderFragment(c, fiber.StatusOK, customersview.RowView(a.view(c), customerRowView(r), autotaskOn(c), false),
		success(fmt.Sprintf(msg, r.Name)))
}

func (a *App) customerDelete(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	cu, err := customers.Delete(c.UserContext(), a.db.Bun, a.actor(c), id)
	var hasJobs *customers.HasJobsError
	if errors.As(err, &hasJobs) {
		return fiber.NewError(fiber.StatusConflict, "Cannot delete: "+hasJobs.Error()+".")
	}
	if err != nil {
		return err
	}
	// The row's outerHTML is swapped with nothing: it goes.
	return a.renderFragment(c, fiber.StatusOK, templ.NopComponent, success(fmt.Sprintf("Customer %s deleted.", cu.Name)))
}

// customerTypeahead answers the approve form's customer field.
func (a *App) customerTypeahead(c *fiber.Ctx) error {
	q := strings.TrimSpace(c.Query("customer_name"))
	opts, more, err := a.customerOptions(c, q)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, inboxview.CustomerOptions(q, opts, "", more))
}

// customerOptions are the customers a customer field offers for what was typed (the
// first ones when nothing was): at most approveCustomers, and whether more match.
func (a *App) customerOptions(c *fiber.Ctx, typed string) ([]inboxview.CustomerOption, bool, error) {
	found, err := customers.Search(c.UserContext(), a.db.Bun, typed, approveCustomers+1)
	if err != nil {
		return nil, false, err
	}
	more := len(found) > approveCustomers
	if more {
		found = found[:approveCustomers]
	}
	opts := make([]inboxview.CustomerOption, len(found))
	for i, cu := range found {
		opts[i] = inboxview.CustomerOption{ID: cu.ID, Name: cu.Name}
	}
	return opts, more, nil
}
