package db

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Schedule kinds (Schedule.Kind).
const (
	ScheduleDaily       = "daily"
	ScheduleWeekly      = "weekly"       // on a set of weekdays
	ScheduleMonthlyDays = "monthly_days" // on days of the month
	ScheduleMonthlyNth  = "monthly_nth"  // on the nth (or last) weekday of the month
	ScheduleIrregular   = "irregular"    // runs, but on no pattern: never missed
	ScheduleNone        = "none"         // too little history to tell: never missed
)

// ScheduleLastWeek is the Nth that means "the last such weekday of the month".
const ScheduleLastWeek = -1

// Schedule is a job's schedule as stored in jobs.learned_schedule (what app/schedule
// learned from the runs) and jobs.manual_schedule (what an admin set): on which local
// dates a run is expected, and at what local time of day. Both columns are jsonb; a
// Schedule reads and writes itself (Scan, Value), so a model field of type *Schedule
// is decoded once, here, and NULL is a nil pointer. The SQL functions of migration
// 0004_schedule read the same shape; app/schedule turns it into expected runs.
type Schedule struct {
	Kind string `json:"kind"`
	// Weekdays are ISO weekdays (1 = Monday … 7 = Sunday), ascending; for weekly.
	Weekdays []int `json:"weekdays,omitempty"`
	// MonthDays are days of the month (1…31), ascending; a day past the month's end
	// means the month's last day. For monthly_days.
	MonthDays []int `json:"month_days,omitempty"`
	// Nth (1…5, or ScheduleLastWeek) and NthWeekday (ISO) for monthly_nth.
	Nth        int `json:"nth,omitempty"`
	NthWeekday int `json:"nth_weekday,omitempty"`
	// Time is the typical local time of day, "HH:MM".
	Time string `json:"time,omitempty"`
	// Since is the first local date ("YYYY-MM-DD") the schedule applies to; empty means
	// no bound. Learning sets it when the pattern changes, so a new pattern never turns
	// days before it was learned into missed runs.
	Since string `json:"since,omitempty"`
	// Occurrences and Window are the evidence of a learned schedule: how many days
	// with runs the learner saw in how many days it looked at.
	Occurrences int `json:"occurrences,omitempty"`
	Window      int `json:"window,omitempty"`
}

// Scan reads a schedule from its jsonb column (sql.Scanner). A column that does not
// read as a schedule is an error, not a missing schedule: only this type writes it.
func (s *Schedule) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*s = Schedule{}
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("db: scan schedule from %T", src)
	}
	*s = Schedule{}
	if err := json.Unmarshal(b, s); err != nil {
		return fmt.Errorf("db: scan schedule %.100q: %w", b, err)
	}
	return nil
}

// Value writes a schedule as its JSON text (driver.Valuer); write it with a
// ?::jsonb cast in plain SQL. A nil *Schedule is written as NULL.
func (s Schedule) Value() (driver.Value, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("db: schedule value: %w", err)
	}
	return string(b), nil
}

// Expects reports whether the kind expects runs at all (irregular and none never do).
func (s Schedule) Expects() bool {
	switch s.Kind {
	case ScheduleDaily, ScheduleWeekly, ScheduleMonthlyDays, ScheduleMonthlyNth:
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
	case ScheduleWeekly:
		return slices.Equal(s.Weekdays, o.Weekdays)
	case ScheduleMonthlyDays:
		return slices.Equal(s.MonthDays, o.MonthDays)
	case ScheduleMonthlyNth:
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
	case ScheduleDaily:
		return "Daily" + at
	case ScheduleWeekly:
		names := make([]string, 0, len(s.Weekdays))
		for _, d := range s.Weekdays {
			if d >= 1 && d <= 7 {
				names = append(names, weekdayNames[d])
			}
		}
		return "Weekly: " + strings.Join(names, ", ") + at
	case ScheduleMonthlyDays:
		days := make([]string, 0, len(s.MonthDays))
		for _, d := range s.MonthDays {
			days = append(days, ordinal(d))
		}
		return "Monthly: " + strings.Join(days, ", ") + at
	case ScheduleMonthlyNth:
		nth := "last"
		if s.Nth != ScheduleLastWeek {
			nth = ordinal(s.Nth)
		}
		day := "?"
		if s.NthWeekday >= 1 && s.NthWeekday <= 7 {
			day = weekdayLongNames[s.NthWeekday]
		}
		return "Monthly: " + nth + " " + day + at
	case ScheduleIrregular:
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
// It joins one error per problem, so a form can show each beside its field.
func (s Schedule) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch s.Kind {
	case ScheduleDaily:
	case ScheduleWeekly:
		if len(s.Weekdays) == 0 {
			bad("choose at least one weekday")
		}
		if !ascendingIn(s.Weekdays, 1, 7) {
			bad("weekdays must be distinct ISO weekdays 1 (Mon) to 7 (Sun), ascending")
		}
	case ScheduleMonthlyDays:
		if len(s.MonthDays) == 0 {
			bad("choose at least one day of the month")
		}
		if !ascendingIn(s.MonthDays, 1, 31) {
			bad("days of the month must be distinct days 1 to 31, ascending")
		}
	case ScheduleMonthlyNth:
		if s.Nth != ScheduleLastWeek && (s.Nth < 1 || s.Nth > 5) {
			bad("nth must be 1 to 5, or -1 for the last")
		}
		if s.NthWeekday < 1 || s.NthWeekday > 7 {
			bad("the weekday must be 1 (Mon) to 7 (Sun)")
		}
	case ScheduleIrregular, ScheduleNone:
	default:
		bad("unknown schedule kind %q", s.Kind)
	}
	if s.Expects() || s.Time != "" {
		if _, _, err := ParseClock(s.Time); err != nil {
			bad("time of day: %v", err)
		}
	}
	if s.Since != "" {
		if _, err := time.Parse(time.DateOnly, s.Since); err != nil {
			bad("since: schedule: date %q is not YYYY-MM-DD", s.Since)
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

// ParseClock parses a schedule's time of day "HH:MM" (00:00 … 23:59).
func ParseClock(s string) (h, m int, err error) {
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

// EffectiveSchedule returns the schedule that applies to a job: the manual one when
// locked, or when set and nothing was learned (nil or kind none); else the learned
// one. The SQL function schedule_effective is the same rule.
func EffectiveSchedule(learned, manual *Schedule, locked bool) *Schedule {
	switch {
	case locked && manual != nil:
		return manual
	case manual != nil && (learned == nil || learned.Kind == ScheduleNone):
		return manual
	}
	return learned
}
