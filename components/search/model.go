// Package search is the global search page: the results of a query grouped by
// section, each group paging on its own.
package search

import "time"

// Model is the search page.
type Model struct {
	Query  string
	Groups []Group
	// Searched: the query had something to search for (a query of only * or blanks
	// has not).
	Searched bool
}

// Group is one section's results.
type Group struct {
	Key     string // element id "search-" + Key
	Title   string
	Total   int
	Page    int
	Pages   int
	Hits    []Hit
	OpenURL string // the section's own page filtered by the query
	PrevURL string // this search with the group one page back ("" on the first)
	NextURL string // and one forward ("" on the last)
	Failed  bool   // the section could not be searched
}

// Hit is one result.
type Hit struct {
	Title    string
	Detail   string
	Link     string
	Dialog   bool // Link opens a dialog over the page
	Status   string
	Note     string
	At       *time.Time
	Expected *time.Time
	Runs     *int
}

// ID is the group's element id.
func (g Group) ID() string { return "search-" + g.Key }
