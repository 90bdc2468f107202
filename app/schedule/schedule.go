// Package schedule learns each job's schedule from its runs, says when a run is
// expected, and creates Missed runs for expected runs that never came (a source of
// runs like any other: after creating them it calls ingest.RunsCreated).
//
// A schedule is a db.Schedule: it lives in jobs.learned_schedule (what Learn found) and
// jobs.manual_schedule (what an admin set) as typed jsonb that reads and writes itself,
// and it knows its kinds, words (Describe) and validity; this package holds the calendar
// rules that expand it into local dates and instants (ExpectsOn, ExpectedAt). All times
// of day are wall-clock times in the UI timezone; instants are resolved per date, so a
// 22:00 job is expected at 22:00 local on both sides of a DST change. The SQL functions
// of migration 0004_schedule mirror these rules so set-based queries and Go agree.
package schedule

import (
	"fmt"
	"slices"
	"time"

	"github.com/backupchecks/backupchecks/db"
)

func formatClock(minutes int) string {
	return fmt.Sprintf("%02d:%02d", minutes/60, minutes%60)
}

// ExpectsOn reports whether schedule s expects a run on local date d (Since included;
// compared as text, as ISO dates sort as dates, and as the SQL schedule_runs_on does).
func ExpectsOn(s db.Schedule, d Date) bool {
	if s.Since != "" && d.String() < s.Since {
		return false
	}
	return matches(s, d.ISOWeekday(), d.Day, d.MonthLastDay())
}

// matches is ExpectsOn without Since, on a date given as ISO weekday, day of month and
// the month's last day (the learner precomputes those).
func matches(s db.Schedule, wd, dom, last int) bool {
	switch s.Kind {
	case db.ScheduleDaily:
		return true
	case db.ScheduleWeekly:
		return slices.Contains(s.Weekdays, wd)
	case db.ScheduleMonthlyDays:
		for _, md := range s.MonthDays {
			if min(md, last) == dom {
				return true
			}
		}
		return false
	case db.ScheduleMonthlyNth:
		if wd != s.NthWeekday {
			return false
		}
		if s.Nth == db.ScheduleLastWeek {
			return dom+7 > last
		}
		return (dom-1)/7+1 == s.Nth
	}
	return false
}

// ExpectedAt returns the instant schedule s expects a run on local date d in loc, and
// false when it expects none that day. The time of day is a wall-clock time, so a
// 22:00 run is expected at 22:00 local on both sides of a DST change; see LocalInstant
// for the times a DST change skips or repeats. The SQL function schedule_expected_at
// gives the same instant (tested).
func ExpectedAt(s db.Schedule, d Date, loc *time.Location) (time.Time, bool) {
	if !s.Expects() || !ExpectsOn(s, d) {
		return time.Time{}, false
	}
	h, m, err := db.ParseClock(s.Time)
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
