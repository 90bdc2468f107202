package app

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/customers"
	"github.com/backupchecks/backupchecks/app/jobs"
	"github.com/backupchecks/backupchecks/app/review"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/app/tickets"
	jobsview "github.com/backupchecks/backupchecks/components/jobs"
	runchecksview "github.com/backupchecks/backupchecks/components/runchecks"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
	"github.com/backupchecks/backupchecks/db"
)

const (
	jobsPerPage = 50
	runsPerPage = 50
	heatDays    = 90
)

func jobRow(r jobs.Row) jobsview.Row {
	eff := db.EffectiveSchedule(r.LearnedSchedule, r.ManualSchedule, r.ScheduleLocked)
	sched := describe(eff)
	if eff != nil && eff == r.ManualSchedule {
		sched += " (set)"
	}
	if r.Informational {
		sched = "Informational"
	}
	return jobsview.Row{ID: r.ID, CustomerID: r.CustomerID, CustomerName: r.CustomerName, CustomerActive: r.CustomerActive, JobName: r.JobName,
		BackupSoftware: r.BackupSoftware, BackupType: r.BackupType, Schedule: sched, Informational: r.Informational,
		LastRunAt: r.LastRunAt, LastRunStatus: r.LastRunStatus, Unreviewed: r.Unreviewed, ArchivedAt: r.ArchivedAt}
}

func (a *App) jobsList(c *fiber.Ctx, archived bool) error {
	f := jobs.Filter{Archived: archived, Sort: c.Query("sort", "customer"), Page: pageParam(c), PerPage: jobsPerPage}
	if !slices.Contains(jobs.SortKeys(), f.Sort) {
		f.Sort = "customer"
	}
	l := jobsview.List{Sort: f.Sort, Archived: archived}
	if !archived {
		f.Query, f.IncludeInactive = strings.TrimSpace(c.Query("q")), c.Query("inactive") != ""
		l.Query, l.IncludeInactive = f.Query, f.IncludeInactive
	}
	if id, err := strconv.ParseInt(c.Query("customer_id"), 10, 64); err == nil && id > 0 && !archived {
		cust, err := customers.Get(c.UserContext(), a.db.Bun, id)
		if err != nil {
			return err
		}
		f.CustomerID, l.CustomerID, l.CustomerName, l.CustomerActive = id, id, cust.Name, cust.Active
	}
	p, err := jobs.List(c.UserContext(), a.db.Bun, f)
	if err != nil {
		return err
	}
	l.HiddenInactive = p.HiddenInactive
	l.Pager = ui.Pager{Page: max(f.Page, 1), PerPage: jobsPerPage, Total: p.Total, BaseURL: l.PagerBase()}
	for _, r := range p.Rows {
		l.Rows = append(l.Rows, jobRow(r))
	}
	if !archived && !isHTMX(c) {
		if l.Customers, err = a.customerChoices(c); err != nil {
			return err
		}
	}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return jobsview.ListPage(v, l) }, jobsview.Table(a.view(c), l))
}

// customerChoices are the active customers for a filter's select, the list Run Checks
// caches briefly (a customer added a minute ago can wait).
func (a *App) customerChoices(c *fiber.Ctx) (*ui.OptionList, error) {
	var m runchecksview.Model
	if err := a.runChecksOptions(c, &m); err != nil {
		return nil, err
	}
	return m.Customers, nil
}

func (a *App) jobsPage(c *fiber.Ctx) error         { return a.jobsList(c, false) }
func (a *App) archivedJobsPage(c *fiber.Ctx) error { return a.jobsList(c, true) }

func (a *App) jobDetail(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	j, err := jobs.Get(ctx, a.db.Bun, id)
	if err != nil {
		return err
	}
	page := pageParam(c)
	runs, total, err := jobs.History(ctx, a.db.Bun, id, page, runsPerPage)
	if err != nil {
		return err
	}
	days, err := jobs.HeatStrip(ctx, a.db.Bun, id, settings.Location(state(c).settings), a.now(), heatDays)
	if err != nil {
		return err
	}
	objs, err := jobs.Objects(ctx, a.db.Bun, id)
	if err != nil {
		return err
	}
	d := jobsview.Detail{Job: jobRow(*j), ShowReviews: seesReviews(c),
		Pager: ui.Pager{Page: page, PerPage: runsPerPage, Total: total, BaseURL: fmt.Sprintf("/jobs/%d?", id)}}
	d.ScheduleSection = scheduleModel(j)
	if d.MatchingSection, err = a.matchingModel(c, j); err != nil {
		return err
	}
	if d.Cove, err = a.coveJobSection(c, j.ID, j.BackupSoftware); err != nil {
		return err
	}
	open, err := tickets.OpenForJob(ctx, a.db.Bun, id)
	if err != nil {
		return err
	}
	for _, it := range open {
		d.Alerts = append(d.Alerts, jobsview.JobAlert{Kind: it.Kind, Code: it.Code, Text: it.Text, Runs: it.Runs})
	}
	runIDs := make([]int64, len(runs))
	for i, r := range runs {
		runIDs[i] = r.ID
	}
	runAlerts, err := tickets.RunsAlerts(ctx, a.db.Bun, runIDs)
	if err != nil {
		return err
	}
	if d.ShowReviews {
		events, err := review.History(ctx, a.db.Bun, id, 20)
		if err != nil {
			return err
		}
		for _, e := range events {
			d.Reviews = append(d.Reviews, jobsview.ReviewEvent{RunID: e.RunID, Action: e.Action, Actor: e.ActorName, At: e.At})
		}
	}
	for _, r := range runs {
		d.Runs = append(d.Runs, jobsview.Run{ID: r.ID, Status: r.Effective(), Overridden: r.OverriddenStatus != "", Source: r.SourceType,
			RunAt: r.RunAt, StartedAt: r.StartedAt, EndedAt: r.EndedAt, MailID: r.MailID, Message: r.Message,
			ReviewedAt: r.ReviewedAt, ReviewedBy: r.ReviewedBy, Superseded: r.Superseded, Objects: r.Objects,
			Alerts: alertViews(runAlerts[r.ID])})
	}
	for _, dd := range days {
		d.Days = append(d.Days, jobsview.Day{Date: dd.Date, Status: dd.Status, Runs: dd.Runs})
	}
	for _, o := range objs {
		d.Objects = append(d.Objects, ui.Object{Name: o.Name, Type: o.Type, Status: o.LastStatus, Message: o.LastError, SeenAt: o.LastSeenAt})
	}
	return a.renderPage(c, func(v view.Ctx) templ.Component { return jobsview.DetailPage(v, d) })
}

func (a *App) jobArchive(c *fiber.Ctx) error   { return a.jobSetArchived(c, true) }
func (a *App) jobUnarchive(c *fiber.Ctx) error { return a.jobSetArchived(c, false) }

func (a *App) jobSetArchived(c *fiber.Ctx, archived bool) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := jobs.Get(c.UserContext(), a.db.Bun, id); err != nil {
		return err
	}
	if err := jobs.SetArchived(c.UserContext(), a.db.Bun, a.actor(c), id, archived, a.now()); err != nil {
		return err
	}
	msg := "Job archived: it takes no new runs."
	if !archived {
		msg = "Job unarchived: it is monitored again."
	}
	return a.redirectWithFlash(c, fmt.Sprintf("/jobs/%d", id), success(msg))
}

func (a *App) jobDelete(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	res, err := jobs.Delete(c.UserContext(), a.db.Bun, a.actor(c), id)
	if err != nil {
		return err
	}
	return a.redirectWithFlash(c, "/jobs", success(fmt.Sprintf("Job %s of %s deleted with %s; %s.",
		res.JobName, res.CustomerName, ui.Count(res.Runs, "run", "runs"), backToInbox(res.MailsToInbox))))
}

// backToInbox says how many of a deleted job's mails went back to the Inbox.
func backToInbox(n int64) string {
	if n == 1 {
		return "1 mail went back to the Inbox"
	}
	return ui.Count(n, "mail", "mails") + " went back to the Inbox"
}
