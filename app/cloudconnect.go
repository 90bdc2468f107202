package app

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/cloudconnect"
	"github.com/backupchecks/backupchecks/app/jobs"
	cloudconnectview "github.com/backupchecks/backupchecks/components/cloudconnect"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
)

const cloudConnectPerPage = 50

// cloudConnectFilter reads the list's filter from the query string or the form (the
// dialogs and buttons send the filter along, so the list they refresh stays as it was).
func cloudConnectFilter(c *fiber.Ctx) cloudconnect.Filter {
	show := c.FormValue("show")
	if show != "unlinked" && show != "linked" {
		show = ""
	}
	return cloudconnect.Filter{Query: strings.TrimSpace(c.FormValue("q")), Show: show,
		Page: pageNumber(c.FormValue("page")), PerPage: cloudConnectPerPage}
}

// cloudConnectList loads the table for f; a page past the end shows the last page.
func (a *App) cloudConnectList(c *fiber.Ctx, f cloudconnect.Filter) (cloudconnectview.List, error) {
	p, err := cloudconnect.List(c.UserContext(), a.db.Bun, f)
	if err != nil {
		return cloudconnectview.List{}, err
	}
	if last := (p.Total + f.PerPage - 1) / f.PerPage; len(p.Rows) == 0 && f.Page > 1 && last >= 1 {
		f.Page = last
		if p, err = cloudconnect.List(c.UserContext(), a.db.Bun, f); err != nil {
			return cloudconnectview.List{}, err
		}
	}
	q := url.Values{}
	if f.Query != "" {
		q.Set("q", f.Query)
	}
	if f.Show != "" {
		q.Set("show", f.Show)
	}
	base := "/cloud-connect/accounts?"
	if len(q) > 0 {
		base += q.Encode() + "&"
	}
	s := state(c).settings
	l := cloudconnectview.List{Filter: cloudconnectview.Filter{Query: f.Query, Show: f.Show}, Unlinked: p.Unlinked, Linked: p.Linked,
		Pager: ui.Pager{Page: p.Page, PerPage: p.PerPage, Total: p.Total, BaseURL: base}}
	if s.CloudConnectQuotaPercent != nil {
		l.QuotaAlert = *s.CloudConnectQuotaPercent
	}
	if s.CloudConnectInactiveDays != nil {
		l.InactiveDays = *s.CloudConnectInactiveDays
	}
	for _, r := range p.Rows {
		l.Rows = append(l.Rows, cloudConnectAccountView(r))
	}
	return l, nil
}

func cloudConnectAccountView(r cloudconnect.Account) cloudconnectview.Account {
	v := cloudconnectview.Account{ID: r.ID, User: r.User, Section: r.Section, RepoName: r.RepoName, Repository: r.Repository,
		Machines: r.Machines, Quota: r.QuotaText, Used: r.UsedText, Free: r.FreeText, LastActive: r.LastActive, Expiry: r.Expiry,
		ReportedStatus: r.ReportedStatus, Status: r.Status, Message: r.Message, LastReportAt: r.LastResultAt,
		Linked: r.JobID != nil, JobArchived: r.JobArchived, SuggestedJob: r.SuggestedJobName()}
	v.UsedPercent, v.HasPercent = cloudconnect.UsedPercent(r.UsedBytes, r.QuotaBytes)
	v.PercentText = cloudconnect.PercentText(v.UsedPercent)
	if r.LastMailID != nil {
		v.LastMailID = *r.LastMailID
	}
	if r.JobID != nil {
		v.JobID, v.JobLabel = *r.JobID, r.CustomerName+" / "+r.JobName
	}
	return v
}

// cloudConnectPage is /cloud-connect/accounts: the page, or for htmx (search, paging)
// the table alone.
func (a *App) cloudConnectPage(c *fiber.Ctx) error {
	l, err := a.cloudConnectList(c, cloudConnectFilter(c))
	if err != nil {
		return err
	}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return cloudconnectview.Page(v, l) },
		cloudconnectview.Table(a.view(c), l))
}

// cloudConnectScan re-reads every stored report mail (Scan inbox) and answers with the
// refreshed table and what was found.
func (a *App) cloudConnectScan(c *fiber.Ctx) error {
	res, err := cloudconnect.ScanInbox(c.UserContext(), a.db.Bun, a.registry, a.now())
	if err != nil {
		return err
	}
	msg := "Scanned: " + ui.Count(res.Reports, "Cloud Connect report", "Cloud Connect reports") + " read"
	if res.Found > 0 {
		msg += fmt.Sprintf(" (%d found in the Inbox)", res.Found)
	}
	msg += "; " + ui.Count(res.Accounts, "account", "accounts") + fmt.Sprintf(", %d not linked", res.Unlinked)
	if res.Runs > 0 {
		msg += "; " + ui.Count(res.Runs, "run of a linked account made or updated", "runs of linked accounts made or updated")
	}
	msg += "."
	l, err := a.cloudConnectList(c, cloudConnectFilter(c))
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, cloudconnectview.Table(a.view(c), l), success(msg))
}

// cloudConnectJobs answers the link dialog's job search.
func (a *App) cloudConnectJobs(c *fiber.Ctx) error {
	q := strings.TrimSpace(c.Query("job_search"))
	opts, err := a.cloudConnectJobOptions(c, q)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, cloudconnectview.JobOptions(q, opts, ""))
}

// cloudConnectJobOptions are the active jobs matching q (none for an empty q).
func (a *App) cloudConnectJobOptions(c *fiber.Ctx, q string) ([]cloudconnectview.JobOption, error) {
	if q == "" {
		return nil, nil
	}
	found, err := jobs.Search(c.UserContext(), a.db.Bun, q, 10)
	if err != nil {
		return nil, err
	}
	opts := make([]cloudconnectview.JobOption, len(found))
	for i, f := range found {
		opts[i] = cloudconnectview.JobOption{ID: f.ID, Label: f.Label}
	}
	return opts, nil
}
