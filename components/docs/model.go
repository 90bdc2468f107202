// Package docs renders the built-in documentation (the /documentation pages; a Go
// package cannot be called documentation: the go tool ignores files of that package
// name). The pages' text is Markdown rendered by app/docs; the handler copies it into
// these models.
package docs

// Page is one documentation page.
type Page struct {
	Title   string
	Section string
	Path    string
	Parts   []Part    // the body: rendered HTML, with widgets between
	TOC     []Heading // "On this page"
	Prev    *Link
	Next    *Link
	Nav     []NavSection
	Site    Site // what the widgets show of this installation
}

// Part is a piece of a page's body: trusted HTML rendered from the repository's
// Markdown (raw HTML dropped), or the name of a widget.
type Part struct {
	HTML   string
	Widget string
}

// Heading is an entry of the table of contents.
type Heading struct {
	Level int
	ID    string
	Text  string
}

// Link is a page in the navigation; v.CanOpen(Path) says whether the visitor may read it.
type Link struct {
	Title   string
	Path    string
	Current bool
}

// NavSection is a section of the navigation.
type NavSection struct {
	Title string
	Links []Link
}

// Site is what widgets show of this installation: the addresses to register in Entra
// (this site's own, public anyway) and why sign-in cannot work at BASE_URL, if so.
type Site struct {
	RedirectURI string
	LogoutURI   string
	SiteProblem string
}

// Index is the documentation's start page: its sections, or the pages a search found.
type Index struct {
	Query string
	Total int
	Hits  []Hit
	Nav   []NavSection
	// Summaries are the pages' first paragraphs, by path.
	Summaries map[string]string
}

// Hit is a page a search found.
type Hit struct {
	Title   string
	Section string
	Link    string // the page at the heading where the search found it
	Snippet string
}

// Widgets are the widgets a page may name (@widget(name) in its Markdown).
var Widgets = []string{"entra-redirect-uris"}
