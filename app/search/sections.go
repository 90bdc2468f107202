package search

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/cloudconnect"
	"github.com/backupchecks/backupchecks/app/cove"
	"github.com/backupchecks/backupchecks/app/customers"
	"github.com/backupchecks/backupchecks/app/docs"
	"github.com/backupchecks/backupchecks/app/inbox"
	"github.com/backupchecks/backupchecks/app/jobs"
	"github.com/backupchecks/backupchecks/app/overrides"
	"github.com/backupchecks/backupchecks/app/reports"
	"github.com/backupchecks/backupchecks/app/review"
	"github.com/backupchecks/backupchecks/app/schedule"
	"github.com/backupchecks/backupchecks/app/tickets"
	"github.com/backupchecks/backupchecks/db"
)

// Sections are the groups of the global search, in the order shown. A new area joins
// the search with one entry here: a Finder calling the list function its page uses,
// with the query as that page's q, and a trigram index on every column it searches.
// A section is searched only when the role may open its Page, so a reporter finds
// Reports and the documentation alone. The documentation's Finder matches its pages in
// Go with terms.Match.
var Sections = []Section{
	{Key: "inbox", Title: "Inbox", Page: "/inbox", Find: findInbox},
	{Key: "customers", Title: "Customers", Page: "/customers", OpenQuery: "inactive=on", Find: findCustomers},
	{Key: "jobs", Title: "Jobs", Page: "/jobs", OpenQuery: "inactive=on", Find: findJobs},
	{Key: "daily_jobs", Title: "Daily Jobs", Page: "/daily", Find: findDailyJobs},
	{Key: "run_checks", Title: "Run Checks", Page: "/runchecks", Find: findRunChecks},
	{Key: "tickets", Title: "Tickets", Page: "/tickets", OpenQuery: "kind=ticket&state=all", Find: findTickets(tickets.KindTicket)},
	{Key: "remarks", Title: "Remarks", Page: "/tickets", OpenQuery: "kind=remark&state=all", Find: findTickets(tickets.KindRemark)},
	{Key: "overrides", Title: "Existing overrides", Page: "/overrides", Find: findOverrides},
	{Key: "reports", Title: "Reports", Page: "/reports", Find: findReports},
	{Key: "cove_accounts", Title: "Cove accounts", Page: "/cove/accounts", Find: findCoveAccounts},
	{Key: "cloud_connect", Title: "Cloud Connect accounts", Page: "/cloud-connect/accounts", Find: findCloudConnect},
	{Key: "docs", Title: "Documentation", Page: "/documentation", Find: findDocs},
}

// findDocs searches the built-in documentation (app/docs: Markdown matched in Go with
// the search-box rules; a hit links to the heading where it is found).
func findDocs(_ context.Context, _ bun.IDB, q string, _ Env, page, perPage int) ([]Hit, int, error) {
	total, found := docs.Search(q, perPage, (page-1)*perPage)
	hits := make([]Hit, len(found))
	for i, h := range found {
		hits[i] = Hit{Title: h.Title, Detail: joinNonEmpty(h.Section, h.Snippet), Link: h.Link}
	}
	return hits, total, nil
}

func findInbox(ctx context.Context, idb bun.IDB, q string, _ Env, page, perPage int) ([]Hit, int, error) {
	p, err := inbox.Search(ctx, idb, db.LocationInbox, q, page, perPage)
	if err != nil {
		return nil, 0, err
	}
	hits := make([]Hit, len(p.Rows))
	for i, r := range p.Rows {
		title := r.Subject
		if title == "" {
			title = "(no subject)"
		}
		at := r.ReceivedAt
		hits[i] = Hit{Title: title, Detail: joinNonEmpty(r.From, r.JobName, r.Software, r.Type), Status: r.Status, At: &at,
			Link: fmt.Sprintf("/inbox/%d", r.ID), Dialog: true}
	}
	return hits, p.Total, nil
}

func findCustomers(ctx context.Context, idb bun.IDB, q string, _ Env, page, perPage int) ([]Hit, int, error) {
	p, err := customers.List(ctx, idb, customers.Filter{Query: q, IncludeInactive: true, Page: page, PerPage: perPage})
	if err != nil {
		return nil, 0, err
	}
	hits := make([]Hit, len(p.Rows))
	for i, r := range p.Rows {
		hits[i] = Hit{Title: r.Name, Detail: plural(r.JobCount, "job", "jobs"), Link: fmt.Sprintf("/jobs?customer_id=%d", r.ID)}
		if !r.Active {
			hits[i].Note = "inactive"
		}
	}
	return hits, p.Total, nil
}

func findJobs(ctx context.Context, idb bun.IDB, q string, _ Env, page, perPage int) ([]Hit, int, error) {
	p, err := jobs.List(ctx, idb, jobs.Filter{Query: q, IncludeInactive: true, Page: page, PerPage: perPage})
	if err != nil {
		return nil, 0, err
	}
	hits := make([]Hit, len(p.Rows))
	for i, r := range p.Rows {
		hits[i] = Hit{Title: r.JobName, Detail: joinNonEmpty(r.CustomerName, r.BackupSoftware, r.BackupType),
			Status: r.LastRunStatus, At: r.LastRunAt, Link: fmt.Sprintf("/jobs/%d", r.ID)}
		if !r.CustomerActive {
			hits[i].Note = "inactive customer"
		}
	}
	return hits, p.Total, nil
}

// findDailyJobs finds among today's Daily Jobs (in the UI timezone); a hit opens the
// job's day in the Daily Jobs dialog.
func findDailyJobs(ctx context.Context, idb bun.IDB, q string, env Env, page, perPage int) ([]Hit, int, error) {
	today := schedule.DateOf(env.Now.In(env.Location))
	rows, summary, err := schedule.Day(ctx, idb, today, env.Location, env.Now, schedule.DayFilter{Query: q, Page: page, PerPage: perPage})
	if err != nil {
		return nil, 0, err
	}
	total := 0
	for _, n := range summary {
		total += n
	}
	hits := make([]Hit, len(rows))
	for i, r := range rows {
		runs := r.Runs
		hits[i] = Hit{Title: r.JobName, Detail: joinNonEmpty(r.CustomerName, r.BackupSoftware, r.BackupType),
			Status: r.Status, Expected: r.ExpectedAt, Runs: &runs, Link: fmt.Sprintf("/daily?open_job_id=%d", r.JobID)}
	}
	return hits, total, nil
}

// findRunChecks finds the jobs with runs to review; a hit opens the newest of them.
func findRunChecks(ctx context.Context, idb bun.IDB, q string, _ Env, page, perPage int) ([]Hit, int, error) {
	groups, total, err := review.Queue(ctx, idb, review.QueueFilter{Text: q, Page: page, PerPage: perPage})
	if err != nil {
		return nil, 0, err
	}
	hits := make([]Hit, len(groups))
	for i, g := range groups {
		hits[i] = Hit{Title: g.JobName, Detail: joinNonEmpty(g.CustomerName, plural(g.Unreviewed, "run to review", "runs to review")),
			Status: g.Worst, Link: "/runchecks?" + url.Values{"customer_id": {strconv.FormatInt(g.CustomerID, 10)}}.Encode()}
		if len(g.Runs) > 0 {
			at := g.Runs[0].RunAt
			hits[i].At, hits[i].Link, hits[i].Dialog = &at, fmt.Sprintf("/runchecks/runs/%d", g.Runs[0].ID), true
		}
	}
	return hits, total, nil
}

// findTickets finds tickets or remarks of every state (tickets.List returns at most
// its page's limit of them, newest open first).
func findTickets(kind string) Finder {
	return func(ctx context.Context, idb bun.IDB, q string, env Env, pg, perPage int) ([]Hit, int, error) {
		items, err := tickets.List(ctx, idb, tickets.ListFilter{Kind: kind, Query: q})
		if err != nil {
			return nil, 0, err
		}
		edit := env.allowed("GET", "/tickets/:kind/:id/edit")
		var hits []Hit
		for _, it := range page(items, pg, perPage) {
			h := Hit{Title: it.Code, Detail: joinNonEmpty(it.Text, it.Scopes), At: &it.CreatedAt}
			if kind == tickets.KindRemark {
				h.Title, h.Detail = clip(it.Text, 120), it.Scopes
			}
			if it.ResolvedAt != nil {
				h.Note = "resolved"
			}
			if edit {
				h.Link, h.Dialog = fmt.Sprintf("/tickets/%s/%d/edit", kind, it.ID), true
			} else {
				h.Link = "/tickets?" + url.Values{"kind": {kind}, "state": {"all"}, "q": {q}}.Encode()
			}
			hits = append(hits, h)
		}
		return hits, len(items), nil
	}
}

func findOverrides(ctx context.Context, idb bun.IDB, q string, env Env, pg, perPage int) ([]Hit, int, error) {
	rows, err := overrides.Search(ctx, idb, q)
	if err != nil {
		return nil, 0, err
	}
	edit := env.allowed("GET", "/overrides/:id/edit")
	var hits []Hit
	for _, o := range page(rows, pg, perPage) {
		h := Hit{Detail: joinNonEmpty(o.MatchStatus, quoted(o.MatchText), o.Comment, plural(o.Runs, "unreviewed run", "unreviewed runs"))}
		if o.Level == "global" {
			h.Title = "Global: " + orAny(joinNonEmpty(o.Software, o.Type))
		} else {
			h.Title = joinNonEmpty(o.CustomerName+" / "+o.JobName, o.ObjectName)
		}
		if edit {
			h.Link, h.Dialog = fmt.Sprintf("/overrides/%d/edit", o.ID), true
		} else {
			h.Link = "/overrides?" + url.Values{"q": {q}}.Encode()
		}
		hits = append(hits, h)
	}
	return hits, len(rows), nil
}

// findReports finds saved report definitions by their name or their customers' names
// (reports.ListDefinitions returns every match: definitions are few).
func findReports(ctx context.Context, idb bun.IDB, q string, _ Env, pg, perPage int) ([]Hit, int, error) {
	defs, err := reports.ListDefinitions(ctx, idb, q)
	if err != nil {
		return nil, 0, err
	}
	var hits []Hit
	for _, d := range page(defs, pg, perPage) {
		who := "All customers"
		if !d.AllCustomers {
			who = clip(strings.Join(d.CustomerNames, ", "), 120)
		}
		hits = append(hits, Hit{Title: d.Name, Detail: joinNonEmpty(who, reports.PeriodLabel(d.Period)), Link: fmt.Sprintf("/reports/%d", d.ID)})
	}
	return hits, len(defs), nil
}

// findCoveAccounts finds Cove accounts by device, computer or customer name; a hit
// opens the accounts page filtered by the account's device name.
func findCoveAccounts(ctx context.Context, idb bun.IDB, q string, _ Env, page, perPage int) ([]Hit, int, error) {
	p, err := cove.ListAccounts(ctx, idb, cove.AccountFilter{Query: q, Page: page, PerPage: perPage})
	if err != nil {
		return nil, 0, err
	}
	hits := make([]Hit, len(p.Rows))
	for i, r := range p.Rows {
		status, _ := r.Status()
		title := orDash(r.SuggestedJobName())
		hits[i] = Hit{Title: title, Detail: joinNonEmpty(r.Customer, r.Computer, r.BackupType), Status: status, At: r.LastSessionAt,
			Link: "/cove/accounts?" + url.Values{"q": {quotedTerm(title)}}.Encode()}
		if r.JobID == nil {
			hits[i].Note = "not linked"
		}
	}
	return hits, p.Total, nil
}

// findCloudConnect finds Cloud Connect accounts by user, repository, job or customer;
// a hit opens the accounts page filtered by the account's user.
func findCloudConnect(ctx context.Context, idb bun.IDB, q string, _ Env, page, perPage int) ([]Hit, int, error) {
	p, err := cloudconnect.List(ctx, idb, cloudconnect.Filter{Query: q, Page: page, PerPage: perPage})
	if err != nil {
		return nil, 0, err
	}
	hits := make([]Hit, len(p.Rows))
	for i, r := range p.Rows {
		repo := r.RepoName
		if repo == "" {
			repo = r.Repository
		}
		hits[i] = Hit{Title: r.User, Detail: joinNonEmpty(r.Section, repo, r.CustomerName, r.JobName), Status: r.Status, At: r.LastResultAt,
			Link: "/cloud-connect/accounts?" + url.Values{"q": {quotedTerm(r.User)}}.Encode()}
		if r.JobID == nil {
			hits[i].Note = "not linked"
		}
	}
	return hits, p.Total, nil
}

// quotedTerm is s as one search term (in double quotes when it holds spaces).
func quotedTerm(s string) string {
	if strings.ContainsAny(s, " \t") {
		return `"` + strings.ReplaceAll(s, `"`, "") + `"`
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func quoted(s string) string {
	if s == "" {
		return ""
	}
	return strconv.Quote(s)
}

func orAny(s string) string {
	if s == "" {
		return "any backup"
	}
	return s
}

// clip cuts s to n runes with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
