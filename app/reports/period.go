// Package reports turns years of runs into what a customer reads: saved report
// definitions, their periods, the figures (set-based SQL over job_runs), the HTML
// preview's model, CSV and PDF output, ZIPs for all customers, stored files for large
// reports and scheduled delivery by mail (Microsoft Graph or SMTP).
package reports

import (
	"fmt"
	"time"
)

// Period kinds a definition can name. "To date" periods end yesterday (the last full
// day); "full" periods are the last complete week, month, quarter or year.
const (
	PeriodYesterday      = "yesterday"
	PeriodLast7Days      = "last_7_days"
	PeriodLast14Days     = "last_14_days"
	PeriodLast30Days     = "last_30_days"
	PeriodLast90Days     = "last_90_days"
	PeriodLastWeek       = "last_week"
	PeriodCurrentWeek    = "current_week"
	PeriodPreviousMonth  = "previous_month"
	PeriodCurrentMonth   = "current_month"
	PeriodLastQuarter    = "last_quarter"
	PeriodCurrentQuarter = "current_quarter"
	PeriodPreviousYear   = "previous_year"
	PeriodCurrentYear    = "current_year"
	PeriodCustom         = "custom"
)

// PeriodOption is a period kind with its label, in the order forms show them.
type PeriodOption struct{ Kind, Label string }

// Periods lists every period kind with its label.
var Periods = []PeriodOption{
	{PeriodYesterday, "Yesterday"},
	{PeriodLast7Days, "Last 7 days"},
	{PeriodLast14Days, "Last 14 days"},
	{PeriodLast30Days, "Last 30 days"},
	{PeriodLast90Days, "Last 90 days"},
	{PeriodLastWeek, "Last week (full)"},
	{PeriodCurrentWeek, "Current week (to date)"},
	{PeriodPreviousMonth, "Previous month (full)"},
	{PeriodCurrentMonth, "Current month (to date)"},
	{PeriodLastQuarter, "Last quarter (full)"},
	{PeriodCurrentQuarter, "Current quarter (to date)"},
	{PeriodPreviousYear, "Previous year (full)"},
	{PeriodCurrentYear, "Current year (to date)"},
	{PeriodCustom, "Custom range"},
}

// PeriodLabel is how a period kind is shown.
func PeriodLabel(kind string) string {
	for _, p := range Periods {
		if p.Kind == kind {
			return p.Label
		}
	}
	return kind
}

// Day is a calendar day (no time, no zone).
type Day struct {
	Year  int
	Month time.Month
	Day   int
}

// DayOf is the calendar day of t in its own location.
func DayOf(t time.Time) Day {
	y, m, d := t.Date()
	return Day{y, m, d}
}

// ParseDay reads YYYY-MM-DD.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Day{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
	}
	return DayOf(t), nil
}

func (d Day) utc() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// String is YYYY-MM-DD.
func (d Day) String() string { return d.utc().Format(time.DateOnly) }

// IsZero reports whether d is unset.
func (d Day) IsZero() bool { return d.Year == 0 }

// AddDays is the day n days later (earlier for negative n).
func (d Day) AddDays(n int) Day { return DayOf(d.utc().AddDate(0, 0, n)) }

// Before reports whether d is before o.
func (d Day) Before(o Day) bool { return d.utc().Before(o.utc()) }

// Weekday is d's day of the week.
func (d Day) Weekday() time.Weekday { return d.utc().Weekday() }

// Start is midnight at the start of d in loc: exact across DST changes, since midnight
// exists on every day in the zones that change at night (and time.Date normalises a
// skipped one forward).
func (d Day) Start(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Range is a period as whole calendar days, both ends included.
type Range struct {
	Kind     string
	From, To Day
}

// Start is the first instant of the range in loc.
func (r Range) Start(loc *time.Location) time.Time { return r.From.Start(loc) }

// End is the first instant after the range in loc (exclusive): midnight after To, so a
// day of 23 or 25 hours at a DST change counts exactly.
func (r Range) End(loc *time.Location) time.Time { return r.To.AddDays(1).Start(loc) }

// Days is the number of days in the range.
func (r Range) Days() int {
	if r.To.Before(r.From) {
		return 0
	}
	return int(r.To.utc().Sub(r.From.utc())/(24*time.Hour)) + 1
}

// Empty reports whether the range holds no day: a "to date" period on its own first day.
func (r Range) Empty() bool { return r.To.Before(r.From) }

// EachDay lists the days of the range in order.
func (r Range) EachDay() []Day {
	out := make([]Day, 0, r.Days())
	for d := r.From; !r.To.Before(d); d = d.AddDays(1) {
		out = append(out, d)
	}
	return out
}

// String is how the range is shown: "2026-02-01 – 2026-02-28".
func (r Range) String() string {
	if r.From == r.To {
		return r.From.String()
	}
	return r.From.String() + " – " + r.To.String()
}

// MaxCustomDays bounds a custom range (a grid of years of days helps no reader).
const MaxCustomDays = 366

// PeriodRange is the range of the period kind as seen at now in loc. Weeks start on
// Monday (ISO 8601). For PeriodCustom, from and to are the range (checked); they are
// ignored otherwise. A "to date" period asked on its own first day is Empty.
func PeriodRange(kind string, now time.Time, loc *time.Location, from, to Day) (Range, error) {
	today := DayOf(now.In(loc))
	yesterday := today.AddDays(-1)
	r := Range{Kind: kind, To: yesterday}
	lastDays := func(n int) { r.From = today.AddDays(-n) }
	monday := today.AddDays(-((int(today.Weekday()) + 6) % 7))
	monthStart := Day{today.Year, today.Month, 1}
	quarterStart := Day{today.Year, time.Month((int(today.Month)-1)/3*3 + 1), 1}
	yearStart := Day{today.Year, time.January, 1}
	switch kind {
	case PeriodYesterday:
		r.From = yesterday
	case PeriodLast7Days:
		lastDays(7)
	case PeriodLast14Days:
		lastDays(14)
	case PeriodLast30Days:
		lastDays(30)
	case PeriodLast90Days:
		lastDays(90)
	case PeriodLastWeek:
		r.From, r.To = monday.AddDays(-7), monday.AddDays(-1)
	case PeriodCurrentWeek:
		r.From = monday
	case PeriodPreviousMonth:
		r.To = monthStart.AddDays(-1)
		r.From = Day{r.To.Year, r.To.Month, 1}
	case PeriodCurrentMonth:
		r.From = monthStart
	case PeriodLastQuarter:
		r.To = quarterStart.AddDays(-1)
		r.From = Day{r.To.Year, time.Month((int(r.To.Month)-1)/3*3 + 1), 1}
	case PeriodCurrentQuarter:
		r.From = quarterStart
	case PeriodPreviousYear:
		r.From, r.To = Day{today.Year - 1, time.January, 1}, Day{today.Year - 1, time.December, 31}
	case PeriodCurrentYear:
		r.From = yearStart
	case PeriodCustom:
		if from.IsZero() || to.IsZero() {
			return Range{}, fmt.Errorf("a custom range needs a first and a last day")
		}
		if to.Before(from) {
			return Range{}, fmt.Errorf("the last day %s is before the first day %s", to, from)
		}
		r.From, r.To = from, to
		if r.Days() > MaxCustomDays {
			return Range{}, fmt.Errorf("a custom range covers at most %d days; %s covers %d", MaxCustomDays, r, r.Days())
		}
	default:
		return Range{}, fmt.Errorf("unknown period %q", kind)
	}
	return r, nil
}
