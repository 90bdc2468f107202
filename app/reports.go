package app

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/reports"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/app/validation"
	reportsview "github.com/backupchecks/backupchecks/components/reports"
	"github.com/backupchecks/backupchecks/components/view"
)

// Reports (issue 17): saved definitions, listed and edited in a dialog.

// reportRows are the definitions matching q (search terms; "" for all).
func (a *App) reportRows(c *fiber.Ctx, q string) ([]reportsview.Row, error) {
	defs, err := reports.ListDefinitions(c.UserContext(), a.db.Bun, q)
	if err != nil {
		return nil, err
	}
	last, err := reports.LastDeliveries(c.UserContext(), a.db.Bun)
	if err != nil {
		return nil, err
	}
	rows := make([]reportsview.Row, len(defs))
	for i, d := range defs {
		rows[i] = reportsview.Row{ID: d.ID, Name: d.Name, Customers: customersLabel(&d), Filters: filtersLabel(&d),
			Period: reports.PeriodLabel(d.Period), Schedule: reports.ScheduleLabel(d.Schedule)}
		if t, ok := last[d.ID]; ok {
			rows[i].LastDelivery = &t
		}
	}
	return rows, nil
}

func customersLabel(d *reports.Definition) string {
	if d.AllCustomers {
		return "All customers"
	}
	if len(d.CustomerNames) > 3 {
		return strings.Join(d.CustomerNames[:3], ", ") + fmt.Sprintf(" and %d more", len(d.CustomerNames)-3)
	}
	return strings.Join(d.CustomerNames, ", ")
}

func filtersLabel(d *reports.Definition) string {
	var parts []string
	if len(d.BackupSoftware) > 0 {
		parts = append(parts, strings.Join(d.BackupSoftware, ", "))
	}
	if len(d.BackupTypes) > 0 {
		parts = append(parts, strings.Join(d.BackupTypes, ", "))
	}
	return strings.Join(parts, " · ")
}

func (a *App) reportsPage(c *fiber.Ctx) error {
	q := strings.TrimSpace(c.Query("q"))
	rows, err := a.reportRows(c, q)
	if err != nil {
		return err
	}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return reportsview.Page(v, rows, q) },
		reportsview.Table(a.view(c), rows, q))
}

// reportForm is the dialog's form with its choices.
func (a *App) reportForm(c *fiber.Ctx, id int64, in reports.DefinitionInput, errs map[string]string) (reportsview.Form, error) {
	opts, err := reports.LoadFilterOptions(c.UserContext(), a.db.Bun)
	if err != nil {
		return reportsview.Form{}, err
	}
	f := reportsview.Form{ID: id, Name: in.Name, AllCustomers: in.AllCustomers, CustomerIDs: map[string]bool{},
		Software: set(in.Software), Types: set(in.Types), Period: in.Period, CustomFrom: in.CustomFrom, CustomTo: in.CustomTo,
		ShowJobs: in.ShowJobs, ShowGrid: in.ShowGrid, ShowTrend: in.ShowTrend, ShowFailures: in.ShowFailures,
		Schedule: in.Schedule, Recipients: in.Recipients, Errors: errs, SoftwareOptions: opts.Software, TypeOptions: opts.Types}
	for _, id := range in.CustomerIDs {
		f.CustomerIDs[strconv.FormatInt(id, 10)] = true
	}
	for _, cu := range opts.Customers {
		f.CustomerOptions = append(f.CustomerOptions, reportsview.Option{Value: strconv.FormatInt(cu.ID, 10), Label: cu.Name})
	}
	for _, p := range reports.Periods {
		f.PeriodOptions = append(f.PeriodOptions, reportsview.Option{Value: p.Kind, Label: p.Label})
	}
	for _, s := range []string{reports.ScheduleNone, reports.ScheduleWeekly, reports.ScheduleMonthly, reports.ScheduleQuarterly} {
		f.ScheduleOptions = append(f.ScheduleOptions, reportsview.Option{Value: s, Label: reports.ScheduleLabel(s)})
	}
	return f, nil
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func (a *App) reportNew(c *fiber.Ctx) error {
	f, err := a.reportForm(c, 0, reports.DefinitionInput{Period: reports.PeriodPreviousMonth, ShowJobs: true, ShowGrid: true,
		ShowTrend: true, ShowFailures: true, Schedule: reports.ScheduleNone}, nil)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, reportsview.FormModal(a.view(c), f))
}

func (a *App) reportEdit(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	d, err := reports.GetDefinition(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	opts, err := reports.LoadFilterOptions(c.UserContext(), a.db.Bun)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, cu := range opts.Customers {
		names[cu.ID] = cu.Name
	}
	f, err := a.reportForm(c, id, reports.InputOf(d, func(id int64) string { return names[id] }), nil)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, reportsview.FormModal(a.view(c), f))
}

func reportInput(c *fiber.Ctx) reports.DefinitionInput {
	in := reports.DefinitionInput{Name: c.FormValue("name"), AllCustomers: c.FormValue("all_customers") == "on",
		Period: c.FormValue("period"), CustomFrom: c.FormValue("custom_from"), CustomTo: c.FormValue("custom_to"),
		ShowJobs: c.FormValue("show_jobs") == "on", ShowGrid: c.FormValue("show_grid") == "on",
		ShowTrend: c.FormValue("show_trend") == "on", ShowFailures: c.FormValue("show_failures") == "on",
		Schedule: c.FormValue("schedule"), Recipients: c.FormValue("recipients")}
	args := c.Request().PostArgs()
	for _, raw := range args.PeekMulti("customer_ids") {
		if id, err := strconv.ParseInt(string(raw), 10, 64); err == nil && id > 0 {
			in.CustomerIDs = append(in.CustomerIDs, id)
		}
	}
	for _, raw := range args.PeekMulti("software") {
		in.Software = append(in.Software, string(raw))
	}
	for _, raw := range args.PeekMulti("types") {
		in.Types = append(in.Types, string(raw))
	}
	return in
}

// reportSave creates (POST /reports) or updates (PUT /reports/:id) a definition.
func (a *App) reportSave(c *fiber.Ctx) error {
	var id int64
	if c.Params("id") != "" {
		var err error
		if id, err = pathID(c); err != nil {
			return err
		}
	}
	in := reportInput(c)
	d, err := reports.SaveDefinition(c.UserContext(), a.db.Bun, a.actor(c), id, in, a.now(), settings.Location(state(c).settings))
	if errs, ok := validation.As(err); ok {
		f, ferr := a.reportForm(c, id, in, errs)
		if ferr != nil {
			return ferr
		}
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, reportsview.FormModal(a.view(c), f))
	}
	if err != nil {
		return err
	}
	if id == 0 {
		// A new report opens on its preview.
		return a.redirectWithFlash(c, fmt.Sprintf("/reports/%d", d.ID), success("Report saved."))
	}
	if strings.HasPrefix(refererPath(c), fmt.Sprintf("/reports/%d", id)) {
		return a.redirectWithFlash(c, fmt.Sprintf("/reports/%d", id), success("Report saved."))
	}
	return a.reportsRefresh(c, "Report saved.")
}

func (a *App) reportDelete(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := reports.DeleteDefinition(c.UserContext(), a.db.Bun, a.actor(c), id); err != nil {
		return err
	}
	if strings.HasPrefix(refererPath(c), fmt.Sprintf("/reports/%d", id)) {
		return a.redirectWithFlash(c, "/reports", success("Report deleted."))
	}
	return a.reportsRefresh(c, "Report deleted.")
}

// reportsRefresh closes the dialog and re-renders the list.
func (a *App) reportsRefresh(c *fiber.Ctx, msg string) error {
	rows, err := a.reportRows(c, "")
	if err != nil {
		return err
	}
	if c.Get("HX-Target") == "modal-dialog" {
		trigger(c, map[string]any{"closeModal": true})
	}
	retarget(c, "#reports-table", "outerHTML")
	return a.renderFragment(c, fiber.StatusOK, reportsview.Table(a.view(c), rows, ""), success(msg))
}

// refererPath is the path of the page the request came from (htmx sends it as
// HX-Current-URL), "" when unknown.
func refererPath(c *fiber.Ctx) string {
	u := c.Get("HX-Current-URL")
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		if j := strings.Index(u, "/"); j >= 0 {
			return u[j:]
		}
	}
	return ""
}
