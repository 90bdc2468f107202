package app

import (
	"log/slog"
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/search"
	"github.com/backupchecks/backupchecks/app/search/terms"
	"github.com/backupchecks/backupchecks/app/settings"
	searchview "github.com/backupchecks/backupchecks/components/search"
	"github.com/backupchecks/backupchecks/components/view"
)

// searchPage is the global search: ?q= and one page parameter per section (p_inbox,
// p_jobs, …). An htmx request that pages one group (HX-Target search-<key>) gets that
// group alone; any other htmx request the results.
func (a *App) searchPage(c *fiber.Ctx) error {
	q := strings.TrimSpace(c.Query("q"))
	pages := map[string]int{}
	for _, s := range search.Sections {
		if raw := c.Query(s.Param()); raw != "" {
			pages[s.Key] = pageNumber(raw)
		}
	}
	env := search.Env{Now: a.now(), Location: settings.Location(state(c).settings), Allowed: a.allowed(currentUser(c).ActiveRole)}
	groups := search.Run(c.UserContext(), a.db.Bun, search.Sections, q, env, pages)
	m := searchview.Model{Query: q, Searched: !terms.Parse(q).Empty()}
	for _, g := range groups {
		if g.Err != nil {
			slog.Error("web: search section failed", "err", g.Err, "request_id", requestID(c))
		}
		m.Groups = append(m.Groups, searchGroupView(g, q, pages))
	}
	if target := strings.TrimPrefix(c.Get("HX-Target"), "search-"); isHTMX(c) && target != c.Get("HX-Target") {
		for _, g := range m.Groups {
			if g.Key == target {
				return a.renderFragment(c, fiber.StatusOK, searchview.GroupView(a.view(c), g))
			}
		}
	}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return searchview.Page(v, m) },
		searchview.Results(a.view(c), m))
}

func searchGroupView(g search.Group, q string, pages map[string]int) searchview.Group {
	out := searchview.Group{Key: g.Section.Key, Title: g.Section.Title, Total: g.Total, Page: g.Page, Pages: g.Pages(),
		OpenURL: g.Section.OpenURL(q), Failed: g.Err != nil}
	// Paging this group keeps every other group's page.
	link := func(page int) string {
		v := url.Values{"q": {q}}
		for _, s := range search.Sections {
			if p := pages[s.Key]; p > 1 && s.Key != g.Section.Key {
				v.Set(s.Param(), itoa(p))
			}
		}
		if page > 1 {
			v.Set(g.Section.Param(), itoa(page))
		}
		return "/search?" + v.Encode()
	}
	if g.Page > 1 {
		out.PrevURL = link(g.Page - 1)
	}
	if g.Page < g.Pages() {
		out.NextURL = link(g.Page + 1)
	}
	for _, h := range g.Hits {
		out.Hits = append(out.Hits, searchview.Hit{Title: h.Title, Detail: h.Detail, Link: h.Link, Dialog: h.Dialog,
			Status: h.Status, Note: h.Note, At: h.At, Expected: h.Expected, Runs: h.Runs})
	}
	return out
}
