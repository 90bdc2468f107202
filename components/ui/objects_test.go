package ui

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/backupchecks/backupchecks/components/view"
)

func renderDoc(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestObjectsTableKinds(t *testing.T) {
	v := view.Ctx{Location: time.UTC}
	seen := time.Date(2026, 3, 2, 22, 5, 0, 0, time.UTC)
	// Object names and messages come from report mails: hostile input, shown as text.
	rows := []Object{
		{Name: `<script>alert(1)</script>`, Type: "VM", Status: "Failed", Message: `disk "full" <b>`, SeenAt: seen},
		{Name: "vm02", Type: "VM"},
	}
	for _, tc := range []struct {
		kind    ObjectsKind
		class   string
		headers string
		badges  int
		cells   int
	}{
		{ObjectsOfRun, "table table-sm small", "Name|Type|Status|Message", 1, 4},
		{ObjectsLatest, "table table-sm", "Name|Type|Last status|Last message|Last seen", 1, 5},
		{ObjectsParsed, "table table-sm small", "Object|Type|Status|Message", 0, 4},
	} {
		doc := renderDoc(t, ObjectsTable(v, Objects{ID: "objs", Kind: tc.kind, Rows: rows}))
		table := doc.Find("table#objs")
		if class, _ := table.Attr("class"); class != tc.class {
			t.Errorf("kind %d: class %q, want %q", tc.kind, class, tc.class)
		}
		var headers []string
		table.Find("thead th").Each(func(_ int, s *goquery.Selection) { headers = append(headers, s.Text()) })
		if got := strings.Join(headers, "|"); got != tc.headers {
			t.Errorf("kind %d: headers %q, want %q", tc.kind, got, tc.headers)
		}
		first := table.Find("tbody tr").First()
		if n := first.Find("td").Length(); n != tc.cells {
			t.Errorf("kind %d: %d cells, want %d", tc.kind, n, tc.cells)
		}
		if table.Find("tbody tr").Length() != 2 || first.Find("td").First().Text() != rows[0].Name || table.Find("script, b").Length() != 0 {
			t.Errorf("kind %d: rows not shown as text", tc.kind)
		}
		if n := table.Find(".badge." + StatusClass("Failed")).Length(); n != tc.badges {
			t.Errorf("kind %d: %d status badges, want %d", tc.kind, n, tc.badges)
		}
		if tc.kind == ObjectsLatest && first.Find("td").Last().Text() != v.FormatTime(seen) {
			t.Errorf("last seen cell %q", first.Find("td").Last().Text())
		}
	}
}

func TestMailFrame(t *testing.T) {
	doc := renderDoc(t, MailFrame(MailBody{URL: "/inbox/7/body", Text: "ignored"}))
	frame := doc.Find("iframe.mail-body")
	sandbox, ok := frame.Attr("sandbox")
	if src, _ := frame.Attr("src"); src != "/inbox/7/body" || !ok || strings.Contains(sandbox, "allow-scripts") || doc.Find("pre").Length() != 0 {
		t.Fatalf("HTML body: src %q sandbox %q", src, sandbox)
	}
	doc = renderDoc(t, MailFrame(MailBody{Text: "<script>x</script>"}))
	if doc.Find("iframe, script").Length() != 0 || doc.Find("pre.mail-text").Text() != "<script>x</script>" {
		t.Fatal("text body not shown as text")
	}
	if !(MailBody{}).Empty() || (MailBody{Text: "x"}).Empty() || (MailBody{URL: "/x"}).Empty() {
		t.Fatal("Empty")
	}
}

// TestOneObjectsTableAndMailFrame keeps the shared pieces shared: no page template
// outside ui frames a mail or spells an objects table's columns itself.
func TestOneObjectsTableAndMailFrame(t *testing.T) {
	copies := regexp.MustCompile(`<iframe|mail-body|mail-text|<th>(?:Name|Object)</th>\s*<th>Type</th>`)
	n := 0
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".templ") || filepath.Base(filepath.Dir(path)) == "ui" {
			return err
		}
		n++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range copies.FindAllString(string(b), -1) {
			t.Errorf("%s has its own copy (%s): use ui.ObjectsTable or ui.MailFrame", path, m)
		}
		return nil
	})
	if err != nil || n < 10 {
		t.Fatalf("walked %d templates: %v", n, err)
	}
}
