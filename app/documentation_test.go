package app

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/backupchecks/backupchecks/app/docs"
	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	docsview "github.com/backupchecks/backupchecks/components/docs"
	"github.com/backupchecks/backupchecks/db"
)

// docLinkProblem says what is wrong with a link from a documentation page (from, for
// "#anchor" links) or from a "?" (from nil): a documentation page or heading that does
// not exist, or an address of the app that is no page of the route table. "" when it
// leads somewhere.
func docLinkProblem(a *App, from *docs.Page, link string) string {
	switch {
	case strings.HasPrefix(link, "https://") || strings.HasPrefix(link, "http://") || strings.HasPrefix(link, "mailto:"):
		return ""
	case strings.HasPrefix(link, "#"):
		if from == nil || !from.HasAnchor(link[1:]) {
			return "no heading " + link + " on the page"
		}
		return ""
	case !strings.HasPrefix(link, "/"):
		return "not an address of the app"
	}
	path, anchor, _ := strings.Cut(link, "#")
	path, _, _ = strings.Cut(path, "?")
	if strings.HasPrefix(path, docs.Prefix+"/") {
		p, ok := docs.Lookup(path)
		switch {
		case !ok:
			return "no documentation page " + path
		case anchor != "" && !p.HasAnchor(anchor):
			return "no heading #" + anchor + " on " + path
		}
		return ""
	}
	for _, rt := range a.routeTable() {
		if rt.Method == "GET" && routeMatches(rt.Path, path) {
			return ""
		}
	}
	return "no GET route of the table serves " + path
}

// routeMatches reports whether a concrete path is served by a route pattern.
func routeMatches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if !(strings.HasPrefix(ps[i], ":") && xs[i] != "" || ps[i] == xs[i]) {
			return false
		}
	}
	return true
}

// TestDocumentationPages: every page of the documentation renders for a signed-in
// user of every role (status 200, its title, its heading, the navigation with it
// marked, no duplicate ids) and, when its route is public, for a visitor not signed
// in, who is otherwise sent to the login page; every link in it leads somewhere.
func TestDocumentationPages(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	clients := map[string]*client{}
	for _, role := range db.AllRoles {
		h.user("as-"+role, role)
		c := h.client()
		c.login("as-" + role)
		clients[role] = c
	}
	anon := h.client()
	pages := docs.Pages()
	if len(pages) == 0 {
		t.Fatal("no documentation pages")
	}
	public := 0
	for _, p := range pages {
		t.Run(p.Slug, func(t *testing.T) {
			for role, c := range clients {
				r := c.get(p.Path)
				wantStatus(t, r, http.StatusOK)
				if role != db.RoleAdmin {
					continue
				}
				if !isPage(r) || r.text("title") != p.Title+" · Documentation · Backupchecks" || r.text("#doc-title") != p.Title {
					t.Fatalf("title %q, heading %q, want %q", r.text("title"), r.text("#doc-title"), p.Title)
				}
				if cur := r.doc.Find(`.doc-sidebar a[aria-current="page"]`); cur.Length() != 1 || cur.AttrOr("href", "") != p.Path {
					t.Errorf("the navigation marks %d links as this page", cur.Length())
				}
				if probs := idProblems(r.doc); len(probs) > 0 {
					t.Errorf("ids:\n  %s", strings.Join(probs, "\n  "))
				}
				if r.doc.Find("#doc-body [style], #doc-body script").Length() > 0 {
					t.Error("the body has a style attribute or a script")
				}
				if len(p.Headings) > 0 && r.doc.Find(".doc-toc a[href='#"+p.Headings[0].ID+"']").Length() != 1 {
					t.Errorf("the table of contents has no link to #%s", p.Headings[0].ID)
				}
				for _, part := range p.Parts {
					if part.Widget != "" && !slices.Contains(docsview.Widgets, part.Widget) {
						t.Errorf("the widget %q does not exist", part.Widget)
					}
				}
			}
			r := anon.get(p.Path)
			if roles := h.app.routeRoles["GET "+p.Path]; roles == nil {
				public++
				wantStatus(t, r, http.StatusOK)
				if r.text("#doc-title") != p.Title || r.doc.Find("#doc-login").Length() != 1 {
					t.Errorf("a visitor not signed in sees %q without the login button", r.text("#doc-title"))
				}
			} else if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login?next="+url.QueryEscape(p.Path) {
				t.Errorf("signed out: %d to %q, want the login page", r.StatusCode, r.Header.Get("Location"))
			}
			for _, link := range p.Links {
				if prob := docLinkProblem(h.app, p, link); prob != "" {
					t.Errorf("link %s: %s", link, prob)
				}
			}
		})
	}
	if public == 0 || public == len(pages) {
		t.Fatalf("%d of %d pages are public", public, len(pages))
	}
}

// TestDocumentationRoutes: the route table and the Markdown pages are one to one, so
// every page is reachable and says (in the table) who may read it.
func TestDocumentationRoutes(t *testing.T) {
	routes := map[string]bool{}
	for _, rt := range new(App).routeTable() {
		if strings.HasPrefix(rt.Path, docs.Prefix) {
			if rt.Method != "GET" || routes[rt.Path] {
				t.Errorf("%s %s: documentation routes are GET, one each", rt.Method, rt.Path)
			}
			routes[rt.Path] = true
		}
	}
	if !routes[docs.Prefix] {
		t.Error("no route for the documentation's index")
	}
	delete(routes, docs.Prefix)
	for _, p := range docs.Pages() {
		if !routes[p.Path] {
			t.Errorf("%s has no route: add it to the documentation's block of routeTable", p.Path)
		}
		delete(routes, p.Path)
	}
	for path := range routes {
		t.Errorf("the route %s has no page in app/docs/pages", path)
	}
}

// TestDocumentationIndex: the index lists every page with its summary, links the
// pages the visitor may read, and its search finds only those.
func TestDocumentationIndex(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("viewer", db.RoleViewer)
	c := h.client()
	c.login("viewer")
	anon := h.client()

	r := c.get("/documentation")
	wantStatus(t, r, http.StatusOK)
	if r.text("title") != "Documentation · Backupchecks" {
		t.Fatalf("title %q", r.text("title"))
	}
	for _, p := range docs.Pages() {
		if r.doc.Find(`#doc-index a[href="`+p.Path+`"]`).Length() != 1 {
			t.Errorf("the index does not link %s", p.Path)
		}
	}
	if !strings.Contains(r.text("#doc-index"), docs.Pages()[0].Summary) {
		t.Error("the index shows no summaries")
	}

	r = anon.get("/documentation")
	wantStatus(t, r, http.StatusOK)
	for _, p := range docs.Pages() {
		linked := r.doc.Find(`#doc-index a[href="`+p.Path+`"]`).Length() == 1
		if public := h.app.routeRoles["GET "+p.Path] == nil; linked != public {
			t.Errorf("%s: linked %v for a visitor not signed in, public %v", p.Path, linked, public)
		}
	}

	// Mail.ReadWrite is on the mail import page (signed in) and the Entra page (public).
	hitLinks := func(r *response) []string {
		var out []string
		r.doc.Find("#doc-hits a").Each(func(_ int, s *goquery.Selection) { out = append(out, s.AttrOr("href", "")) })
		return out
	}
	r = c.get("/documentation?q=" + url.QueryEscape("mail.readwrite"))
	wantStatus(t, r, http.StatusOK)
	if links := hitLinks(r); !slices.ContainsFunc(links, func(l string) bool { return strings.HasPrefix(l, "/documentation/mail/import#") }) {
		t.Fatalf("signed in: hits %v", links)
	}
	r = anon.get("/documentation?q=" + url.QueryEscape("mail.readwrite"))
	for _, l := range hitLinks(r) {
		p, _, _ := strings.Cut(l, "#")
		if h.app.routeRoles["GET "+p] != nil {
			t.Errorf("a visitor not signed in is shown %s", l)
		}
	}
	if len(hitLinks(r)) == 0 {
		t.Error("the public Entra page does not mention Mail.ReadWrite any more: pick another term")
	}
	r = c.get("/documentation?q=zzqqxx")
	if r.doc.Find("#doc-no-hits").Length() != 1 || !strings.Contains(r.text("#doc-hits-total"), "0 pages") {
		t.Fatalf("no hits: %q", r.text("#doc-hits-total"))
	}
}

// TestHelpLinks: every page of the app has a "?" beside its heading, and every "?"
// leads to a documentation page and heading that exist: on every page of the route
// table as an admin sees it, in the templates (literal paths), and on the login and
// first-time setup pages, whose help is public (before setup too).
func TestHelpLinks(t *testing.T) {
	f := newRouteFixture(t)
	pages := 0
	for _, rt := range f.h.app.routeTable() {
		if rt.Method != "GET" || notPages[rt.Path] != "" || strings.HasPrefix(rt.Path, docs.Prefix) {
			continue
		}
		if b, ok := fragmentPages[rt.Path]; ok && b.page == nil {
			continue // an inline fragment: its page is checked
		}
		p := f.path(t, rt.Path, "")
		if rt.Path == "/tickets/new" {
			p += fmt.Sprintf("?kind=ticket&run_id=%d", f.ids["runchecks"])
		}
		r := f.admin.follow(t, p)
		if r.StatusCode != http.StatusOK {
			continue // /setup once done, a sign-in callback without a sign-in: error pages
		}
		if !isPage(r) {
			t.Errorf("%s is no page", p)
			continue
		}
		pages++
		if r.doc.Find("main h1 a.help-link").Length() != 1 {
			t.Errorf("%s: the page heading has no \"?\" (ui.HelpLink)", p)
		}
		r.doc.Find("a.help-link").Each(func(_ int, s *goquery.Selection) {
			if prob := docLinkProblem(f.h.app, nil, s.AttrOr("href", "")); prob != "" {
				t.Errorf("%s: \"?\" to %s: %s", p, s.AttrOr("href", ""), prob)
			}
		})
	}

	if pages < 25 {
		t.Fatalf("checked %d pages: the walk is broken", pages)
	}

	literal := regexp.MustCompile(`@ui\.HelpLink\("([^"]*)"\)`)
	found := 0
	err := filepath.WalkDir("../components", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".templ") {
			return err
		}
		b, err := os.ReadFile(path)
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			found++
			if prob := docLinkProblem(f.h.app, nil, m[1]); prob != "" {
				t.Errorf("%s: \"?\" to %s: %s", path, m[1], prob)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 15 {
		t.Fatalf("found %d help links in the templates: the scan is broken", found)
	}

	// Help before signing in, and before the first admin exists.
	anon := f.h.client()
	help := anon.get("/login").doc.Find("#login-help").AttrOr("href", "")
	fresh := newHarness(t, Options{}).client()
	setupHelp := fresh.get("/setup").doc.Find("#setup-help").AttrOr("href", "")
	for _, tc := range []struct {
		c    *client
		link string
	}{{anon, help}, {fresh, setupHelp}} {
		if prob := docLinkProblem(f.h.app, nil, tc.link); tc.link == "" || prob != "" {
			t.Fatalf("help link %q: %s", tc.link, prob)
		}
		path, _, _ := strings.Cut(tc.link, "#")
		wantStatus(t, tc.c.get(path), http.StatusOK)
	}
}

// TestDocumentationInNavbar: every role finds the documentation in the user menu.
func TestDocumentationInNavbar(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	for _, role := range db.AllRoles {
		h.user("as-"+role, role)
		c := h.client()
		c.login("as-" + role)
		r := c.get("/profile")
		if href, _ := r.doc.Find("#nav-documentation").Attr("href"); href != "/documentation" {
			t.Errorf("%s: no Documentation in the user menu", role)
		}
	}
}
