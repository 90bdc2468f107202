// Package reports renders the Reports pages: the saved definitions, their form, and a
// report's HTML preview (the same content as the PDF, with an inline SVG trend chart).
package reports

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/backupchecks/backupchecks/components/ui"
)

// Row is one saved definition in the list.
type Row struct {
	ID           int64
	Name         string
	Customers    string // "All customers" or the names
	Filters      string
	Period       string
	Schedule     string
	LastDelivery *time.Time
}

// Option is a choice of a select.
type Option struct {
	Value, Label string
}

// Form is the definition form.
type Form struct {
	ID           int64 // 0: new
	Name         string
	AllCustomers bool
	CustomerIDs  map[string]bool
	Software     map[string]bool
	Types        map[string]bool
	Period       string
	CustomFrom   string
	CustomTo     string
	ShowJobs     bool
	ShowGrid     bool
	ShowTrend    bool
	ShowFailures bool
	Schedule     string
	Recipients   string
	Errors       map[string]string

	CustomerOptions []Option
	SoftwareOptions []string
	TypeOptions     []string
	PeriodOptions   []Option
	ScheduleOptions []Option
}

// Preview is a report's page: the definition, the customer shown, downloads, history.
type Preview struct {
	ID         int64
	Name       string
	Period     string // label
	RangeText  string
	Schedule   string
	Customers  []Option // in scope
	CustomerID int64
	Position   int // 1-based index of the customer shown
	Empty      string
	// Large: the report is built in the background (a file to download when done).
	Large      bool
	Task       *ui.Task
	Files      []File
	Deliveries []Delivery
	Report     *Report
	JobsPager  ui.Pager
	Show       Show
	Branding   Branding
}

// Show says which parts are shown.
type Show struct{ Jobs, Grid, Trend, Failures bool }

// Branding is the MSP's branding as the preview shows it.
type Branding struct {
	CompanyName string
	HasLogo     bool
	Accent      string // #rrggbb, for SVG attributes
	FooterText  string
}

// File is a generated report kept for download.
type File struct {
	ID        int64
	Filename  string
	Size      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Delivery is one mail of the report's schedule.
type Delivery struct {
	At         time.Time
	Customer   string
	Recipients string
	Period     string
	Channel    string
	Status     string
	Attempts   int
	Error      string
}

// Report is one customer's report content.
type Report struct {
	Customer      string
	KPI           Counts
	JobCount      int
	Jobs          []Job
	Columns       []string // grid column headings (days, or weeks for long ranges)
	WeekColumns   bool
	Trend         []TrendPoint
	Failures      []Failure
	FailuresTotal int
}

// Counts are the KPI figures.
type Counts struct {
	Runs, Successful, Overridden, Warnings, Failed, Missed int
	Rate                                                   string // "95.2%" or "—"
}

// Job is one job's line and grid row.
type Job struct {
	ID          int64
	Name        string
	Software    string
	Type        string
	Schedule    string
	Runs        int
	Rate        string
	LastFailure *time.Time
	OpenTickets int
	Cells       []Cell
}

// Cell is one grid cell.
type Cell struct {
	Status     string
	Runs       int
	Overridden bool
	Title      string
}

// TrendPoint is one day of the trend; Rate < 0 when nothing ran.
type TrendPoint struct {
	Label string
	Rate  float64
}

// Failure is one listed failure.
type Failure struct {
	RunID   int64
	At      time.Time
	Job     string
	Status  string
	Message string
	Notes   []string
}

// cellClass colours a grid cell as the status badges.
func cellClass(c Cell) string {
	if c.Status == "" {
		return "report-cell report-cell-none"
	}
	return "report-cell " + ui.StatusClass(c.Status)
}

// Chart geometry of the trend (SVG user units).
const (
	chartW, chartH       = 720.0, 180.0
	chartLeft, chartTop  = 40.0, 10.0
	chartRight, chartBot = 10.0, 24.0
)

func plotW() float64 { return chartW - chartLeft - chartRight }
func plotH() float64 { return chartH - chartTop - chartBot }

func (r *Report) x(i int) float64 {
	if len(r.Trend) <= 1 {
		return chartLeft + plotW()/2
	}
	return chartLeft + float64(i)*plotW()/float64(len(r.Trend)-1)
}

func yOf(rate float64) float64 { return chartTop + plotH() - plotH()*rate/100 }

func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// trendLines are the polylines of the trend: one per run of days with rated runs.
func (r *Report) trendLines() []string {
	var out []string
	var cur []string
	for i, p := range r.Trend {
		if p.Rate < 0 {
			if len(cur) > 0 {
				out = append(out, strings.Join(cur, " "))
			}
			cur = nil
			continue
		}
		cur = append(cur, num(r.x(i))+","+num(yOf(p.Rate)))
	}
	if len(cur) > 0 {
		out = append(out, strings.Join(cur, " "))
	}
	return out
}

type gridLine struct {
	Y     string
	Label string
}

func gridLines() []gridLine {
	var out []gridLine
	for _, p := range []float64{0, 25, 50, 75, 100} {
		out = append(out, gridLine{Y: num(yOf(p)), Label: fmt.Sprintf("%.0f%%", p)})
	}
	return out
}

type axisLabel struct {
	X     string
	Label string
}

// axisLabels puts a day label about every 60 units.
func (r *Report) axisLabels() []axisLabel {
	n := len(r.Trend)
	if n == 0 {
		return nil
	}
	every := 1
	if n > 1 {
		step := plotW() / float64(n-1)
		every = max(1, int(60/step+0.999))
	}
	var out []axisLabel
	for i := 0; i < n; i += every {
		out = append(out, axisLabel{X: num(r.x(i)), Label: r.Trend[i].Label})
	}
	return out
}

type dot struct {
	X, Y, Title string
}

func (r *Report) dots() []dot {
	var out []dot
	for i, p := range r.Trend {
		if p.Rate >= 0 {
			out = append(out, dot{X: num(r.x(i)), Y: num(yOf(p.Rate)), Title: fmt.Sprintf("%s: %.1f%%", p.Label, p.Rate)})
		}
	}
	return out
}

func viewBox() string { return fmt.Sprintf("0 0 %.0f %.0f", chartW, chartH) }

func itoa(n int) string { return strconv.Itoa(n) }

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
