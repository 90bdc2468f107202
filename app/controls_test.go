package app

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/backupchecks/backupchecks/app/docs"
	"github.com/backupchecks/backupchecks/components/layout"
)

// TestControlsNameRoutes: every button, link and menu entry that depends on the role
// asks the route table for a route that is in it. A pattern that is not in the table
// is never allowed, so a typo (or a route renamed without its buttons) would hide a
// control from everyone without any other test noticing. The components (.templ and
// hand-written .go) and the handlers are scanned for v.Can("METHOD", "/pattern"),
// v.CanOpen("/pattern") and a.can(c, "METHOD", "/pattern"); a call whose argument is
// not a literal must be one of the few listed below, whose values are checked here.
func TestControlsNameRoutes(t *testing.T) {
	table := map[string]bool{}
	for _, r := range new(App).routeTable() {
		table[r.Method+" "+r.Path] = true
	}
	var (
		canCall  = regexp.MustCompile(`\bv\.Can(Open)?\(|\ba\.can\(c, `)
		literal  = regexp.MustCompile(`\bv\.Can\("([A-Z]+)", "([^"]*)"\)|\bv\.CanOpen\("([^"]*)"\)|\ba\.can\(c, "([A-Z]+)", "([^"]*)"\)`)
		figure   = regexp.MustCompile(`@figure\(v, .*, "([^"]*)"\)$`)
		checked  int
		figures  int
		problems []string
	)
	// Calls with a computed argument, and where their values are checked.
	dynamic := map[string]string{
		"components/layout/nav.go":   "v.CanOpen(it.Path)", // layout.NavItems, below
		"components/home/page.templ": "v.CanOpen(path)",    // the figure calls' paths, below
		"components/view/view.go":    "v.Can(\"GET\", pattern)",
		"components/docs/page.templ": "v.CanOpen(l.Path)", // the documentation's pages, below
	}
	check := func(where, method, pattern string) {
		checked++
		if !table[method+" "+pattern] {
			problems = append(problems, where+": "+method+" "+pattern+" is not a route of the table")
		}
	}
	scan := func(root string, want func(name string) bool) {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !want(d.Name()) {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel := strings.TrimPrefix(filepath.ToSlash(path), "../")
			for i, line := range strings.Split(string(b), "\n") {
				where := rel + ":" + itoa(i+1)
				if strings.HasPrefix(strings.TrimSpace(line), "//") {
					continue // a comment may show an example
				}
				if m := figure.FindStringSubmatch(strings.TrimSpace(line)); m != nil && rel == "components/home/page.templ" {
					figures++
					check(where+" (figure)", "GET", m[1])
				}
				calls := len(canCall.FindAllString(line, -1))
				found := literal.FindAllStringSubmatch(line, -1)
				for _, m := range found {
					switch {
					case m[1] != "":
						check(where, m[1], m[2])
					case m[3] != "":
						check(where, "GET", m[3])
					default:
						check(where, m[4], m[5])
					}
				}
				if calls > len(found) && (dynamic[rel] == "" || !strings.Contains(line, dynamic[rel])) {
					problems = append(problems, where+": a role check whose route is not a literal: "+strings.TrimSpace(line))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	scan("../components", func(name string) bool {
		return strings.HasSuffix(name, ".templ") || strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_templ.go") && !strings.HasSuffix(name, "_test.go")
	})
	scan(".", func(name string) bool { return strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") })
	for _, it := range layout.NavItems() {
		check("navbar item "+it.Label, "GET", it.Path)
	}
	for _, p := range docs.Pages() {
		check("documentation page "+p.Slug, "GET", p.Path)
	}
	for _, p := range problems {
		t.Error(p)
	}
	// The scan found what it is meant to check (a broken pattern would find nothing).
	if checked < 40 || figures < 4 {
		t.Fatalf("checked %d routes (%d dashboard figures): the scan is broken", checked, figures)
	}
}
