package app

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/jobs"
	"github.com/backupchecks/backupchecks/app/schedule"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/app/validation"
	jobsview "github.com/backupchecks/backupchecks/components/jobs"
	"github.com/backupchecks/backupchecks/db"
)

func describe(s *db.Schedule) string {
	if s == nil {
		return "No schedule learned"
	}
	return s.Describe()
}

// scheduleModel builds the job's schedule section.
func scheduleModel(j *jobs.Row) jobsview.ScheduleModel {
	learned, manual := j.LearnedSchedule, j.ManualSchedule
	m := jobsview.ScheduleModel{JobID: j.ID, Learned: describe(learned), Locked: j.ScheduleLocked}
	if manual != nil {
		m.Manual = manual.Describe()
	}
	m.Effective = describe(db.EffectiveSchedule(learned, manual, j.ScheduleLocked))
	if j.Informational {
		m.Effective = "None: informational jobs are never missed"
	}
	m.Disagrees = j.ScheduleLocked && manual != nil && learned != nil && learned.Expects() && !learned.SamePattern(*manual)
	if j.GraceMinutes != nil {
		m.Grace = strconv.Itoa(*j.GraceMinutes)
	}
	return m
}

func (a *App) jobScheduleView(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	j, err := jobs.Get(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, jobsview.ScheduleView(a.view(c), scheduleModel(j)))
}

func (a *App) jobScheduleEdit(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	j, err := jobs.Get(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	f := jobsview.ScheduleForm{JobID: id, Locked: j.ScheduleLocked, Nth: "1", NthWeekday: "1"}
	if j.GraceMinutes != nil {
		f.Grace = strconv.Itoa(*j.GraceMinutes)
	}
	// Start from what is set, else from what was learned.
	s := j.ManualSchedule
	if s == nil {
		s = j.LearnedSchedule
	} else {
		f.Kind = s.Kind
	}
	if s != nil {
		f.Time = s.Time
		for _, w := range s.Weekdays {
			f.Weekdays = append(f.Weekdays, strconv.Itoa(w))
		}
		var days []string
		for _, d := range s.MonthDays {
			days = append(days, strconv.Itoa(d))
		}
		f.MonthDays = strings.Join(days, ", ")
		if s.Nth != 0 {
			f.Nth, f.NthWeekday = strconv.Itoa(s.Nth), strconv.Itoa(s.NthWeekday)
		}
	}
	return a.renderFragment(c, fiber.StatusOK, jobsview.ScheduleEdit(a.view(c), f))
}

func (a *App) jobScheduleSave(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var weekdays []string
	for _, w := range c.Request().PostArgs().PeekMulti("weekdays") {
		weekdays = append(weekdays, string(w))
	}
	in := jobs.ScheduleForm{Kind: c.FormValue("kind"), Weekdays: weekdays, MonthDays: c.FormValue("month_days"),
		Nth: c.FormValue("nth"), NthWeekday: c.FormValue("nth_weekday"), Time: c.FormValue("time"),
		Grace: c.FormValue("grace"), Locked: c.FormValue("locked") == "on"}
	setting, err := jobs.ParseScheduleForm(in)
	if errs, ok := validation.As(err); ok {
		f := jobsview.ScheduleForm{JobID: id, Kind: in.Kind, Weekdays: in.Weekdays, MonthDays: in.MonthDays, Nth: in.Nth,
			NthWeekday: in.NthWeekday, Time: in.Time, Grace: in.Grace, Locked: in.Locked, Errors: errs}
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, jobsview.ScheduleEdit(a.view(c), f))
	}
	if setting.Manual != nil && setting.Manual.Expects() {
		// A schedule set today applies from today: the days before it are not missed.
		setting.Manual.Since = schedule.DateOf(a.now().In(settings.Location(state(c).settings))).String()
	}
	if err := jobs.SetSchedule(c.UserContext(), a.db.Bun, a.actor(c), id, setting); err != nil {
		return err
	}
	j, err := jobs.Get(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, jobsview.ScheduleView(a.view(c), scheduleModel(j)),
		success(fmt.Sprintf("Schedule of %s saved.", j.JobName)))
}
