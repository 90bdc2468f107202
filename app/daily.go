package app

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/jobs"
	"github.com/backupchecks/backupchecks/app/schedule"
	"github.com/backupchecks/backupchecks/app/settings"
	dailyview "github.com/backupchecks/backupchecks/components/daily"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
)

const dailyPerPage = 100

// dayParam reads ?date= (default: today in the UI timezone).
func (a *App) dayParam(c *fiber.Ctx) (schedule.Date, schedule.Date, error) {
	loc := settings.Location(state(c).settings)
	today := schedule.DateOf(a.now().In(loc))
	raw := strings.TrimSpace(c.Query("date"))
	if raw == "" {
		return today, today, nil
	}
	d, err := schedule.ParseDate(raw)
	if err != nil {
		return today, today, fiber.NewError(fiber.StatusBadRequest, "The date must look like 2026-03-31.")
	}
	return d, today, nil
}

func (a *App) dailyPage(c *fiber.Ctx) error {
	d, today, err := a.dayParam(c)
	if err != nil {
		return err
	}
	loc := settings.Location(state(c).settings)
	status := c.Query("status")
	if status != "" && !slices.Contains(dailyview.Statuses, status) {
		status = ""
	}
	page := pageParam(c)
	customerID, _ := strconv.ParseInt(c.Query("customer_id"), 10, 64)
	customerID = max(customerID, 0)
	q := strings.TrimSpace(c.Query("q"))
	rows, summary, err := schedule.Day(c.UserContext(), a.db.Bun, d, loc, a.now(),
		schedule.DayFilter{Status: status, CustomerID: customerID, Query: q, Page: page, PerPage: dailyPerPage})
	if err != nil {
		return err
	}
	m := dailyview.Model{Date: d.String(), Prev: d.AddDays(-1).String(), Next: d.AddDays(1).String(), Today: today.String(),
		IsToday: d == today, Status: status, CustomerID: customerID, Summary: summary, ShowReviews: seesReviews(c), Query: q}
	if !isHTMX(c) {
		if m.Customers, err = a.customerChoices(c); err != nil {
			return err
		}
	}
	filtered := 0
	for s, n := range summary {
		if status == "" || s == status {
			filtered += n
		}
	}
	base := "/daily?date=" + d.String() + "&"
	if status != "" {
		base += "status=" + status + "&"
	}
	if customerID != 0 {
		base += "customer_id=" + strconv.FormatInt(customerID, 10) + "&"
	}
	if q != "" {
		base += "q=" + url.QueryEscape(q) + "&"
	}
	m.Pager = ui.Pager{Page: max(page, 1), PerPage: dailyPerPage, Total: filtered, BaseURL: base}
	if id, err := strconv.ParseInt(c.Query("open_job_id"), 10, 64); err == nil && id > 0 {
		m.OpenJob = id
	}
	for _, r := range rows {
		sched := "not learned yet"
		if r.Schedule != nil {
			sched = r.Schedule.Describe()
		}
		m.Rows = append(m.Rows, dailyview.Row{JobID: r.JobID, CustomerName: r.CustomerName, Software: r.BackupSoftware,
			Type: r.BackupType, JobName: r.JobName, Schedule: sched, ExpectedAt: r.ExpectedAt, LastRunAt: r.LastRunAt,
			Status: r.Status, Runs: r.Runs, Recorded: r.Recorded, Overridden: r.Overridden, Unreviewed: r.Unreviewed, Ticket: r.Ticket, Remark: r.Remark})
	}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return dailyview.Page(v, m) }, dailyview.List(a.view(c), m))
}

// dailyJobRuns is the dialog with one job's runs on the day.
func (a *App) dailyJobRuns(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	d, _, err := a.dayParam(c)
	if err != nil {
		return err
	}
	j, err := jobs.Get(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	runs, slot, err := schedule.RunsOn(c.UserContext(), a.db.Bun, id, d, settings.Location(state(c).settings))
	if err != nil {
		return err
	}
	m := dailyview.DayRuns{JobID: id, JobName: j.JobName, Customer: j.CustomerName, Date: d.String()}
	if slot != nil {
		m.Slot = &dailyview.Slot{ExpectedAt: slot.ExpectedAt, From: slot.WindowStart, To: slot.WindowEnd}
	}
	for _, r := range runs {
		m.Runs = append(m.Runs, dailyview.Run{Status: r.Status, Overridden: r.Overridden, Source: r.Source, RunAt: r.RunAt,
			MailID: r.MailID, Message: r.Message, ReviewedAt: r.ReviewedAt, InSlot: r.InSlot})
	}
	return a.renderFragment(c, fiber.StatusOK, dailyview.RunsModal(a.view(c), m))
}

// dailyCheckNow runs the missed-run pass at once; the page refreshes itself when it
// has created missed runs (live "runs" events).
func (a *App) dailyCheckNow(c *fiber.Ctx) error {
	q, err := a.background()
	if err != nil {
		return err
	}
	if err := q.CheckMissedRuns(c.UserContext(), a.now()); err != nil {
		return err
	}
	return a.redirectWithFlash(c, "/daily?date="+c.FormValue("date"), view.Flash{Kind: "info",
		Message: "Checking for missed runs now: the page updates when the check has found any."})
}
