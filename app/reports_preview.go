package app

import (
	"fmt"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/reports"
	"github.com/backupchecks/backupchecks/app/settings"
	reportsview "github.com/backupchecks/backupchecks/components/reports"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
)

// reportJobsPerPage pages the preview's job table and grid (a customer may have 1,000 jobs).
const reportJobsPerPage = 100

// reportScope is a definition with its period and customers as of now.
type reportScope struct {
	def       *reports.Definition
	loc       *time.Location
	rng       reports.Range
	scope     reports.Scope
	customers []reports.Customer
	empty     string // why there is nothing to show
}

func (a *App) loadReportScope(c *fiber.Ctx) (*reportScope, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	ctx := c.UserContext()
	d, err := reports.GetDefinition(ctx, a.db.Bun, id)
	if err != nil {
		return nil, err
	}
	rs := &reportScope{def: d, loc: settings.Location(state(c).settings)}
	if rs.rng, err = d.Range(a.now(), rs.loc); err != nil {
		rs.empty = "This report's period cannot be used: " + err.Error() + ". Edit the report."
		return rs, nil
	}
	if rs.rng.Empty() {
		rs.empty = reports.PeriodLabel(rs.rng.Kind) + " has no full day yet (today is its first day); it shows from tomorrow."
		return rs, nil
	}
	rs.scope = d.Scope(rs.rng, rs.loc)
	if rs.customers, err = reports.Customers(ctx, a.db.Bun, rs.scope); err != nil {
		return nil, err
	}
	if len(rs.customers) == 0 {
		rs.empty = "No customer of this report has a job that matches its filters."
	}
	return rs, nil
}

// pick is the customer asked for in ?customer=, else the first; ok false when the one
// asked for is not in the report.
func (rs *reportScope) pick(c *fiber.Ctx) (reports.Customer, int, bool) {
	raw := c.Query("customer")
	if raw == "" {
		return rs.customers[0], 1, true
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	for i, cu := range rs.customers {
		if err == nil && cu.ID == id {
			return cu, i + 1, true
		}
	}
	return reports.Customer{}, 0, false
}

func (a *App) reportPreview(c *fiber.Ctx) error {
	rs, err := a.loadReportScope(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	d := rs.def
	p := reportsview.Preview{ID: d.ID, Name: d.Name, Period: reports.PeriodLabel(d.Period), RangeText: rs.rng.String(),
		Schedule: reports.ScheduleLabel(d.Schedule), Empty: rs.empty,
		Show: reportsview.Show{Jobs: d.ShowJobs, Grid: d.ShowGrid, Trend: d.ShowTrend, Failures: d.ShowFailures}}
	if rs.rng.Empty() || rs.rng.From.IsZero() {
		p.RangeText = "—"
	}
	settingsRow, err := reports.LoadSettings(ctx, a.db.Bun, nil)
	if err != nil {
		return err
	}
	p.Branding = reportsview.Branding{CompanyName: settingsRow.CompanyName, HasLogo: len(settingsRow.Logo) > 0,
		Accent: settingsRow.AccentColor, FooterText: settingsRow.FooterText}
	if len(rs.customers) > 0 {
		cu, pos, ok := rs.pick(c)
		if !ok {
			return fiber.NewError(fiber.StatusNotFound, "This customer is not in the report.")
		}
		for _, o := range rs.customers {
			p.Customers = append(p.Customers, reportsview.Option{Value: strconv.FormatInt(o.ID, 10), Label: o.Name})
		}
		p.CustomerID, p.Position = cu.ID, pos
		built, err := reports.Build(ctx, a.db.Bun, rs.scope, []reports.Customer{cu})
		if err != nil {
			return err
		}
		page := reportPageParam(c)
		p.Report, p.JobsPager = reportView(&built[0], page, fmt.Sprintf("/reports/%d?customer=%d&", d.ID, cu.ID))
		size, err := reports.Measure(ctx, a.db.Bun, rs.scope, rs.customers)
		if err != nil {
			return err
		}
		p.Large = size.Large()
	}
	files, err := reports.ListFiles(ctx, a.db.Bun, d.ID, a.now())
	if err != nil {
		return err
	}
	for _, f := range files {
		p.Files = append(p.Files, reportsview.File{ID: f.ID, Filename: f.Filename, Size: mail.FormatSize(f.Size),
			CreatedAt: f.CreatedAt, ExpiresAt: f.ExpiresAt})
	}
	ds, err := reports.Deliveries(ctx, a.db.Bun, d.ID, 50)
	if err != nil {
		return err
	}
	for _, dl := range ds {
		p.Deliveries = append(p.Deliveries, reportsview.Delivery{At: dl.UpdatedAt, Customer: dl.CustomerName,
			Recipients: joinComma(dl.Recipients), Period: dl.PeriodFrom.Format(time.DateOnly) + " – " + dl.PeriodTo.Format(time.DateOnly),
			Channel: dl.Channel, Status: dl.Status, Attempts: dl.Attempts, Error: dl.LastError})
	}
	return a.renderPage(c, func(v view.Ctx) templ.Component { return reportsview.PreviewPage(v, p) })
}

func reportPageParam(c *fiber.Ctx) int {
	n, err := strconv.Atoi(c.Query("page"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

func joinComma(xs []string) string {
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

// reportView is one customer's report as the preview shows it, its jobs paged.
func reportView(r *reports.Report, page int, baseURL string) (*reportsview.Report, ui.Pager) {
	rate := func(cn reports.Counts) string {
		if x := cn.SuccessRate(); x >= 0 {
			return strconv.FormatFloat(x, 'f', 1, 64) + "%"
		}
		return "—"
	}
	out := &reportsview.Report{Customer: r.Customer.Name, JobCount: len(r.Jobs), FailuresTotal: r.FailuresTotal,
		KPI: reportsview.Counts{Runs: r.KPI.Runs, Successful: r.KPI.Successful, Overridden: r.KPI.Overridden,
			Warnings: r.KPI.Warnings, Failed: r.KPI.Failed, Missed: r.KPI.Missed, Rate: rate(r.KPI)}}
	cols := reports.GridColumns(r.Days)
	out.WeekColumns = len(cols) < len(r.Days)
	for _, b := range cols {
		out.Columns = append(out.Columns, b.Label())
	}
	pager := ui.Pager{Page: page, PerPage: reportJobsPerPage, Total: len(r.Jobs), BaseURL: baseURL}
	pager.Page = min(page, pager.Pages())
	first := (pager.Page - 1) * reportJobsPerPage
	for _, j := range r.Jobs[first:min(first+reportJobsPerPage, len(r.Jobs))] {
		jv := reportsview.Job{ID: j.ID, Name: j.Name, Software: j.Software, Type: j.Type, Schedule: j.Schedule,
			Runs: j.Counts.Runs, Rate: rate(j.Counts), LastFailure: j.LastFailure, OpenTickets: j.OpenTickets}
		for _, b := range cols {
			cell := b.Merge(j.Cells)
			title := fmt.Sprintf("%s: %s", b.Label(), cell.Status)
			if cell.Status == "" {
				title = b.Label() + ": no run"
			} else if cell.Overridden {
				title += " (by override)"
			}
			jv.Cells = append(jv.Cells, reportsview.Cell{Status: cell.Status, Runs: cell.Runs, Overridden: cell.Overridden, Title: title})
		}
		out.Jobs = append(out.Jobs, jv)
	}
	for _, tp := range r.Trend {
		out.Trend = append(out.Trend, reportsview.TrendPoint{Label: fmt.Sprintf("%02d-%02d", int(tp.Day.Month), tp.Day.Day),
			Rate: tp.Counts.SuccessRate()})
	}
	for _, f := range r.Failures {
		out.Failures = append(out.Failures, reportsview.Failure{RunID: f.RunID, At: f.At, Job: f.JobName, Status: f.Status,
			Message: f.Message, Notes: append(append([]string{}, f.Tickets...), f.Remarks...)})
	}
	return out, pager
}
