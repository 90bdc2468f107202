package app

import (
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/docs"
	docsview "github.com/backupchecks/backupchecks/components/docs"
	"github.com/backupchecks/backupchecks/components/view"
)

// maxDocHits bounds the hits the documentation's own search lists (there are a few
// dozen pages; no paging needed).
const maxDocHits = 50

// documentationIndex is the documentation's start page: every section with its pages
// and their summaries, or with ?q= the pages that match (the search-box rules of the
// app, docs.Search). Public, like the pages needed before anyone can sign in; the
// others are listed without a link, and a search finds only what the visitor may read.
func (a *App) documentationIndex(c *fiber.Ctx) error {
	m := docsview.Index{Query: strings.TrimSpace(c.Query("q")), Nav: docNav(""), Summaries: map[string]string{}}
	for _, p := range docs.Pages() {
		m.Summaries[p.Path] = p.Summary
	}
	if m.Query != "" {
		open := a.docOpen(c)
		var hits []docs.Hit
		m.Total, hits = docs.SearchIn(m.Query, maxDocHits, 0, open)
		for _, h := range hits {
			m.Hits = append(m.Hits, docsview.Hit{Title: h.Title, Section: h.Section, Link: h.Link, Snippet: h.Snippet})
		}
	}
	return a.renderPage(c, func(v view.Ctx) templ.Component { return docsview.IndexView(v, m) })
}

// documentationPage serves one page of the documentation: every /documentation/…
// route of the table leads here, and the route's roles say who may read it.
func (a *App) documentationPage(c *fiber.Ctx) error {
	p, ok := docs.Lookup(c.Route().Path)
	if !ok {
		return fiber.ErrNotFound
	}
	site := a.site()
	m := docsview.Page{Title: p.Title, Section: p.SectionTitle, Path: p.Path, Nav: docNav(p.Path),
		Site: docsview.Site{RedirectURI: site.RedirectURI(), LogoutURI: site.LogoutReturnURI(), SiteProblem: site.Problem()}}
	for _, part := range p.Parts {
		m.Parts = append(m.Parts, docsview.Part{HTML: part.HTML, Widget: part.Widget})
	}
	for _, h := range p.Headings {
		m.TOC = append(m.TOC, docsview.Heading{Level: h.Level, ID: h.ID, Text: h.Text})
	}
	if p.Prev != nil {
		m.Prev = &docsview.Link{Title: p.Prev.Title, Path: p.Prev.Path}
	}
	if p.Next != nil {
		m.Next = &docsview.Link{Title: p.Next.Title, Path: p.Next.Path}
	}
	return a.renderPage(c, func(v view.Ctx) templ.Component { return docsview.PageView(v, m) })
}

// docNav is the documentation's navigation, with current marked.
func docNav(current string) []docsview.NavSection {
	var nav []docsview.NavSection
	for _, s := range docs.Sections() {
		ns := docsview.NavSection{Title: s.Title}
		for _, p := range s.Pages {
			ns.Links = append(ns.Links, docsview.Link{Title: p.Title, Path: p.Path, Current: p.Path == current})
		}
		nav = append(nav, ns)
	}
	return nav
}

// docOpen reports, for the request's visitor, whether a documentation page may be
// read: what the route table says of its route (public pages for everyone, the others
// for the roles listed).
func (a *App) docOpen(c *fiber.Ctx) func(path string) bool {
	role := ""
	if u := currentUser(c); u != nil {
		role = u.ActiveRole
	}
	allowed := a.allowed(role)
	return func(path string) bool { return allowed("GET", path) }
}
