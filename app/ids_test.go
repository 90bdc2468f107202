package app

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// idProblems lists what is wrong with the ids of a page: an id used twice, a label
// whose for names no element or one that cannot be labelled, an aria reference to
// nothing (outside what is hidden: the empty dialog container names the title of the
// dialog it will hold).
func idProblems(doc *goquery.Document) []string {
	count := map[string]int{}
	doc.Find("[id]").Each(func(_ int, s *goquery.Selection) { count[s.AttrOr("id", "")]++ })
	var out []string
	for id, n := range count {
		if id == "" {
			out = append(out, fmt.Sprintf("%d empty ids", n))
		} else if n > 1 {
			out = append(out, fmt.Sprintf("id %q is used %d times", id, n))
		}
	}
	labelable := "input:not([type=hidden]), select, textarea, button, meter, output, progress"
	doc.Find("label[for]").Each(func(_ int, s *goquery.Selection) {
		target := s.AttrOr("for", "")
		switch el := doc.Find("#" + cssEscape(target)); {
		case count[target] == 0:
			out = append(out, fmt.Sprintf("label %q is for %q, which is not on the page", strings.TrimSpace(s.Text()), target))
		case !el.First().Is(labelable):
			out = append(out, fmt.Sprintf("label %q is for %q, a %s that cannot be labelled", strings.TrimSpace(s.Text()), target, goquery.NodeName(el.First())))
		}
	})
	for _, attr := range []string{"aria-labelledby", "aria-describedby", "aria-controls", "list"} {
		doc.Find("[" + attr + "]").Each(func(_ int, s *goquery.Selection) {
			if s.Closest(`[aria-hidden="true"]`).Length() > 0 {
				return
			}
			for _, id := range strings.Fields(s.AttrOr(attr, "")) {
				if count[id] == 0 {
					out = append(out, fmt.Sprintf("%s=%q names nothing on the page", attr, id))
				}
			}
		})
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// cssEscape makes an id usable in a #selector (ids here are plain, but a wrong one
// must fail the check, not the selector parser).
func cssEscape(id string) string {
	var b strings.Builder
	for _, r := range id {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, "\\%x ", r)
		}
	}
	return b.String()
}

// withFragment puts an htmx fragment into a page as htmx would: in place of the
// element with its root's id (an inline edit), or else into the dialog.
func withFragment(t *testing.T, page *response, fragment string) *goquery.Document {
	t.Helper()
	doc := goquery.CloneDocument(page.doc)
	frag, err := goquery.NewDocumentFromReader(strings.NewReader("<body>" + fragment + "</body>"))
	if err != nil {
		t.Fatal(err)
	}
	root := frag.Find("body").Children().First()
	if id := root.AttrOr("id", ""); id != "" && doc.Find("#"+cssEscape(id)).Length() == 1 {
		html, _ := goquery.OuterHtml(root)
		doc.Find("#" + cssEscape(id)).ReplaceWithHtml(html)
		return doc
	}
	inner, _ := frag.Find("body").Html()
	doc.Find("#modal-dialog").SetHtml(inner)
	return doc
}

// TestPageIDs: on every page, and every page with each of its dialogs (and inline
// edit forms) open in it, ids are unique and every label and aria reference has its
// target, so a click on a label reaches its field and a test's #id finds one element.
func TestPageIDs(t *testing.T) {
	f := newRouteFixture(t)
	c := f.admin
	runID, jobID, mailID := f.ids["runchecks"], f.ids["jobs"], f.ids["inbox"]
	check := func(t *testing.T, what string, doc *goquery.Document) {
		t.Helper()
		if p := idProblems(doc); len(p) > 0 {
			t.Errorf("%s:\n  %s", what, strings.Join(p, "\n  "))
		}
	}

	// Every page of the route table, and every dialog URL (its page with it open).
	for _, rt := range f.h.app.routeTable() {
		if rt.Method != "GET" || notPages[rt.Path] != "" {
			continue
		}
		if b, ok := fragmentPages[rt.Path]; ok && b.page == nil {
			continue // an inline fragment: checked in its page below
		}
		p := f.path(t, rt.Path, "")
		if rt.Path == "/tickets/new" {
			p += fmt.Sprintf("?kind=ticket&run_id=%d", runID)
		}
		r := c.follow(t, p)
		if !isPage(r) {
			t.Errorf("%s is no page", p)
			continue
		}
		check(t, p, r.doc)
	}

	// Dialogs and inline forms opened into the pages they are opened from.
	runDialogs := []string{
		fmt.Sprintf("/runchecks/runs/%d", runID),
		fmt.Sprintf("/tickets/new?kind=ticket&run_id=%d", runID),
		fmt.Sprintf("/tickets/new?kind=remark&run_id=%d", runID),
		fmt.Sprintf("/overrides/new?run_id=%d", runID),
	}
	opened := map[string][]string{
		"/runchecks":                   runDialogs,
		fmt.Sprintf("/jobs/%d", jobID): append([]string{fmt.Sprintf("/inbox/%d", mailID), fmt.Sprintf("/jobs/%d/schedule/edit", jobID)}, runDialogs...),
		"/inbox":                       {fmt.Sprintf("/inbox/%d", mailID)},
		"/daily?date=2026-03-02":       {fmt.Sprintf("/daily/%d?date=2026-03-02", jobID)},
		"/tickets":                     {fmt.Sprintf("/tickets/new?kind=ticket&job_id=%d", jobID), fmt.Sprintf("/tickets/ticket/%d/edit", f.ids["tickets"])},
		"/overrides":                   {"/overrides/new", fmt.Sprintf("/overrides/%d/edit", f.ids["overrides"])},
		"/users":                       {"/users/new", fmt.Sprintf("/users/%d/edit", f.ids["users"]), fmt.Sprintf("/users/%d/password", f.ids["users"])},
		"/customers":                   {fmt.Sprintf("/customers/%d/edit", f.ids["customers"])},
		"/settings":                    {"/settings/general/edit"},
		"/settings/imports":            {"/settings/imports/edit"},
		"/settings/integrations":       {"/settings/integrations/autotask/edit", "/settings/integrations/entra", "/settings/integrations/entra/edit", "/settings/integrations/cloud-connect/edit", "/settings/integrations/cove", "/settings/integrations/cove/edit"},
		"/cloud-connect/accounts": {fmt.Sprintf("/cloud-connect/accounts/%d/create-job", f.ids["cloud-connect"]),
			fmt.Sprintf("/cloud-connect/accounts/%d/link", f.ids["cloud-connect"])},
		"/cove/accounts":      {"/cove/accounts/4711/create", "/cove/accounts/4711/link", "/cove/accounts/bulk?account_id=4711"},
		"/settings/reporting": {"/settings/reporting/edit"},
		"/reports":            {"/reports/new", fmt.Sprintf("/reports/%d/edit", f.ids["reports"])},
		fmt.Sprintf("/reports/%d", f.ids["reports"]): {fmt.Sprintf("/reports/%d/edit", f.ids["reports"])},
	}
	for page, fragments := range opened {
		r := c.follow(t, page)
		for _, fr := range fragments {
			h := c.hx("GET", fr, nil)
			if h.StatusCode != http.StatusOK {
				t.Errorf("htmx GET %s: status %d", fr, h.StatusCode)
				continue
			}
			check(t, page+" with "+fr, withFragment(t, r, h.body))
		}
	}

	// The check itself: a duplicate id, a label without its field.
	bad, _ := goquery.NewDocumentFromReader(strings.NewReader(`<p id="a"></p><input id="a"><label for="b">B</label><label for="a">A</label>`))
	if p := idProblems(bad); len(p) != 3 {
		t.Fatalf("the check found %q", p)
	}
}
