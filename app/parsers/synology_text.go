package parsers

// Text helpers used by the Synology parsers and by the other non-Veeam vendor
// parsers (NAKIVO, 3CX, QNAP, Acronis, Windows Server Backup, Syncovery). They live
// in a vendor file because each vendor owns its own files in this package.

import (
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
)

// plainMailText is the body a text parser reads: the HTML part reduced to lines
// when there is one (a decoder's own HTML-to-text fallback flattens table rows
// into one line, losing the "Label: value" structure), otherwise the text part.
// Non-breaking spaces become spaces, since several vendors (DSM among them) put
// them between words and labels.
func plainMailText(m *Mail) string {
	if strings.TrimSpace(m.HTML) != "" {
		if t := cachedHTMLText(m.HTML); t != "" {
			return t
		}
	}
	return normaliseSpaces(m.Text)
}

// lastHTMLText remembers the last conversion: the registry asks every parser in
// turn about the same mail, and parsing a large report's HTML once is enough.
var lastHTMLText struct {
	sync.Mutex
	html, text string
}

func cachedHTMLText(src string) string {
	lastHTMLText.Lock()
	if lastHTMLText.html == src {
		t := lastHTMLText.text
		lastHTMLText.Unlock()
		return t
	}
	lastHTMLText.Unlock()
	t := htmlToPlainText(src)
	lastHTMLText.Lock()
	lastHTMLText.html, lastHTMLText.text = src, t
	lastHTMLText.Unlock()
	return t
}

// normaliseSpaces turns the Unicode spaces vendors use into plain spaces and CRLF
// into LF, so one set of patterns covers every mail client's output.
func normaliseSpaces(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch r {
		case '\u00a0', '\u202f', '\u2007', '\u2009':
			return ' '
		case '\r':
			return '\n'
		}
		return r
	}, s)
}

// htmlToPlainText renders HTML as lines: block elements and <br> break lines and
// table cells are joined with " | ", so "Label | value" rows read like fields.
func htmlToPlainText(src string) string {
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		return ""
	}
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
			return
		case html.ElementNode:
			switch n.Data {
			case "script", "style", "head", "title":
				return
			case "br":
				b.WriteByte('\n')
				return
			case "td", "th":
				if hasElementSibling(n) {
					b.WriteString(" | ")
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode {
			switch n.Data {
			case "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "pre", "blockquote":
				b.WriteByte('\n')
			}
		}
	}
	walk(doc)
	lines := strings.Split(normaliseSpaces(b.String()), "\n")
	out := lines[:0]
	for _, l := range lines {
		l = strings.Join(strings.Fields(l), " ")
		l = strings.Trim(l, "| ")
		if l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// hasElementSibling reports whether a cell follows another cell (whitespace text
// nodes sit between cells in most markup).
func hasElementSibling(n *html.Node) bool {
	for p := n.PrevSibling; p != nil; p = p.PrevSibling {
		if p.Type == html.ElementNode {
			return true
		}
	}
	return false
}

// fieldPattern matches a "Label: value" (or "Label | value") line for any of the
// labels, case-insensitively; group 1 is the value.
func fieldPattern(labels ...string) *regexp.Regexp {
	quoted := make([]string, len(labels))
	for i, l := range labels {
		quoted[i] = regexp.QuoteMeta(l)
	}
	return regexp.MustCompile(`(?im)^[ \t]*(?:` + strings.Join(quoted, "|") + `)[ \t]*[:|][ \t:|]*(.*?)[ \t]*$`)
}

// fieldValue returns the first non-empty value of a field pattern in text.
func fieldValue(re *regexp.Regexp, text string) string {
	for _, sm := range re.FindAllStringSubmatch(text, -1) {
		if v := strings.TrimSpace(sm[1]); v != "" {
			return v
		}
	}
	return ""
}

// firstLine is the first non-empty line of s.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(s, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}

// trimName cuts quotes, brackets and trailing punctuation from an extracted name.
func trimName(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimRight(s, ".,;:")
	s = strings.Trim(s, "\"'“”‘’«»[] ")
	return strings.TrimSpace(s)
}

// mailLocation is the zone report times are read in: the sender's zone as the mail
// tells it (Mail.SenderLocation), since backup products write their local times.
func mailLocation(m *Mail) *time.Location { return m.SenderLocation() }

// parseTimeLayouts tries each layout in loc and returns the first that fits.
func parseTimeLayouts(s string, loc *time.Location, layouts ...string) *time.Time {
	s = strings.Join(strings.Fields(s), " ")
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return &t
		}
	}
	return nil
}

// statusTableRow is one row of a per-object result table in an HTML report.
type statusTableRow struct {
	Name, Status, Detail string
}

// htmlStatusTable reads the first table whose header row has a name column and a
// status column (matched by the given header words, case-insensitively) and
// returns its data rows. detailHeaders name an optional error/details column.
func htmlStatusTable(src string, nameHeaders, statusHeaders, detailHeaders []string) []statusTableRow {
	if src == "" {
		return nil
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(src))
	if err != nil {
		return nil
	}
	in := func(cell string, want []string) bool {
		cell = strings.ToLower(strings.TrimSpace(cell))
		for _, w := range want {
			if cell == strings.ToLower(w) {
				return true
			}
		}
		return false
	}
	var rows []statusTableRow
	doc.Find("table").EachWithBreak(func(_ int, table *goquery.Selection) bool {
		nameCol, statusCol, detailCol := -1, -1, -1
		table.Find("tr").EachWithBreak(func(_ int, tr *goquery.Selection) bool {
			cells := tr.ChildrenFiltered("td,th")
			texts := make([]string, cells.Length())
			cells.Each(func(i int, c *goquery.Selection) {
				texts[i] = strings.Join(strings.Fields(normaliseSpaces(c.Text())), " ")
			})
			if nameCol < 0 || statusCol < 0 {
				// Still looking for the header row of this table.
				n, s, d := -1, -1, -1
				for i, t := range texts {
					switch {
					case n < 0 && in(t, nameHeaders):
						n = i
					case s < 0 && in(t, statusHeaders):
						s = i
					case d < 0 && in(t, detailHeaders):
						d = i
					}
				}
				if n >= 0 && s >= 0 {
					nameCol, statusCol, detailCol = n, s, d
				}
				return true
			}
			if len(texts) <= nameCol || len(texts) <= statusCol {
				return true
			}
			row := statusTableRow{Name: texts[nameCol], Status: texts[statusCol]}
			if detailCol >= 0 && detailCol < len(texts) {
				row.Detail = texts[detailCol]
			}
			if row.Name != "" {
				rows = append(rows, row)
			}
			return true
		})
		// Nested layout tables contain the report table too; stop at the first
		// table that had the columns.
		return len(rows) == 0
	})
	return rows
}

// hasLetter reports whether s contains a letter (names made only of digits and
// punctuation are table noise, not objects).
func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// statusWords is a vendor's status vocabulary; of reads the worst status in a text.
type statusWords struct{ failed, warning, success *regexp.Regexp }

// zeroCountRe finds counts of nothing ("0 errors", "0 failed"), which must not
// read as failure words.
var zeroCountRe = regexp.MustCompile(`(?i)(?:^|[^\p{N}.,])0\s+(?:errors?|warnings?|failed|failures?|erreurs?|fouten|Fehler|Warnungen)`)

// of returns Failed, Warning or Success for the worst word found in s, or "".
func (w statusWords) of(s string) string {
	s = zeroCountRe.ReplaceAllString(s, " ")
	switch {
	case w.failed != nil && w.failed.MatchString(s):
		return StatusFailed
	case w.warning != nil && w.warning.MatchString(s):
		return StatusWarning
	case w.success != nil && w.success.MatchString(s):
		return StatusSuccess
	}
	return ""
}
