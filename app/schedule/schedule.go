// Package schedule learns each job's schedule from its runs, says when a run is
// expected, and creates Missed runs for expected runs that never came (a source of
// runs like any other: after creating them it calls ingest.RunsCreated).
//
// A schedule lives in jobs.learned_schedule (what Learn found) and jobs.manual_schedule
// (what an admin set) as the JSON form of Schedule. All times of day are wall-clock
// times in the UI timezone; instants are resolved per date, so a 22:00 job is expected
// at 22:00 local on both sides of a DST change. The SQL functions of migration
// 0004_schedule mirror this package's rules so set-based queries and Go agree.
package schedule

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Schedule kinds.
const (
	KindDaily       = "daily"
	KindWeekly      = "weekly"       // on a set of weekdays
	KindMonthlyDays = "monthly_days" // on days of the month
	KindMonthlyNth  = "monthly_nth"  // on the nth (or last) weekday of the month
	KindIrregular   = "irregular"    // runs, but on no pattern: never missed
	KindNone        = "none"         // too little history to tell: never missed
)

// LastWeek is the Nth that means "the last such weekday of the month".
const LastWeek = -1

// Schedule is a job's schedule: on which local dates a run is expected, and at what
// local time of day.
type Schedule struct {
	Kind string `json:"kind"`
	// Weekdays are ISO weekdays (1 = Monday … 7 = Sunday), ascending; for weekly.
	Weekdays []int `json:"weekdays,omitempty"`
	// MonthDays are days of the month (1…31), ascending; a day past the month's end
	// means the month's last day. For monthly_days.
	MonthDays []int `json:"month_days,omitempty"`
	// Nth (1…5, or LastWeek) and NthWeekday (ISO) for monthly_nth.
	Nth        int `json:"nth,omitempty"`
	NthWeekday int `json:"nth_weekday,omitempty"`
	// Time is the typical local time of day, "HH:MM".
	Time string `json:"time,omitempty"`
	// Since is the first local date ("YYYY-MM-DD") the schedule applies to; empty means
	// no bound. Learn sets it when the pattern changes, so a new pattern never turns
	// days before it was learned into missed runs.
	Since string `json:"since,omitempty"`
	// Occurrences and Window are the evidence of a learned schedule: how many days
	// with runs Learn saw in how many days it looked at.
	Occurrences int `json:"occurrences,omitempty"`
	Window      int `json:"window,omitempty"`
}

// Expects reports whether the kind expects runs at all (irregular and none never do).
func (s Schedule) Expects() bool {
	switch s.Kind {
	case KindDaily, KindWeekly, KindMonthlyDays, KindMonthlyNth:
		return true
	}
	return false
}

// SamePattern reports whether s and o expect runs on the same dates (time of day,
// since and evidence aside).
func (s Schedule) SamePattern(o Schedule) bool {
	if s.Kind != o.Kind {
		return false
	}
	switch s.Kind {
	case KindWeekly:
		return slices.Equal(s.Weekdays, o.Weekdays)
	case KindMonthlyDays:
		return slices.Equal(s.MonthDays, o.MonthDays)
	case KindMonthlyNth:
		return s.Nth == o.Nth && s.NthWeekday == o.NthWeekday
	}
	return true
}

var weekdayNames = [...]string{"", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
var weekdayLongNames = [...]string{"", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}

// Describe says the schedule in words, e.g. "Weekly: Mon, Wed, Fri at 22:00".
func (s Schedule) Describe() string {
	at := ""
	if s.Time != "" {
		at = " at " + s.Time
	}
	switch s.Kind {
	case KindDaily:
		return "Daily" + at
	case KindWeekly:
		names := make([]string, 0, len(s.Weekdays))
		for _, d := range s.Weekdays {
			if d >= 1 && d <= 7 {
				names = append(names, weekdayNames[d])
			}
		}
		return "Weekly: " + strings.Join(names, ", ") + at
	case KindMonthlyDays:
		days := make([]string, 0, len(s.MonthDays))
		for _, d := range s.MonthDays {
			days = append(days, ordinal(d))
		}
		return "Monthly: " + strings.Join(days, ", ") + at
	case KindMonthlyNth:
		nth := "last"
		if s.Nth != LastWeek {
			nth = ordinal(s.Nth)
		}
		day := "?"
		if s.NthWeekday >= 1 && s.NthWeekday <= 7 {
			day = weekdayLongNames[s.NthWeekday]
		}
		return "Monthly: " + nth + " " + day + at
	case KindIrregular:
		return "Irregular"
	}
	return "No schedule learned"
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}

// Validate checks a schedule before it is stored (an admin's, or an imported one).
func (s Schedule) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch s.Kind {
	case KindDaily:
	case KindWeekly:
		if len(s.Weekdays) == 0 {
			bad("choose at least one weekday")
		}
		if !ascendingIn(s.Weekdays, 1, 7) {
			bad("weekdays must be distinct ISO weekdays 1 (Mon) to 7 (Sun), ascending")
		}
	case KindMonthlyDays:
		if len(s.MonthDays) == 0 {
			bad("choose at least one day of the month")
		}
		if !ascendingIn(s.MonthDays, 1, 31) {
			bad("days of the month must be distinct days 1 to 31, ascending")
		}
	case KindMonthlyNth:
		if s.Nth != LastWeek && (s.Nth < 1 || s.Nth > 5) {
			bad("nth must be 1 to 5, or -1 for the last")
		}
		if s.NthWeekday < 1 || s.NthWeekday > 7 {
			bad("the weekday must be 1 (Mon) to 7 (Sun)")
		}
	case KindIrregular, KindNone:
	default:
		bad("unknown schedule kind %q", s.Kind)
	}
	if s.Expects() || s.Time != "" {
		if _, _, err := parseClock(s.Time); err != nil {
			bad("time of day: %v", err)
		}
	}
	if s.Since != "" {
		if _, err := ParseDate(s.Since); err != nil {
			bad("since: %v", err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("schedule: invalid %s schedule: %w", s.Kind, err)
	}
	return nil
}

func ascendingIn(xs []int, lo, hi int) bool {
	for i, x := range xs {
		if x < lo || x > hi || (i > 0 && x <= xs[i-1]) {
			return false
		}
	}
	return true
}

// parseClock parses "HH:MM" (00:00 … 23:59).
func parseClock(s string) (h, m int, err error) {
	if len(s) != 5 || s[2] != ':' {
		return 0, 0, fmt.Errorf("%q is not HH:MM", s)
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	return h, m, nil
}

func formatClock(minutes int) string {
	return fmt.Sprintf("%02d:%02d", minutes/60, minutes%60)
}

// RunsOn reports whether the schedule expects a run on local date d (Since included;
// compared as text, as ISO dates sort as dates, and as the SQL does).
func (s Schedule) RunsOn(d Date) bool {
	if s.Since != "" && d.String() < s.Since {
		return false
	}
	return s.matches(d.ISOWeekday(), d.Day, d.MonthLastDay())
}

// matches is RunsOn without Since, on a date given as ISO weekday, day of month and
// the month's last day (the learner precomputes those).
func (s Schedule) matches(wd, dom, last int) bool {
	switch s.Kind {
	case KindDaily:
		return true
	case KindWeekly:
		return slices.Contains(s.Weekdays, wd)
	case KindMonthlyDays:
		for _, md := range s.MonthDays {
			if min(md, last) == dom {
				return true
			}
		}
		return false
	case KindMonthlyNth:
		if wd != s.NthWeekday {
			return false
		}
		if s.Nth == LastWeek {
			return dom+7 > last
		}
		return (dom-1)/7+1 == s.Nth
	}
	return false
}

// ExpectedAt returns the instant a run is expected on local date d in loc, and false
// when the schedule expects none that day. The time of day is a wall-clock time, so a
// 22:00 run is expected at 22:00 local on both sides of a DST change; see LocalInstant
// for the times a DST change skips or repeats. The SQL function schedule_expected_at
// gives the same instant (tested).
func (s Schedule) ExpectedAt(d Date, loc *time.Location) (time.Time, bool) {
	if !s.Expects() || !s.RunsOn(d) {
		return time.Time{}, false
	}
	h, m, err := parseClock(s.Time)
	if err != nil {
		return time.Time{}, false
	}
	return LocalInstant(d, h, m, loc), true
}

// LocalInstant resolves the wall-clock time h:m on local date d in loc to an instant,
// with explicit rules where a DST change makes that ambiguous (Go's time.Date leaves
// the choice open, and PostgreSQL's AT TIME ZONE decides otherwise, so both sides use
// this rule; SQL: schedule_local_instant):
//   - a time the spring-forward change skips (02:30 in Europe/Amsterdam on the last
//     Sunday of March) is expected at the first valid instant after the gap, the
//     change itself (03:00 local), as schedulers such as Windows Task Scheduler and
//     cron run such a job right after the change;
//   - a time the fall-back change repeats is expected at its first occurrence (02:30
//     summer time, not 02:30 winter time), when such a job first runs.
//
// The offsets before and after a change are read one day either side, so this
// assumes one change at most within two days, which holds for every zone in use.
func LocalInstant(d Date, h, m int, loc *time.Location) time.Time {
	naive := time.Date(d.Year, d.Month, d.Day, h, m, 0, 0, time.UTC)
	_, offBefore := naive.Add(-24 * time.Hour).In(loc).Zone()
	_, offAfter := naive.Add(24 * time.Hour).In(loc).Zone()
	c1 := naive.Add(-time.Duration(offBefore) * time.Second)
	c2 := naive.Add(-time.Duration(offAfter) * time.Second)
	valid := func(c time.Time) bool {
		l := c.In(loc)
		return l.Year() == d.Year && l.Month() == d.Month && l.Day() == d.Day && l.Hour() == h && l.Minute() == m
	}
	v1, v2 := valid(c1), valid(c2)
	switch {
	case v1 && v2:
		if c2.Before(c1) {
			return c2.In(loc)
		}
		return c1.In(loc)
	case v1:
		return c1.In(loc)
	case v2:
		return c2.In(loc)
	}
	// In the gap: the change is the start of the zone period the later candidate is in.
	later := c1
	if c2.After(c1) {
		later = c2
	}
	start, _ := later.In(loc).ZoneBounds()
	return start.In(loc)
}

// Effective returns the schedule that applies to a job: the manual one when locked,
// or when set and nothing was learned (nil or kind none); else the learned one.
// The SQL function schedule_effective is the same rule.
func Effective(learned, manual *Schedule, locked bool) *Schedule {
	switch {
	case locked && manual != nil:
		return manual
	case manual != nil && (learned == nil || learned.Kind == KindNone):
		return manual
	}
	return learned
}

// Date is a calendar date in the UI timezone (no time, no zone).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns t's date in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("schedule: date %q is not YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

func (d Date) utc() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// String formats d as "YYYY-MM-DD" (as in missed runs' external ids).
func (d Date) String() string { return d.utc().Format(time.DateOnly) }

// AddDays returns d moved by n days.
func (d Date) AddDays(n int) Date { return DateOf(d.utc().AddDate(0, 0, n)) }

// Before reports whether d is before o.
func (d Date) Before(o Date) bool { return d.utc().Before(o.utc()) }

// DaysSince returns the number of days from o to d.
func (d Date) DaysSince(o Date) int { return int(d.utc().Sub(o.utc()) / (24 * time.Hour)) }

// ISOWeekday returns 1 (Monday) … 7 (Sunday).
func (d Date) ISOWeekday() int {
	wd := int(d.utc().Weekday())
	if wd == 0 {
		return 7
	}
	return wd
}

// MonthLastDay returns the number of days in d's month.
func (d Date) MonthLastDay() int {
	return time.Date(d.Year, d.Month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
