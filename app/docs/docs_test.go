package docs

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestPages: every file in pages/ is listed in contents.go and renders: a title, a
// summary, headings with ids, no raw HTML and no style attribute (the pages' CSP
// allows none), and previous / next in reading order.
func TestPages(t *testing.T) {
	if err := Err(); err != nil {
		t.Fatal(err)
	}
	pages := Pages()
	if len(pages) < 19 {
		t.Fatalf("%d pages", len(pages))
	}
	seen := map[string]bool{}
	for i, p := range pages {
		if p.Title == "" || p.Summary == "" || len(p.Parts) == 0 {
			t.Errorf("%s: title %q, summary %q, %d parts", p.Path, p.Title, p.Summary, len(p.Parts))
		}
		if seen[p.Path] {
			t.Errorf("%s twice", p.Path)
		}
		seen[p.Path] = true
		ids := map[string]bool{}
		for _, h := range p.Headings {
			if h.ID == "" || ids[h.ID] {
				t.Errorf("%s: heading %q has the id %q, empty or used twice", p.Path, h.Text, h.ID)
			}
			ids[h.ID] = true
		}
		for _, part := range p.Parts {
			for _, bad := range []string{"style=", "<script", "raw HTML", "@widget("} {
				if strings.Contains(part.HTML, bad) {
					t.Errorf("%s: the HTML holds %q", p.Path, bad)
				}
			}
		}
		if (i == 0) != (p.Prev == nil) || (i == len(pages)-1) != (p.Next == nil) {
			t.Errorf("%s: previous %v, next %v", p.Path, p.Prev, p.Next)
		}
		if p.Next != nil && p.Next.Prev != p {
			t.Errorf("%s: its next page's previous is not it", p.Path)
		}
		if got, ok := Lookup(p.Path); !ok || got != p {
			t.Errorf("Lookup(%s) = %v, %v", p.Path, got, ok)
		}
	}
}

// TestBuildRefuses: what would break a page is refused when the documentation is
// built, so that the tests (and not a visitor) meet it.
func TestBuildRefuses(t *testing.T) {
	for _, tc := range []struct{ name, md, want string }{
		{"raw HTML block", "# T\n\nText.\n\n<div>x</div>\n", "raw HTML"},
		{"raw HTML inline", "# T\n\nText <span>x</span>.\n", "raw HTML"},
		{"no title", "Text.\n", "no title"},
		{"two titles", "# T\n\nText.\n\n# U\n", "second level-1"},
		{"no summary", "# T\n\n## H\n", "no first paragraph"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render([]byte(tc.md))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	// A file that contents.go does not list is an error, and so is a listed one missing.
	fsys := fstest.MapFS{}
	for _, sec := range contents {
		for _, p := range sec.pages {
			fsys["pages/"+sec.slug+"/"+p+".md"] = &fstest.MapFile{Data: []byte("# T\n\nText.\n")}
		}
	}
	if s := build(fsys); s.err != nil {
		t.Fatalf("complete set: %v", s.err)
	}
	fsys["pages/mail/stray.md"] = &fstest.MapFile{Data: []byte("# T\n\nText.\n")}
	if s := build(fsys); s.err == nil || !strings.Contains(s.err.Error(), "not listed") {
		t.Fatalf("stray file: %v", s.err)
	}
	delete(fsys, "pages/mail/stray.md")
	delete(fsys, "pages/mail/inbox.md")
	if s := build(fsys); s.err == nil || !strings.Contains(s.err.Error(), "listed in contents.go") {
		t.Fatalf("missing file: %v", s.err)
	}
}

// TestRender: headings get ids (or the one {#id} sets), widgets split the body, tables
// get the app's classes and alignment without a style, links are collected.
func TestRender(t *testing.T) {
	p, err := render([]byte("# Title\n\nThe *summary* line.\n\n## First part {#first}\n\nSee [Inbox](/inbox) and https://example.com.\n\n@widget(entra-redirect-uris)\n\n### Sub part\n\n| a | b |\n|:-:|--:|\n| 1 | 2 |\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "Title" || p.Summary != "The summary line." {
		t.Fatalf("title %q, summary %q", p.Title, p.Summary)
	}
	if len(p.Headings) != 2 || p.Headings[0].ID != "first" || p.Headings[1].ID != "sub-part" || p.Headings[1].Level != 3 {
		t.Fatalf("headings %+v", p.Headings)
	}
	if len(p.Parts) != 3 || p.Parts[1].Widget != "entra-redirect-uris" || !strings.Contains(p.Parts[0].HTML, `<h2 id="first">`) ||
		strings.Contains(p.Parts[0].HTML, "<h1") {
		t.Fatalf("parts %+v", p.Parts)
	}
	if !strings.Contains(p.Parts[2].HTML, `class="table table-sm table-bordered align-middle"`) || !strings.Contains(p.Parts[2].HTML, `align="center"`) {
		t.Fatalf("table %s", p.Parts[2].HTML)
	}
	if strings.Join(p.Links, " ") != "/inbox https://example.com" {
		t.Fatalf("links %q", p.Links)
	}
}
