package reports

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"sync"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/backupchecks/backupchecks/assets"
)

// Document is what a PDF is made of besides the figures.
type Document struct {
	Branding    Branding
	Loc         *time.Location
	GeneratedAt time.Time
	Show        Content
}

// Content says which parts a report shows (the KPIs always).
type Content struct {
	Jobs, Grid, Trend, Failures bool
}

// AllContent shows every part.
var AllContent = Content{Jobs: true, Grid: true, Trend: true, Failures: true}

var fonts struct {
	once          sync.Once
	regular, bold []byte
	err           error
}

func loadFonts() ([]byte, []byte, error) {
	fonts.once.Do(func() {
		fonts.regular, fonts.err = assets.PDFFonts.ReadFile("fonts/DejaVuSans.ttf")
		if fonts.err == nil {
			fonts.bold, fonts.err = assets.PDFFonts.ReadFile("fonts/DejaVuSans-Bold.ttf")
		}
	})
	return fonts.regular, fonts.bold, fonts.err
}

// Page geometry in millimetres (A4).
const (
	margin    = 12.0
	headerH   = 16.0
	footerH   = 10.0
	rowH      = 5.2
	gridRowH  = 4.4
	fontSmall = 7.5
	fontBody  = 8.5
)

type rgb struct{ r, g, b int }

// Status colours, as the app's badges.
var statusColour = map[string]rgb{
	"Success": {25, 135, 84},
	"Warning": {255, 193, 7},
	"Failed":  {220, 53, 69},
	"Missed":  {108, 117, 125},
	"Info":    {13, 202, 240},
	"":        {240, 240, 240},
}

func parseColour(hex string) rgb {
	if len(hex) != 7 || hex[0] != '#' {
		return rgb{31, 95, 168}
	}
	v, err := strconv.ParseUint(hex[1:], 16, 32)
	if err != nil {
		return rgb{31, 95, 168}
	}
	return rgb{int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff)}
}

// pdfWriter draws one report.
type pdfWriter struct {
	pdf    *fpdf.Fpdf
	doc    Document
	rep    *Report
	accent rgb
	logo   bool
}

// WritePDF renders one customer's report as a PDF: DejaVu Sans embedded (any name
// prints), a header with the branding and page numbers on every page, portrait pages
// for the summary, the jobs and the failures, landscape ones for a wide grid.
func WritePDF(w io.Writer, doc Document, rep *Report) error {
	regular, bold, err := loadFonts()
	if err != nil {
		return fmt.Errorf("reports: pdf fonts: %w", err)
	}
	if doc.Loc == nil {
		doc.Loc = time.UTC
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(true)
	pdf.AddUTF8FontFromBytes("dejavu", "", regular)
	pdf.AddUTF8FontFromBytes("dejavu", "B", bold)
	pdf.SetMargins(margin, margin+headerH, margin)
	pdf.SetAutoPageBreak(true, margin+footerH)
	pdf.AliasNbPages("{nb}")
	title := "Backup report " + rep.Customer.Name + " " + rep.Range.String()
	pdf.SetTitle(title, true)
	pdf.SetAuthor(doc.Branding.CompanyName, true)
	pdf.SetCreator("Backupchecks", true)
	pdf.SetCreationDate(doc.GeneratedAt)
	pdf.SetModificationDate(doc.GeneratedAt)

	pw := &pdfWriter{pdf: pdf, doc: doc, rep: rep, accent: parseColour(doc.Branding.AccentColor)}
	if len(doc.Branding.Logo) > 0 {
		info := pdf.RegisterImageOptionsReader("logo", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(doc.Branding.Logo))
		pw.logo = info != nil && !pdf.Err()
		if !pw.logo {
			pdf.ClearError() // a logo that cannot be drawn leaves the company name alone
		}
	}
	pdf.SetHeaderFunc(pw.header)
	pdf.SetFooterFunc(pw.footer)

	pdf.AddPage()
	pw.summary()
	if doc.Show.Trend {
		pw.trend()
	}
	if doc.Show.Jobs {
		pw.jobs()
	}
	if doc.Show.Grid && len(rep.Jobs) > 0 {
		pw.grid()
	}
	if doc.Show.Failures {
		pw.failures()
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("reports: pdf: %w", err)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("reports: pdf: %w", err)
	}
	return nil
}

func (p *pdfWriter) width() float64 {
	w, _ := p.pdf.GetPageSize()
	return w - 2*margin
}

func (p *pdfWriter) bottom() float64 {
	_, h := p.pdf.GetPageSize()
	return h - margin - footerH
}

func (p *pdfWriter) header() {
	pdf := p.pdf
	x := margin
	if p.logo {
		pdf.ImageOptions("logo", margin, margin-2, 0, 10, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
		if info := pdf.GetImageInfo("logo"); info != nil && info.Height() > 0 {
			x += 10*info.Width()/info.Height() + 3
		}
	}
	pdf.SetFont("dejavu", "B", 10)
	pdf.SetTextColor(33, 37, 41)
	pdf.SetXY(x, margin)
	name := p.doc.Branding.CompanyName
	if name == "" {
		name = "Backup report"
	}
	pdf.CellFormat(90, 6, fit(pdf, name, 90), "", 0, "L", false, 0, "")
	pdf.SetFont("dejavu", "", fontBody)
	right := p.rep.Customer.Name + " · " + p.rep.Range.String()
	pdf.SetXY(margin, margin)
	pdf.CellFormat(p.width(), 6, fit(pdf, right, p.width()-100), "", 0, "R", false, 0, "")
	pdf.SetDrawColor(p.accent.r, p.accent.g, p.accent.b)
	pdf.SetLineWidth(0.6)
	pdf.Line(margin, margin+headerH-5, margin+p.width(), margin+headerH-5)
	pdf.SetLineWidth(0.2)
	pdf.SetXY(margin, margin+headerH)
}

func (p *pdfWriter) footer() {
	pdf := p.pdf
	_, h := pdf.GetPageSize()
	pdf.SetXY(margin, h-margin-4)
	pdf.SetFont("dejavu", "", fontSmall)
	pdf.SetTextColor(108, 117, 125)
	left := p.doc.Branding.FooterText
	if left == "" {
		left = "Generated " + p.doc.GeneratedAt.In(p.doc.Loc).Format("2006-01-02 15:04")
	}
	pdf.CellFormat(p.width()-40, 4, fit(pdf, left, p.width()-45), "", 0, "L", false, 0, "")
	pdf.CellFormat(40, 4, fmt.Sprintf("Page %d of {nb}", pdf.PageNo()), "", 0, "R", false, 0, "")
	pdf.SetTextColor(33, 37, 41)
}

// heading starts a section, on a new page when less than need mm are left.
func (p *pdfWriter) heading(text string, need float64) {
	pdf := p.pdf
	if pdf.GetY()+need > p.bottom() {
		pdf.AddPage()
	}
	pdf.Ln(3)
	pdf.SetFont("dejavu", "B", 11)
	pdf.SetTextColor(p.accent.r, p.accent.g, p.accent.b)
	pdf.CellFormat(0, 7, text, "", 1, "L", false, 0, "")
	pdf.SetTextColor(33, 37, 41)
	pdf.SetFont("dejavu", "", fontBody)
}

func (p *pdfWriter) summary() {
	pdf, rep := p.pdf, p.rep
	pdf.SetFont("dejavu", "B", 16)
	pdf.CellFormat(0, 9, fit(pdf, rep.Customer.Name, p.width()), "", 1, "L", false, 0, "")
	pdf.SetFont("dejavu", "", 10)
	pdf.CellFormat(0, 6, fmt.Sprintf("Backup report · %s · %s (%d days)", PeriodLabel(rep.Range.Kind), rep.Range.String(), rep.Range.Days()),
		"", 1, "L", false, 0, "")
	pdf.Ln(3)
	k := rep.KPI
	rate := "—"
	if r := k.SuccessRate(); r >= 0 {
		rate = formatRate(r)
	}
	success := strconv.Itoa(k.Successful)
	tiles := []struct {
		label, value, note string
		colour             rgb
	}{
		{"Runs", strconv.Itoa(k.Runs), fmt.Sprintf("%d jobs", len(rep.Jobs)), rgb{33, 37, 41}},
		{"Successful", success, overrideNote(k.Overridden), statusColour["Success"]},
		{"Warnings", strconv.Itoa(k.Warnings), "", rgb{176, 128, 0}},
		{"Failed", strconv.Itoa(k.Failed), "", statusColour["Failed"]},
		{"Missed", strconv.Itoa(k.Missed), "", statusColour["Missed"]},
		{"Success rate", rate, "", p.accent},
	}
	gap := 3.0
	tw := (p.width() - gap*float64(len(tiles)-1)) / float64(len(tiles))
	y := pdf.GetY()
	for i, t := range tiles {
		x := margin + float64(i)*(tw+gap)
		pdf.SetDrawColor(222, 226, 230)
		pdf.SetFillColor(248, 249, 250)
		pdf.Rect(x, y, tw, 20, "FD")
		pdf.SetFillColor(t.colour.r, t.colour.g, t.colour.b)
		pdf.Rect(x, y, 1.2, 20, "F")
		pdf.SetXY(x+3, y+2)
		pdf.SetFont("dejavu", "", fontSmall)
		pdf.SetTextColor(108, 117, 125)
		pdf.CellFormat(tw-4, 4, t.label, "", 0, "L", false, 0, "")
		pdf.SetXY(x+3, y+7)
		pdf.SetFont("dejavu", "B", 14)
		pdf.SetTextColor(t.colour.r, t.colour.g, t.colour.b)
		pdf.CellFormat(tw-4, 7, t.value, "", 0, "L", false, 0, "")
		if t.note != "" {
			pdf.SetXY(x+3, y+14.5)
			pdf.SetFont("dejavu", "", 6.5)
			pdf.SetTextColor(108, 117, 125)
			pdf.CellFormat(tw-4, 4, fit(pdf, t.note, tw-4), "", 0, "L", false, 0, "")
		}
	}
	pdf.SetTextColor(33, 37, 41)
	pdf.SetXY(margin, y+23)
	if k.Overridden > 0 {
		pdf.SetFont("dejavu", "", fontSmall)
		pdf.MultiCell(0, 4, fmt.Sprintf("* %d runs count as successful because an override or an operator marked them so; "+
			"they are marked with a dot in the grid.", k.Overridden), "", "L", false)
	}
}

func overrideNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("incl. %d overridden *", n)
}

func formatRate(r float64) string {
	if r >= 99.95 && r < 100 {
		return "99.9%" // never round a failure away
	}
	return strconv.FormatFloat(r, 'f', 1, 64) + "%"
}

// trend draws the daily success rate as a line over a 0–100% grid, with fpdf's
// primitives: days without rated runs leave a gap.
func (p *pdfWriter) trend() {
	pdf, rep := p.pdf, p.rep
	const h = 45.0
	p.heading("Daily success rate", h+12)
	x0, y0 := margin+10, pdf.GetY()+2
	w := p.width() - 12
	pdf.SetFont("dejavu", "", 6.5)
	pdf.SetTextColor(108, 117, 125)
	pdf.SetDrawColor(222, 226, 230)
	for _, pct := range []float64{0, 25, 50, 75, 100} {
		y := y0 + h - h*pct/100
		pdf.Line(x0, y, x0+w, y)
		pdf.SetXY(margin-2, y-2)
		pdf.CellFormat(11, 4, fmt.Sprintf("%.0f%%", pct), "", 0, "R", false, 0, "")
	}
	n := len(rep.Trend)
	step := w
	if n > 1 {
		step = w / float64(n-1)
	}
	xOf := func(i int) float64 {
		if n == 1 {
			return x0 + w/2
		}
		return x0 + float64(i)*step
	}
	// Day labels, as many as fit without touching (each is 12 mm wide).
	every := 1
	if n > 1 {
		every = max(1, int(math.Ceil(13/step)))
	}
	for i, tp := range rep.Trend {
		if i%every == 0 {
			pdf.SetXY(xOf(i)-6, y0+h+0.5)
			pdf.CellFormat(12, 3.5, fmt.Sprintf("%02d-%02d", int(tp.Day.Month), tp.Day.Day), "", 0, "C", false, 0, "")
		}
	}
	// The line, segment by segment, and a dot per day; an area under each run of days.
	pdf.SetDrawColor(p.accent.r, p.accent.g, p.accent.b)
	pdf.SetFillColor(p.accent.r, p.accent.g, p.accent.b)
	pdf.SetLineWidth(0.5)
	var area []fpdf.PointType
	flush := func() {
		if len(area) > 1 {
			pts := append([]fpdf.PointType{{X: area[0].X, Y: y0 + h}}, area...)
			pts = append(pts, fpdf.PointType{X: area[len(area)-1].X, Y: y0 + h})
			pdf.SetAlpha(0.12, "Normal")
			pdf.Polygon(pts, "F")
			pdf.SetAlpha(1, "Normal")
		}
		area = area[:0]
	}
	prev := -1
	for i, tp := range rep.Trend {
		r := tp.Counts.SuccessRate()
		if r < 0 {
			flush()
			prev = -1
			continue
		}
		x, y := xOf(i), y0+h-h*r/100
		if prev >= 0 {
			pr := rep.Trend[prev].Counts.SuccessRate()
			pdf.Line(xOf(prev), y0+h-h*pr/100, x, y)
		}
		pdf.Circle(x, y, 0.7, "F")
		area = append(area, fpdf.PointType{X: x, Y: y})
		prev = i
	}
	flush()
	pdf.SetLineWidth(0.2)
	pdf.SetTextColor(33, 37, 41)
	pdf.SetXY(margin, y0+h+6)
}

type column struct {
	title string
	width float64
	align string
}

func (p *pdfWriter) tableHeader(cols []column) {
	pdf := p.pdf
	pdf.SetFont("dejavu", "B", fontSmall)
	pdf.SetFillColor(p.accent.r, p.accent.g, p.accent.b)
	pdf.SetTextColor(255, 255, 255)
	for _, c := range cols {
		pdf.CellFormat(c.width, rowH+0.6, c.title, "", 0, c.align, true, 0, "")
	}
	pdf.Ln(-1)
	pdf.SetTextColor(33, 37, 41)
	pdf.SetFont("dejavu", "", fontSmall)
}

func (p *pdfWriter) jobs() {
	pdf, rep := p.pdf, p.rep
	p.heading("Jobs", 3*rowH+12)
	if len(rep.Jobs) == 0 {
		pdf.CellFormat(0, rowH, "No jobs match this report.", "", 1, "L", false, 0, "")
		return
	}
	cols := []column{{"Job", 50, "L"}, {"Software", 32, "L"}, {"Type", 22, "L"}, {"Schedule", 26, "L"},
		{"Runs", 10, "R"}, {"Success", 13, "R"}, {"Last failure", 19, "L"}, {"Tickets", 14, "R"}}
	p.tableHeader(cols)
	for i, j := range rep.Jobs {
		if pdf.GetY()+rowH > p.bottom() {
			pdf.AddPage()
			p.tableHeader(cols)
		}
		fill := i%2 == 1
		pdf.SetFillColor(248, 249, 250)
		rate := "—"
		if r := j.Counts.SuccessRate(); r >= 0 {
			rate = formatRate(r)
		}
		last := "—"
		if j.LastFailure != nil {
			last = j.LastFailure.In(p.doc.Loc).Format("2006-01-02")
		}
		vals := []string{j.Name, j.Software, j.Type, j.Schedule, strconv.Itoa(j.Counts.Runs), rate, last, strconv.Itoa(j.OpenTickets)}
		for k, c := range cols {
			pdf.CellFormat(c.width, rowH, fit(pdf, vals[k], c.width-1), "", 0, c.align, fill, 0, "")
		}
		pdf.Ln(-1)
	}
}

// gridBucket is one column of the grid: a day, or a week when the range is long.
type gridBucket struct {
	label      string
	first, end int // day indexes [first, end)
}

// GridColumns groups the days of a range into the grid's columns: one per day up to
// 62 days, one per week (from the range's first day) beyond, so a quarter or a year
// still fits a page's width.
func GridColumns(days []Day) []gridBucket {
	size := 1
	if len(days) > 62 {
		size = 7
	}
	out := make([]gridBucket, 0, len(days)/size+1)
	for i := 0; i < len(days); i += size {
		b := gridBucket{first: i, end: min(i+size, len(days))}
		if size == 1 {
			b.label = strconv.Itoa(days[i].Day)
		} else {
			b.label = fmt.Sprintf("%02d-%02d", int(days[i].Month), days[i].Day)
		}
		out = append(out, b)
	}
	return out
}

// Merge is the worst cell of a bucket of days.
func (b gridBucket) Merge(cells []Cell) Cell {
	var out Cell
	for _, c := range cells[b.first:b.end] {
		if severity(c.Status) > severity(out.Status) {
			out.Status = c.Status
		}
		out.Runs += c.Runs
		out.Overridden = out.Overridden || c.Overridden
	}
	return out
}

// Label is the column's heading.
func (b gridBucket) Label() string { return b.label }

func severity(status string) int {
	switch status {
	case "Info":
		return 1
	case "Success":
		return 2
	case "Warning":
		return 3
	case "Missed":
		return 4
	case "Failed":
		return 5
	}
	return 0
}

// grid draws the job × day grid on landscape pages when it is wide.
func (p *pdfWriter) grid() {
	pdf, rep := p.pdf, p.rep
	cols := GridColumns(rep.Days)
	if len(cols) > 16 {
		pdf.AddPageFormat("L", pdf.GetPageSizeStr("A4"))
	}
	p.heading("Day × job", 4*gridRowH+16)
	nameW := 58.0
	cw := (p.width() - nameW) / float64(len(cols))
	head := func() {
		pdf.SetFont("dejavu", "B", 6)
		pdf.CellFormat(nameW, gridRowH, "Job", "", 0, "L", false, 0, "")
		for _, c := range cols {
			pdf.CellFormat(cw, gridRowH, c.label, "", 0, "C", false, 0, "")
		}
		pdf.Ln(-1)
		pdf.SetFont("dejavu", "", 6.5)
	}
	head()
	pdf.SetDrawColor(255, 255, 255)
	for _, j := range rep.Jobs {
		if pdf.GetY()+gridRowH > p.bottom()-8 {
			p.legend()
			pdf.AddPageFormat(p.orientation(), pdf.GetPageSizeStr("A4"))
			head()
		}
		y := pdf.GetY()
		pdf.CellFormat(nameW, gridRowH, fit(pdf, j.Name, nameW-1), "", 0, "L", false, 0, "")
		for k, b := range cols {
			c := b.Merge(j.Cells)
			col := statusColour[c.Status]
			pdf.SetFillColor(col.r, col.g, col.b)
			x := margin + nameW + float64(k)*cw
			pdf.Rect(x+0.2, y+0.3, cw-0.4, gridRowH-0.6, "F")
			if c.Overridden {
				pdf.SetFillColor(255, 255, 255)
				pdf.Circle(x+cw/2, y+gridRowH/2, min(0.8, cw/4), "F")
			}
		}
		pdf.SetXY(margin, y+gridRowH)
	}
	p.legend()
}

func (p *pdfWriter) orientation() string {
	w, h := p.pdf.GetPageSize()
	if w > h {
		return "L"
	}
	return "P"
}

func (p *pdfWriter) legend() {
	pdf := p.pdf
	pdf.Ln(2)
	pdf.SetFont("dejavu", "", 6.5)
	x, y := margin, pdf.GetY()
	for _, s := range []string{"Success", "Warning", "Failed", "Missed", "Info", ""} {
		col := statusColour[s]
		pdf.SetFillColor(col.r, col.g, col.b)
		pdf.Rect(x, y+0.8, 3, 2.6, "F")
		label := s
		if s == "" {
			label = "No run"
		}
		pdf.SetXY(x+4, y)
		pdf.CellFormat(18, 4, label, "", 0, "L", false, 0, "")
		x += 22
	}
	pdf.SetXY(x, y)
	pdf.CellFormat(60, 4, "• success by override", "", 1, "L", false, 0, "")
	if len(p.rep.Days) > 62 {
		pdf.CellFormat(0, 4, "Each column is a week (its worst result).", "", 1, "L", false, 0, "")
	}
}

func (p *pdfWriter) failures() {
	pdf, rep := p.pdf, p.rep
	if p.orientation() != "P" {
		pdf.AddPageFormat("P", pdf.GetPageSizeStr("A4"))
	}
	p.heading("Failures and warnings", 3*rowH+12)
	if len(rep.Failures) == 0 {
		pdf.CellFormat(0, rowH, "No failed, missed or warning runs in this period.", "", 1, "L", false, 0, "")
		return
	}
	if rep.FailuresTotal > len(rep.Failures) {
		pdf.CellFormat(0, rowH, fmt.Sprintf("The latest %d of %d; the CSV export lists them all.", len(rep.Failures), rep.FailuresTotal),
			"", 1, "L", false, 0, "")
	}
	cols := []column{{"When", 25, "L"}, {"Job", 38, "L"}, {"Status", 14, "L"}, {"Message", 64, "L"}, {"Tickets / remarks", 45, "L"}}
	p.tableHeader(cols)
	for _, f := range rep.Failures {
		msg := clip(f.Message, 400)
		msgLines := pdf.SplitText(msg, cols[3].width-2)
		// Each ticket and remark on lines of its own, at most six lines in all.
		var noteLines []string
		for _, n := range append(append([]string{}, f.Tickets...), f.Remarks...) {
			noteLines = append(noteLines, pdf.SplitText(clip(n, 200), cols[4].width-2)...)
		}
		if len(noteLines) > 6 {
			noteLines = append(noteLines[:5], "…")
		}
		lines := max(1, len(msgLines), len(noteLines))
		h := float64(lines) * 3.6
		if pdf.GetY()+h > p.bottom() {
			pdf.AddPage()
			p.tableHeader(cols)
		}
		x, y := pdf.GetXY()
		pdf.SetDrawColor(222, 226, 230)
		pdf.Line(margin, y+h+0.6, margin+p.width(), y+h+0.6)
		pdf.CellFormat(cols[0].width, 3.6, f.At.In(p.doc.Loc).Format("2006-01-02 15:04"), "", 0, "L", false, 0, "")
		pdf.CellFormat(cols[1].width, 3.6, fit(pdf, f.JobName, cols[1].width-1), "", 0, "L", false, 0, "")
		col := statusColour[f.Status]
		if f.Status == "Warning" {
			col = rgb{176, 128, 0}
		}
		pdf.SetTextColor(col.r, col.g, col.b)
		pdf.CellFormat(cols[2].width, 3.6, f.Status, "", 0, "L", false, 0, "")
		pdf.SetTextColor(33, 37, 41)
		mx := x + cols[0].width + cols[1].width + cols[2].width
		for i, l := range msgLines {
			pdf.SetXY(mx, y+float64(i)*3.6)
			pdf.CellFormat(cols[3].width, 3.6, l, "", 0, "L", false, 0, "")
		}
		for i, l := range noteLines {
			pdf.SetXY(mx+cols[3].width, y+float64(i)*3.6)
			pdf.CellFormat(cols[4].width, 3.6, l, "", 0, "L", false, 0, "")
		}
		pdf.SetXY(margin, y+h+1.2)
	}
}

// fit shortens s with an ellipsis to at most w mm in the current font.
func fit(pdf *fpdf.Fpdf, s string, w float64) string {
	if pdf.GetStringWidth(s) <= w {
		return s
	}
	r := []rune(s)
	lo, hi := 0, len(r)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if pdf.GetStringWidth(string(r[:mid])+"…") <= w {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return string(r[:lo]) + "…"
}

func clip(s string, n int) string {
	s = oneLine(s)
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
