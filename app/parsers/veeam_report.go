package parsers

import (
	"regexp"
	"strings"
	"sync"
	"unicode"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Every Veeam product (B&R, the agents, Microsoft 365, and vee-mail, which copies
// their template) sends the same HTML report: a title row ("Backup job: NAME" with a
// jobDescription div, then the status), a sessionDetails row with the session date,
// label/value rows (Success 3 | Start time 22:00:05 | Total size …) with the session
// messages beside them, and a table of objects under a header row (Name | Status |
// Start time | … | Details). Mail clients strip the class names when forwarding
// (Gmail does), so veeamReadReport finds these parts by their text and shape and uses
// the classes only where present.

// veeamCell is one td/th of a report row.
type veeamCell struct {
	text  string // all text: lines split at <br> and blocks, spaces collapsed
	own   string // the text outside block children: the title without its jobDescription
	desc  string // the text of block children: the jobDescription
	label bool   // all of the text is bold: a field label such as "Start time"
}

// veeamObjectTable is a header row and the rows under it in the same table.
type veeamObjectTable struct {
	header []string
	rows   [][]veeamCell
}

// veeamReport is what the parsers read from a Veeam HTML report.
type veeamReport struct {
	title       string // "Backup job: Daily VMs (Retry 2)"
	titleDesc   string // "Created by EXAMPLE\admin at …", "Veeam Agent for Linux"
	status      string // the status beside the title, as written ("Error")
	sessionDate string
	fields      map[string]string // lower-case label → value ("start time" → "22:00:05")
	details     []string          // session messages beside the counters
	trailing    []string          // a "Details" block after the objects (vee-mail)
	tables      []veeamObjectTable
	pairs       map[string]string // two-cell rows and "Label: value" lines, lower-case label
	lower       string            // all text, lower case, for product markers
}

// veeamTitleRe and veeamConfigTitleRe recognise the report title; the last group is
// the job name (with any "(Retry N)"), the first of veeamTitleRe the kind of job. The
// configuration backup's title may be the bare job name ("Backup Configuration Job").
var (
	veeamTitleRe       = regexp.MustCompile(`(?i)^(agent backup|endpoint backup|backup copy|backup to tape|file to tape|tape backup|tape|surebackup|replication|backup)\s+job\s*:\s*(.*)$`)
	veeamConfigTitleRe = regexp.MustCompile(`(?i)^(?:configuration backup|backup configuration)(?:\s+job\b|\s*:|\s*$)\s*:?\s*(.*)$`)
	veeamYearRe        = regexp.MustCompile(`(^|[^0-9])[0-9]{4}([^0-9]|$)`)
	veeamClockRe       = regexp.MustCompile(`[0-9]{1,2}:[0-9]{2}`)
)

// veeamCache keeps the last report read: the registry asks every Veeam parser's Match
// and then one Parse about the same mail, and the HTML need only be read once. The
// key is the HTML itself, so a hit is always the same input.
var veeamCache struct {
	sync.Mutex
	html string
	rep  *veeamReport
}

// veeamRead returns the report in m's HTML body (cached). The result is shared:
// callers must not change it.
func veeamRead(m *Mail) *veeamReport {
	veeamCache.Lock()
	if veeamCache.rep != nil && veeamCache.html == m.HTML {
		rep := veeamCache.rep
		veeamCache.Unlock()
		return rep
	}
	veeamCache.Unlock()
	rep := veeamReadReport(m.HTML)
	veeamCache.Lock()
	veeamCache.html, veeamCache.rep = m.HTML, rep
	veeamCache.Unlock()
	return rep
}

// veeamReadReport reads a report; an HTML body that is not one gives a report
// without a title.
func veeamReadReport(body string) *veeamReport {
	rep := &veeamReport{fields: map[string]string{}, pairs: map[string]string{}}
	if strings.TrimSpace(body) == "" {
		return rep
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil || len(doc.Nodes) == 0 {
		return rep
	}
	var w veeamWalker
	w.visit(doc.Nodes[0], nil)
	var all veeamText
	all.node(doc.Nodes[0], false, nil)
	rep.lower = strings.ToLower(all.String())
	for _, line := range strings.Split(all.String(), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && len(k) < 40 && strings.TrimSpace(v) != "" {
			rep.pairs[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	if w.session != nil {
		var t veeamText
		t.node(w.session, false, nil)
		rep.sessionDate = t.firstLine()
	}

	var (
		cur         = -1 // index of the object table being filled
		curTable    *html.Node
		detailsNext bool // the previous row was a lone "Details" heading
	)
	for _, tr := range w.rows {
		if tr.nested {
			continue
		}
		cells := veeamCells(tr.node)
		if len(cells) == 0 {
			continue
		}
		if len(cells) == 2 && cells[0].text != "" {
			rep.pairs[strings.ToLower(strings.TrimRight(cells[0].text, ": "))] = cells[1].text
		}
		if cur >= 0 {
			if tr.table == curTable && len(cells) == len(rep.tables[cur].header) && veeamHeader(cells) == nil {
				rep.tables[cur].rows = append(rep.tables[cur].rows, cells)
				continue
			}
			cur = -1
		}
		if h := veeamHeader(cells); h != nil {
			rep.tables = append(rep.tables, veeamObjectTable{header: h})
			cur, curTable = len(rep.tables)-1, tr.table
			detailsNext = false
			continue
		}
		if rep.title == "" {
			if rep.readTitle(cells) {
				continue
			}
		}
		if len(cells) == 1 {
			t := cells[0].text
			switch {
			case rep.title != "" && rep.sessionDate == "" && veeamYearRe.MatchString(t) && veeamClockRe.MatchString(t):
				rep.sessionDate = cells[0].text
			case strings.EqualFold(t, "Details"):
				detailsNext = true
				continue
			case detailsNext && len(rep.tables) > 0 && t != "":
				rep.trailing = append(rep.trailing, strings.Split(t, "\n")...)
			}
			detailsNext = false
			continue
		}
		detailsNext = false
		if rep.title != "" && len(rep.tables) == 0 {
			rep.readFields(cells)
		}
	}
	return rep
}

// readTitle looks for the title in a row's cells; the status is the next cell.
func (rep *veeamReport) readTitle(cells []veeamCell) bool {
	for i, c := range cells {
		t := c.own
		if t == "" {
			t = c.firstLine()
		}
		if !veeamTitleRe.MatchString(t) && !veeamConfigTitleRe.MatchString(t) {
			continue
		}
		rep.title, rep.titleDesc = t, c.desc
		if i+1 < len(cells) {
			rep.status = cells[i+1].own
			if rep.status == "" {
				rep.status = cells[i+1].firstLine()
			}
		}
		return true
	}
	return false
}

// readFields pairs each bold label with the cell after it; the cells left over
// (the rowspan cell beside the counters) are the session's messages.
func (rep *veeamReport) readFields(cells []veeamCell) {
	labels := 0
	for _, c := range cells {
		if c.label {
			labels++
		}
	}
	if labels == 0 {
		return
	}
	for i := 0; i < len(cells); i++ {
		c := cells[i]
		if c.label && i+1 < len(cells) && !cells[i+1].label {
			key := strings.ToLower(strings.TrimRight(c.text, ": "))
			if _, seen := rep.fields[key]; !seen {
				rep.fields[key] = cells[i+1].firstLine()
			}
			i++
			continue
		}
		if !c.label && c.text != "" {
			rep.details = append(rep.details, strings.Split(c.text, "\n")...)
		}
	}
}

// kind names the title's kind of job: backup, backup copy, replication, surebackup,
// tape, configuration or agent backup; "" without a title.
func (rep *veeamReport) kind() string {
	if m := veeamTitleRe.FindStringSubmatch(rep.title); m != nil {
		switch k := strings.ToLower(m[1]); k {
		case "backup to tape", "file to tape", "tape backup", "tape":
			return "tape"
		case "endpoint backup": // Veeam Endpoint Backup, the Windows agent's former name
			return "agent backup"
		default:
			return k
		}
	}
	if veeamConfigTitleRe.MatchString(rep.title) {
		return "configuration"
	}
	return ""
}

// jobTitle is the job name in the title, "(Retry N)" included; "" if it has none.
func (rep *veeamReport) jobTitle() string {
	if m := veeamTitleRe.FindStringSubmatch(rep.title); m != nil {
		return strings.TrimSpace(m[2])
	}
	if m := veeamConfigTitleRe.FindStringSubmatch(rep.title); m != nil {
		return strings.TrimSpace(m[1])
	}
	return ""
}

// Header words of an object table. A header needs a name column and a status column,
// except the configuration backup's catalog table, which has no status.
var (
	veeamNameHeaders   = map[string]bool{"name": true, "vm name": true, "vm": true, "object": true, "object name": true, "computer": true, "machine": true, "host": true, "server": true, "catalog": true, "mailbox": true, "user": true, "item": true}
	veeamStatusHeaders = map[string]bool{"status": true, "result": true, "state": true}
	veeamDetailHeaders = map[string]bool{"details": true, "detail": true, "error": true, "errors": true, "message": true, "reason": true, "warning": true}
	veeamTypeHeaders   = map[string]bool{"type": true, "object type": true}
)

// veeamHeader returns the lower-case column names when cells are an object table's
// header row, else nil.
func veeamHeader(cells []veeamCell) []string {
	if len(cells) < 2 {
		return nil
	}
	h := make([]string, len(cells))
	var name, status, catalog bool
	for i, c := range cells {
		h[i] = strings.ToLower(strings.TrimRight(c.text, ": "))
		name = name || veeamNameHeaders[h[i]]
		status = status || veeamStatusHeaders[h[i]]
		catalog = catalog || h[i] == "catalog"
	}
	if name && (status || catalog) {
		return h
	}
	return nil
}

// veeamColumns finds the name, status, details and type columns of a header (-1 if
// absent). The first matching column wins: "Name" comes before a "Host" column.
func veeamColumns(header []string) (name, status, details, typ int) {
	name, status, details, typ = -1, -1, -1, -1
	for i, h := range header {
		switch {
		case name < 0 && veeamNameHeaders[h]:
			name = i
		case status < 0 && veeamStatusHeaders[h]:
			status = i
		case details < 0 && veeamDetailHeaders[h]:
			details = i
		case typ < 0 && veeamTypeHeaders[h]:
			typ = i
		}
	}
	return name, status, details, typ
}

// veeamTR is a table row in document order; nested rows hold other tables (layout
// rows) and are skipped.
type veeamTR struct {
	node   *html.Node
	table  *html.Node
	nested bool
}

// veeamWalker collects rows in one pass over the tree, so the work stays linear in
// the size of the mail however deeply its tables nest.
type veeamWalker struct {
	rows    []veeamTR
	session *html.Node // the first element with class sessionDetails
}

func (w *veeamWalker) visit(n *html.Node, table *html.Node) (hasTable bool) {
	row := -1
	if n.Type == html.ElementNode {
		switch n.DataAtom {
		case atom.Table:
			table = n
		case atom.Tr:
			row = len(w.rows)
			w.rows = append(w.rows, veeamTR{node: n, table: table})
		}
		if w.session == nil && veeamHasClass(n, "sessionDetails") {
			w.session = n
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if w.visit(c, table) {
			hasTable = true
		}
	}
	if row >= 0 {
		w.rows[row].nested = hasTable
	}
	return hasTable || (n.Type == html.ElementNode && n.DataAtom == atom.Table)
}

func veeamHasClass(n *html.Node, class string) bool {
	for _, a := range n.Attr {
		if a.Key == "class" {
			for _, c := range strings.Fields(a.Val) {
				if strings.EqualFold(c, class) {
					return true
				}
			}
		}
	}
	return false
}

// veeamCells reads the td/th children of a row.
func veeamCells(tr *html.Node) []veeamCell {
	var cells []veeamCell
	for c := tr.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode || (c.DataAtom != atom.Td && c.DataAtom != atom.Th) {
			continue
		}
		var all, own, desc veeamText
		for k := c.FirstChild; k != nil; k = k.NextSibling {
			part := &own
			if veeamBlock(k) {
				part = &desc
			}
			all.node(k, false, part)
		}
		cells = append(cells, veeamCell{
			text:  all.String(),
			own:   own.firstLine(),
			desc:  desc.String(),
			label: all.chars > 0 && all.bold == all.chars,
		})
	}
	return cells
}

func (c veeamCell) firstLine() string {
	line, _, _ := strings.Cut(c.text, "\n")
	return line
}

// veeamBlock reports whether n starts its own line.
func veeamBlock(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	switch n.DataAtom {
	case atom.Div, atom.P, atom.Table, atom.Tr, atom.Ul, atom.Ol, atom.Li, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Pre, atom.Blockquote:
		return true
	}
	return false
}

// veeamText accumulates the visible text of nodes: runs of white space (NBSP
// included) become one space, <br> and block elements end a line, empty lines go.
type veeamText struct {
	lines []string
	cur   strings.Builder
	space bool
	chars int // visible characters written
	bold  int // of which inside <b>/<strong>
}

// node adds n's text; also, when not nil, receives the same text.
func (t *veeamText) node(n *html.Node, bold bool, also *veeamText) {
	switch n.Type {
	case html.TextNode:
		t.write(n.Data, bold)
		if also != nil {
			also.write(n.Data, bold)
		}
		return
	case html.ElementNode:
		switch n.DataAtom {
		case atom.Script, atom.Style, atom.Head, atom.Title:
			return
		case atom.Br:
			t.newline()
			if also != nil {
				also.newline()
			}
			return
		case atom.B, atom.Strong:
			bold = true
		}
	case html.CommentNode:
		return
	}
	block := veeamBlock(n) || (n.Type == html.ElementNode && (n.DataAtom == atom.Td || n.DataAtom == atom.Th))
	if block {
		t.newline()
		if also != nil {
			also.newline()
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		t.node(c, bold, also)
	}
	if block {
		t.newline()
		if also != nil {
			also.newline()
		}
	}
}

func (t *veeamText) write(s string, bold bool) {
	for _, r := range s {
		if unicode.IsSpace(r) {
			t.space = true
			continue
		}
		if t.space && t.cur.Len() > 0 {
			t.cur.WriteByte(' ')
		}
		t.space = false
		t.cur.WriteRune(r)
		t.chars++
		if bold {
			t.bold++
		}
	}
}

func (t *veeamText) newline() {
	if t.cur.Len() > 0 {
		t.lines = append(t.lines, t.cur.String())
		t.cur.Reset()
	}
	t.space = false
}

// String returns the lines so far, joined by "\n".
func (t *veeamText) String() string {
	t.newline()
	return strings.Join(t.lines, "\n")
}

func (t *veeamText) firstLine() string {
	t.newline()
	if len(t.lines) == 0 {
		return ""
	}
	return t.lines[0]
}
