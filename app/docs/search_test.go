package docs

import (
	"strings"
	"testing"
)

// TestSearch: the search-box rules over the real pages: case ignored, every term must
// match, a term without * anywhere, * within a word, quoted words as one term, % and
// _ literal; title matches first; the hit links to the heading where the first term is.
func TestSearch(t *testing.T) {
	paths := func(q string) []string {
		_, hits := Search(q, 100, 0)
		var out []string
		for _, h := range hits {
			out = append(out, strings.SplitN(h.Link, "#", 2)[0])
		}
		return out
	}
	for _, tc := range []struct {
		q       string
		first   string // the best hit ("" when none may match)
		has     []string
		hasNot  []string
		atLeast int
	}{
		{q: "run checks", first: "/documentation/checks/run-checks"},
		{q: "RUN CHECKS", first: "/documentation/checks/run-checks"},
		{q: "Mail.ReadWrite", has: []string{"/documentation/mail/import", "/documentation/settings/entra-sso"}},
		{q: "New-ApplicationAccessPolicy", first: "/documentation/mail/import", atLeast: 1},
		{q: "keyboard shortcuts", first: "/documentation/checks/run-checks"},
		{q: "autotask cove", hasNot: []string{"/documentation/mail/parsers"}},
		{q: "Autotask", first: "/documentation/integrations/autotask"},
		{q: `"groups claim"`, first: "/documentation/settings/entra-sso"},
		{q: "sched*", has: []string{"/documentation/checks/daily-jobs"}},
		{q: "*.eml", has: []string{"/documentation/mail/import"}},
		{q: "*", first: ""},
		{q: "zzqqxx", first: ""},
		{q: "restore zzqqxx", first: ""},
		{q: "100%", first: ""},
		{q: "pg_dump", first: "/documentation/operations/backup-restore"},
	} {
		got := paths(tc.q)
		if tc.first == "" && len(tc.has) == 0 && tc.atLeast == 0 && tc.hasNot == nil {
			if len(got) != 0 {
				t.Errorf("%q found %v, want nothing", tc.q, got)
			}
			continue
		}
		if tc.first != "" && (len(got) == 0 || got[0] != tc.first) {
			t.Errorf("%q: first %v, want %s", tc.q, got, tc.first)
		}
		for _, p := range tc.has {
			if !contains(got, p) {
				t.Errorf("%q: %v lacks %s", tc.q, got, p)
			}
		}
		for _, p := range tc.hasNot {
			if contains(got, p) {
				t.Errorf("%q: %v has %s", tc.q, got, p)
			}
		}
		if len(got) < tc.atLeast {
			t.Errorf("%q: %d hits", tc.q, len(got))
		}
	}

	// Every term must match: the hits of two terms are those of both.
	a, b, both := paths("inbox"), paths("override"), paths("inbox override")
	for _, p := range both {
		if !contains(a, p) || !contains(b, p) {
			t.Errorf("%s matches inbox override but not both alone", p)
		}
	}
	for _, p := range a {
		if contains(b, p) && !contains(both, p) {
			t.Errorf("%s matches both terms but not together", p)
		}
	}

	// Paging: the total stays, the pages follow each other.
	total, first := Search("the", 3, 0)
	total2, second := Search("the", 3, 3)
	if total != total2 || total < 10 || len(first) != 3 || len(second) != 3 || first[0].Link == second[0].Link {
		t.Fatalf("paging: %d %d %v %v", total, total2, first, second)
	}
	if n, hits := Search("the", 5, total); n != total || len(hits) != 0 {
		t.Fatalf("past the end: %d %v", n, hits)
	}

	// The hit leads to the heading under which the term is, with the text around it.
	_, hits := Search("application access policy", 1, 0)
	if len(hits) != 1 || hits[0].Link != "/documentation/mail/import#application-access-policy" ||
		!strings.Contains(strings.ToLower(hits[0].Snippet), "application") || hits[0].Section != "Mail" {
		t.Fatalf("hit %+v", hits)
	}

	// SearchIn keeps to the pages it may show.
	_, hits = SearchIn("restore", 100, 0, func(p string) bool { return p == "/documentation/operations/troubleshooting" })
	for _, h := range hits {
		if !strings.HasPrefix(h.Link, "/documentation/operations/troubleshooting") {
			t.Fatalf("SearchIn showed %s", h.Link)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestAround: the snippet is a window of words around the match, marked where cut.
func TestAround(t *testing.T) {
	text := strings.Repeat("word ", 100) + "needle " + strings.Repeat("tail ", 100)
	s := around(text, strings.Index(text, "needle"))
	if !strings.Contains(s, "needle") || !strings.HasPrefix(s, "…") || !strings.HasSuffix(s, "…") || len([]rune(s)) > snippetLen+2 {
		t.Fatalf("snippet %q", s)
	}
	if s := around("short needle here", 6); s != "short needle here" {
		t.Fatalf("short %q", s)
	}
}
