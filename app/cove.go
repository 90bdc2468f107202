package app

import (
	"net/url"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/cove"
	"github.com/backupchecks/backupchecks/app/settings"
	coveview "github.com/backupchecks/backupchecks/components/cove"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
)

// The Cove accounts page (/cove/accounts): every account the import found, unlinked
// first, with Create job / Link to existing / Unlink (cove_actions.go).

// coveAccountsPerPage is how many accounts a page lists.
const coveAccountsPerPage = 50

// coveFilter reads the list's filter from a query string (the page's own, or the
// list an action returns to).
func coveFilter(q url.Values) cove.AccountFilter {
	show := q.Get("show")
	if show != "unmatched" && show != "matched" {
		show = ""
	}
	return cove.AccountFilter{Query: q.Get("q"), Show: show, Page: pageNumber(q.Get("page")), PerPage: coveAccountsPerPage}
}

// coveList loads the accounts page's model for f.
func (a *App) coveList(c *fiber.Ctx, f cove.AccountFilter) (coveview.Page, error) {
	res, err := cove.ListAccounts(c.UserContext(), a.db.Bun, f)
	if err != nil {
		return coveview.Page{}, err
	}
	p := coveview.Page{Query: f.Query, Show: f.Show, Total: res.Total, Unmatched: res.Unmatched, All: res.All,
		Enabled: state(c).settings.CoveEnabled}
	q := url.Values{}
	if f.Query != "" {
		q.Set("q", f.Query)
	}
	if f.Show != "" {
		q.Set("show", f.Show)
	}
	base := "/cove/accounts?"
	if len(q) > 0 {
		base += q.Encode() + "&"
	}
	p.Pager = ui.Pager{Page: max(f.Page, 1), PerPage: coveAccountsPerPage, Total: res.Total, BaseURL: base}
	loc := settings.Location(state(c).settings)
	for _, r := range res.Rows {
		p.Rows = append(p.Rows, coveRow(r, loc, a.now()))
	}
	return p, nil
}

func (a *App) coveAccountsPage(c *fiber.Ctx) error {
	p, err := a.coveList(c, coveFilter(queryValues(c)))
	if err != nil {
		return err
	}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return coveview.AccountsPage(v, p) },
		coveview.Accounts(a.view(c), p))
}

// queryValues is the request's query string.
func queryValues(c *fiber.Ctx) url.Values {
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	return q
}

// coveRow is an account as the page shows it, with its colour bar dated in loc.
func coveRow(r cove.AccountRow, loc *time.Location, now time.Time) coveview.Row {
	row := coveview.Row{AccountID: r.AccountID, Device: r.Name, Computer: r.Computer, Customer: r.Customer,
		DataSources: r.DataSources, Type: r.BackupType, LastSession: r.LastSessionAt, JobName: r.JobName, JobCustomer: r.JobCustomer,
		JobArchived: r.JobArchived}
	row.Status, row.StatusLabel = r.Status()
	if r.JobID != nil {
		row.JobID = *r.JobID
	}
	days := cove.ParseColorBar(r.ColorBar)
	if len(days) == 0 {
		return row
	}
	today := now.In(loc)
	date := func(offset int) string {
		return time.Date(today.Year(), today.Month(), today.Day()-offset, 12, 0, 0, 0, loc).Format("Mon 2 Jan 2006")
	}
	for off := cove.ColorBarDays - 1; off > days[0].Offset; off-- {
		row.Days = append(row.Days, coveview.Day{Class: "cove-day-unknown", Title: date(off) + ": not reported"})
	}
	for _, d := range days {
		class := "cove-day-none"
		switch d.Status {
		case "Success":
			class = "cove-day-success"
		case "Warning":
			class = "cove-day-warning"
		case "Failed":
			class = "cove-day-failed"
		}
		row.Days = append(row.Days, coveview.Day{Class: class, Title: date(d.Offset) + ": " + d.Label})
	}
	return row
}
