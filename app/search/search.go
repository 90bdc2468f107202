// Package search is the global search: what is typed into the navbar's search box,
// found in every section of the app the user's role may open, grouped by section,
// each group with its total and one page of hits that pages on its own.
//
// A section finds its hits with the same list function and the same terms
// (app/search/terms over the capability's SearchColumns) as the section's own page
// filters by q, so "Open <section>" shows exactly what the group counted.
package search

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/search/terms"
)

// PerPage is how many hits a group shows at a time.
const PerPage = 10

// Env is what sections need besides the query.
type Env struct {
	Now      time.Time
	Location *time.Location // the UI timezone (Daily Jobs' today)
	// Allowed reports whether the active role may call a route of the route table
	// (method, pattern): a section is searched only when its page may be opened, and a
	// hit links to a dialog only when the role may open it.
	Allowed func(method, pattern string) bool
}

func (e Env) allowed(method, pattern string) bool {
	return e.Allowed != nil && e.Allowed(method, pattern)
}

// Hit is one result.
type Hit struct {
	Title  string
	Detail string // one line under the title
	Link   string // where the hit opens
	// Dialog: Link is a dialog's own URL (it opens over the current page, and as a
	// full page over its own page when opened directly).
	Dialog bool
	Status string     // a run status shown as a badge ("" for none)
	Note   string     // a short mark beside the title (inactive, resolved, ...)
	At     *time.Time // the time shown with the hit (received, last run, created)
	// Daily Jobs: the expected time (nil when the job ran without being expected) and
	// the number of the day's runs.
	Expected *time.Time
	Runs     *int
}

// Finder returns one page (1-based) of a section's hits for query and how many there are in all.
type Finder func(ctx context.Context, idb bun.IDB, query string, env Env, page, perPage int) ([]Hit, int, error)

// Section is one group of results.
type Section struct {
	Key   string // the group's page parameter is "p_" + Key; its element id "search-" + Key
	Title string
	// Page is the section's own page (a GET pattern of the route table): the section is
	// searched only when the role may open it, and "Open <Title>" goes there with q.
	Page string
	// OpenQuery is added to the "Open" link besides q, so the page shows what the
	// group counted (inactive customers' jobs too, tickets of every state).
	OpenQuery string
	Find      Finder
}

// Param is the section's page parameter.
func (s Section) Param() string { return "p_" + s.Key }

// OpenURL is the section's own page filtered by query.
func (s Section) OpenURL(query string) string {
	v := url.Values{}
	v.Set("q", query)
	u := s.Page + "?" + v.Encode()
	if s.OpenQuery != "" {
		u += "&" + s.OpenQuery
	}
	return u
}

// Group is one section's results.
type Group struct {
	Section Section
	Hits    []Hit
	Total   int
	Page    int
	Err     error // this section failed; the others are still shown
}

// Pages is the number of pages of the group.
func (g Group) Pages() int { return max(1, (g.Total+PerPage-1)/PerPage) }

// Run searches every section of sections whose page the role may open, each at its
// page in pages (by Key; 1 when absent). The sections run at once, each on its own
// connection from the pool, so the search takes as long as its slowest section. A
// section that fails carries its error in its group; the others are still shown.
func Run(ctx context.Context, bdb *bun.DB, sections []Section, query string, env Env, pages map[string]int) []Group {
	if terms.Parse(query).Empty() {
		return nil
	}
	var groups []Group
	for _, s := range sections {
		if env.allowed("GET", s.Page) {
			groups = append(groups, Group{Section: s, Page: max(pages[s.Key], 1)})
		}
	}
	var wg sync.WaitGroup
	for i := range groups {
		wg.Add(1)
		go func(g *Group) {
			defer wg.Done()
			g.Hits, g.Total, g.Err = g.Section.Find(ctx, bdb, query, env, g.Page, PerPage)
			if g.Err != nil {
				g.Err = fmt.Errorf("search: %s: %w", g.Section.Key, g.Err)
			}
		}(&groups[i])
	}
	wg.Wait()
	return groups
}

// joinNonEmpty joins the parts that are not empty with " · ".
func joinNonEmpty(parts ...string) string {
	var out []string
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " · ")
}

// page returns the part of items on page (1-based) of perPage, for sections whose
// list function returns every match.
func page[T any](items []T, page, perPage int) []T {
	from := (page - 1) * perPage
	if from >= len(items) {
		return nil
	}
	return items[from:min(from+perPage, len(items))]
}
