// Package docs is the built-in documentation: Markdown pages kept in pages/ (one file
// per page, pages/<section>/<page>.md, served at /documentation/<section>/<page>),
// rendered once with goldmark when first asked for, with their headings (ids for
// anchors and the table of contents), their order (previous / next, from contents.go)
// and a search over their title and text (search.go).
//
// The Markdown is ours, but the rendering keeps the pages' strict CSP anyway: raw
// HTML in a page is dropped, not passed through, and table alignment is an attribute,
// never a style. A paragraph that is only "@widget(name)" marks where the page shows
// something of this installation (components/docs renders it); the app's tests check
// that every widget named exists.
package docs

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

//go:embed pages
var files embed.FS

// Prefix is where the documentation is served.
const Prefix = "/documentation"

// Section is a group of pages, in the order of contents.go.
type Section struct {
	Slug  string
	Title string
	Pages []*Page
}

// Page is one rendered page.
type Page struct {
	Slug         string // "<section>/<page>"
	Path         string // "/documentation/<section>/<page>"
	SectionTitle string
	Title        string // the page's "# " heading
	Summary      string // its first paragraph, as text
	// Parts is the page's body in order: rendered HTML, with the widgets between.
	Parts    []Part
	Headings []Heading // level 2 and 3, for the table of contents
	// Links are the addresses the page links to (for the tests: every one must lead
	// somewhere).
	Links      []string
	Prev, Next *Page

	blocks []block // the text under each heading, for the search
	words  map[string]bool
	lower  string // title and text, lower case
}

// Part is a piece of a page's body: HTML, or the name of a widget.
type Part struct {
	HTML   string
	Widget string
}

// Heading is a heading of a page with its anchor.
type Heading struct {
	Level int
	ID    string
	Text  string
}

// HasAnchor reports whether the page has a heading with id (for links to #id).
func (p *Page) HasAnchor(id string) bool {
	for _, h := range p.Headings {
		if h.ID == id {
			return true
		}
	}
	return false
}

// block is a stretch of a page's text and the heading it is under ("" before the first).
type block struct {
	anchor string
	text   string
}

// site is the documentation, loaded once.
type site struct {
	sections []*Section
	pages    map[string]*Page // by path
	order    []*Page
	err      error
}

var (
	loadOnce sync.Once
	loaded   site
)

func load() *site {
	loadOnce.Do(func() { loaded = build(files) })
	return &loaded
}

// Sections returns the documentation's sections with their pages, in order. It panics
// when the embedded pages are broken, which the package's tests rule out.
func Sections() []*Section { return must().sections }

// Pages returns every page in reading order.
func Pages() []*Page { return must().order }

// Lookup returns the page at path (/documentation/<section>/<page>).
func Lookup(path string) (*Page, bool) {
	p, ok := must().pages[path]
	return p, ok
}

// Err reports what is wrong with the embedded pages, if anything (the tests check it;
// the functions above panic with it).
func Err() error { return load().err }

func must() *site {
	s := load()
	if s.err != nil {
		panic(s.err)
	}
	return s
}

// markdown is the one goldmark setup: GitHub tables, strikethrough and bare links;
// heading ids ({#id} may set one); raw HTML dropped (goldmark's default).
var markdown = goldmark.New(
	goldmark.WithExtensions(
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
		extension.Strikethrough,
		extension.Linkify,
	),
	goldmark.WithParserOptions(
		parser.WithAutoHeadingID(),
		parser.WithAttribute(),
		parser.WithASTTransformers(util.Prioritized(bootstrapClasses{}, 100)),
	),
)

// bootstrapClasses gives tables the app's table classes (the stylesheet styles
// classes, and a style attribute would break the CSP).
type bootstrapClasses struct{}

func (bootstrapClasses) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if t, ok := n.(*extast.Table); ok && entering {
			t.SetAttributeString("class", []byte("table table-sm table-bordered align-middle"))
		}
		return ast.WalkContinue, nil
	})
}

var widgetRE = regexp.MustCompile(`^@widget\(([a-z0-9-]+)\)$`)

// build reads and renders every page listed in contents, and checks that the files
// and the list agree.
func build(fsys fs.FS) site {
	s := site{pages: map[string]*Page{}}
	listed := map[string]bool{}
	for _, sec := range contents {
		section := &Section{Slug: sec.slug, Title: sec.title}
		for _, slug := range sec.pages {
			file := "pages/" + sec.slug + "/" + slug + ".md"
			listed[file] = true
			src, err := fs.ReadFile(fsys, file)
			if err != nil {
				s.err = fmt.Errorf("docs: %s is listed in contents.go: %w", file, err)
				return s
			}
			p, err := render(src)
			if err != nil {
				s.err = fmt.Errorf("docs: %s: %w", file, err)
				return s
			}
			p.Slug = sec.slug + "/" + slug
			p.Path = Prefix + "/" + p.Slug
			p.SectionTitle = sec.title
			if n := len(s.order); n > 0 {
				p.Prev, s.order[n-1].Next = s.order[n-1], p
			}
			s.order = append(s.order, p)
			s.pages[p.Path] = p
			section.Pages = append(section.Pages, p)
		}
		s.sections = append(s.sections, section)
	}
	err := fs.WalkDir(fsys, "pages", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if path.Ext(name) == ".md" && !listed[name] {
			return fmt.Errorf("docs: %s is not listed in contents.go", name)
		}
		return nil
	})
	if err != nil {
		s.err = err
	}
	return s
}

// render turns one Markdown file into a page (without its place in the contents).
func render(src []byte) (*Page, error) {
	doc := markdown.Parser().Parse(text.NewReader(src))
	p := &Page{words: map[string]bool{}}
	var widgets []string
	cur := block{}
	flush := func() {
		if strings.TrimSpace(cur.text) != "" {
			p.blocks = append(p.blocks, block{anchor: cur.anchor, text: strings.Join(strings.Fields(cur.text), " ")})
		}
	}
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		switch n := n.(type) {
		case *ast.Heading:
			txt := plainText(n, src)
			id, _ := n.AttributeString("id")
			idText, _ := id.([]byte)
			switch {
			case n.Level == 1 && p.Title == "":
				p.Title = txt
			case n.Level == 1:
				return nil, fmt.Errorf("a second level-1 heading %q: a page has one title", txt)
			case n.Level <= 3:
				p.Headings = append(p.Headings, Heading{Level: n.Level, ID: string(idText), Text: txt})
			}
			flush()
			cur = block{anchor: string(idText), text: txt + "\n"}
			if n.Level == 1 {
				cur.anchor = ""
			}
			continue
		case *ast.Paragraph:
			txt := plainText(n, src)
			if m := widgetRE.FindStringSubmatch(txt); m != nil {
				widgets = append(widgets, m[1])
				continue
			}
			if p.Summary == "" && p.Title != "" {
				p.Summary = txt
			}
		}
		cur.text += plainText(n, src) + "\n"
	}
	flush()
	if p.Title == "" {
		return nil, fmt.Errorf("no title: a page starts with a level-1 heading")
	}
	if p.Summary == "" {
		return nil, fmt.Errorf("no first paragraph to summarise the page")
	}
	err := ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			p.Links = append(p.Links, string(n.Destination))
		case *ast.AutoLink:
			p.Links = append(p.Links, string(n.URL(src)))
		case *ast.RawHTML, *ast.HTMLBlock:
			return ast.WalkStop, fmt.Errorf("raw HTML in the Markdown: write it as Markdown (the pages' CSP allows no inline HTML)")
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		return nil, err
	}

	var out bytes.Buffer
	if err := markdown.Renderer().Render(&out, src, doc); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	html := out.String()
	if strings.Contains(html, "raw HTML omitted") {
		return nil, fmt.Errorf("raw HTML in the Markdown: write it as Markdown (the pages' CSP allows no inline HTML)")
	}
	// The title is the page's heading, shown by the page template; the body starts after it.
	if i := strings.Index(html, "</h1>\n"); i >= 0 {
		html = html[i+len("</h1>\n"):]
	}
	p.Parts = splitWidgets(html, widgets)

	var all strings.Builder
	all.WriteString(p.Title)
	for _, b := range p.blocks {
		all.WriteString("\n")
		all.WriteString(b.text)
		for _, w := range strings.Fields(b.text) {
			if w = trimWord(w); w != "" {
				p.words[strings.ToLower(w)] = true
			}
		}
	}
	for _, w := range strings.Fields(p.Title) {
		if w = trimWord(w); w != "" {
			p.words[strings.ToLower(w)] = true
		}
	}
	p.lower = strings.ToLower(all.String())
	return p, nil
}

// splitWidgets cuts the rendered body at the widget paragraphs.
func splitWidgets(html string, widgets []string) []Part {
	var parts []Part
	for _, w := range widgets {
		marker := "<p>@widget(" + w + ")</p>\n"
		i := strings.Index(html, marker)
		if i < 0 {
			continue
		}
		if html[:i] != "" {
			parts = append(parts, Part{HTML: html[:i]})
		}
		parts = append(parts, Part{Widget: w})
		html = html[i+len(marker):]
	}
	if html != "" {
		parts = append(parts, Part{HTML: html})
	}
	return parts
}

// Widgets returns the names of the widgets the pages use.
func Widgets() []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range Pages() {
		for _, part := range p.Parts {
			if part.Widget != "" && !seen[part.Widget] {
				seen[part.Widget] = true
				out = append(out, part.Widget)
			}
		}
	}
	return out
}

// plainText is the text of n and everything under it, as a reader sees it.
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Value(src))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.AutoLink:
			b.Write(c.Label(src))
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			lines := c.Lines()
			for i := 0; i < lines.Len(); i++ {
				seg := lines.At(i)
				b.Write(seg.Value(src))
			}
			return ast.WalkSkipChildren, nil
		}
		if c.Kind() != ast.KindText && c.Type() == ast.TypeBlock && c != n {
			b.WriteByte(' ')
		}
		return ast.WalkContinue, nil
	})
	return strings.Join(strings.Fields(b.String()), " ")
}

// trimWord strips the punctuation around a word (a leading dot stays: ".eml").
func trimWord(w string) string {
	w = strings.Trim(w, "()[]{}\"'“”‘’,;:!?`*_")
	return strings.TrimRight(w, ".")
}
