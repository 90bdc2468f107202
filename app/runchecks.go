package app

import (
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/review"
	"github.com/backupchecks/backupchecks/app/schedule"
	"github.com/backupchecks/backupchecks/app/settings"
	runchecksview "github.com/backupchecks/backupchecks/components/runchecks"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
)

const runChecksPerPage = 25

// runChecksFilter reads the filter from URL values (the page's query string, or the
// copy a POST carries so the refreshed list keeps it).
func (a *App) runChecksFilter(c *fiber.Ctx, q url.Values) (review.QueueFilter, runchecksview.Filter, string) {
	f := runchecksview.Filter{CustomerID: q.Get("customer_id"), Status: q.Get("status"), Software: q.Get("software"),
		Type: q.Get("type"), Text: q.Get("q"), From: q.Get("from"), To: q.Get("to"),
		IncludeReviewed: q.Get("include_reviewed") == "on" && seesReviews(c)}
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
	m := runchecksview.Model{Filter: f, ShowReviews: seesReviews(c), Query: query,
		Pager: ui.Pager{Page: qf.Page, PerPage: runChecksPerPage, Total: total, BaseURL: "/runchecks?" + query + "&"}}
	if query == "" {
		m.Pager.BaseURL = "/runchecks?"
	}
	for _, g := range groups {
		vg := runchecksview.Group{JobID: g.JobID, CustomerID: g.CustomerID, CustomerName: g.CustomerName, JobName: g.JobName,
			Software: g.Software, Type: g.Type, Schedule: describe(g.Schedule), Worst: g.Worst,
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
	ids, err := formIDs(c, "run_ids", "run")
	if err != nil {
		return err
	}
	var n int
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
