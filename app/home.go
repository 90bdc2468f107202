package app

import (
	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/dashboard"
	"github.com/backupchecks/backupchecks/app/notify"
	"github.com/backupchecks/backupchecks/app/schedule"
	"github.com/backupchecks/backupchecks/app/settings"
	homeview "github.com/backupchecks/backupchecks/components/home"
	"github.com/backupchecks/backupchecks/components/view"
)

func (a *App) home(c *fiber.Ctx) error {
	f, err := dashboard.Load(c.UserContext(), a.db.Bun)
	if err != nil {
		return err
	}
	d := homeview.Dashboard{Customers: f.Customers, Jobs: f.Jobs, InboxMails: f.InboxMails, Unreviewed: f.Unreviewed,
		ReviewJobs: f.ReviewJobs}
	if a.can(c, "GET", "/settings/notifications") {
		failing, err := notify.FailingChannels(c.UserContext(), a.db.Bun)
		if err != nil {
			return err
		}
		for _, ch := range failing {
			d.FailingChannels = append(d.FailingChannels, ch.Name)
		}
	}
	if f.Jobs > 0 {
		loc := settings.Location(state(c).settings)
		today := schedule.DateOf(a.now().In(loc))
		// The page size of 1 keeps this to the counts; the list itself is Daily Jobs'.
		_, counts, err := schedule.Day(c.UserContext(), a.db.Bun, today, loc, a.now(), schedule.DayFilter{PerPage: 1})
		if err != nil {
			return err
		}
		d.Today, d.TodayCounts = today.String(), counts
		worst, err := dashboard.WorstCustomers(c.UserContext(), a.db.Bun, 10)
		if err != nil {
			return err
		}
		for _, w := range worst {
			d.Worst = append(d.Worst, homeview.CustomerWorst{ID: w.CustomerID, Name: w.Name, Worst: w.Worst, Unreviewed: w.Unreviewed})
		}
	}
	if a.allowed(currentUser(c).ActiveRole)("GET", "/background") {
		srcs, err := dashboard.Sources(c.UserContext(), a.db.Bun, state(c).settings, a.now())
		if err != nil {
			return err
		}
		for _, s := range srcs {
			d.Sources = append(d.Sources, homeview.Source{Name: s.Name, SettingsPath: s.SettingsPath, State: s.State,
				Red: s.Red(), LastAt: s.LastAt, Detail: s.Detail})
		}
	}
	return a.renderPage(c, func(v view.Ctx) templ.Component { return homeview.Page(v, d) })
}
