package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// ScheduleForm is the admin's "set schedule" form as submitted.
type ScheduleForm struct {
	Kind       string // "" (none set: use the learned one), daily, weekly, monthly_days, monthly_nth, none
	Weekdays   []string
	MonthDays  string // "1, 15"
	Nth        string // "1".."5" or "-1"
	NthWeekday string // ISO 1..7
	Time       string // HH:MM
	Grace      string // minutes; "" = default
	Locked     bool
}

// ScheduleSetting is what an admin set on a job.
type ScheduleSetting struct {
	Manual       *db.Schedule
	Locked       bool
	GraceMinutes *int
}

// ParseScheduleForm validates the form; field errors name the form fields.
func ParseScheduleForm(f ScheduleForm) (ScheduleSetting, error) {
	errs := validation.Errors{}
	var out ScheduleSetting
	if g := strings.TrimSpace(f.Grace); g != "" {
		n, err := strconv.Atoi(g)
		if err != nil || n < 0 || n > 7*24*60 {
			errs.Add("grace", "enter minutes between 0 and 10080, or leave empty for the default (120)")
		} else {
			out.GraceMinutes = &n
		}
	}
	if f.Kind == "" {
		if f.Locked {
			errs.Add("kind", "choose a schedule to lock")
		}
		return out, errs.Err()
	}
	s := db.Schedule{Kind: f.Kind, Time: strings.TrimSpace(f.Time)}
	switch f.Kind {
	case db.ScheduleWeekly:
		for _, w := range f.Weekdays {
			n, err := strconv.Atoi(w)
			if err != nil {
				errs.Add("weekdays", "pick weekdays from the list")
				break
			}
			s.Weekdays = append(s.Weekdays, n)
		}
	case db.ScheduleMonthlyDays:
		for _, part := range strings.FieldsFunc(f.MonthDays, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
			n, err := strconv.Atoi(part)
			if err != nil {
				errs.Add("month_days", "enter days of the month like 1, 15")
				break
			}
			s.MonthDays = append(s.MonthDays, n)
		}
		slices.Sort(s.MonthDays)
	case db.ScheduleMonthlyNth:
		s.Nth, _ = strconv.Atoi(f.Nth)
		s.NthWeekday, _ = strconv.Atoi(f.NthWeekday)
	case db.ScheduleNone:
		s.Time = ""
	}
	// Every field's problem at once: Validate joins one error per problem.
	if err := s.Validate(); err != nil {
		problems := []error{err}
		for e := err; e != nil; e = errors.Unwrap(e) {
			if joined, ok := e.(interface{ Unwrap() []error }); ok {
				problems = joined.Unwrap()
				break
			}
		}
		for _, p := range problems {
			errs.Add(scheduleField(s.Kind, p.Error()), p.Error())
		}
	}
	out.Manual, out.Locked = &s, f.Locked
	return out, errs.Err()
}

// SetSchedule stores an admin's schedule, lock and grace on a job (audited).
func SetSchedule(ctx context.Context, idb bun.IDB, actor audit.Actor, jobID int64, s ScheduleSetting) error {
	res, err := idb.NewUpdate().Model((*db.Job)(nil)).
		Set("manual_schedule = ?::jsonb", s.Manual).Set("schedule_locked = ?", s.Locked).
		Set("schedule_grace_minutes = ?", s.GraceMinutes).Set("updated_at = now()").
		Where("id = ?", jobID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("jobs: set schedule of %d: %w", jobID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return db.ErrNotFound
	}
	details := map[string]any{"locked": s.Locked, "grace_minutes": s.GraceMinutes}
	if s.Manual != nil {
		details["schedule"] = s.Manual.Describe()
	}
	return audit.Record(ctx, idb, actor, "job.schedule_set", fmt.Sprintf("job:%d", jobID), details)
}

// scheduleField names the form field a Validate message is about.
func scheduleField(kind, msg string) string {
	msg = strings.ToLower(msg)
	switch {
	case strings.Contains(msg, "time"):
		return "time"
	case strings.Contains(msg, "day of the month") || strings.Contains(msg, "days of the month"):
		return "month_days"
	case kind == db.ScheduleMonthlyNth:
		return "nth"
	case strings.Contains(msg, "weekday"):
		return "weekdays"
	}
	return "kind"
}
