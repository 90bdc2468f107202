package schedule_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/schedule"
	"github.com/backupchecks/backupchecks/db"
)

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

var (
	ams = mustLoad("Europe/Amsterdam")
	nyc = mustLoad("America/New_York")
)

func date(y int, m time.Month, d int) schedule.Date { return schedule.Date{Year: y, Month: m, Day: d} }

// at returns h:m local on d (time.Date's choice in a DST gap does not matter here).
func at(d schedule.Date, h, m int, loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, h, m, 0, 0, loc)
}

// history returns one run at h:m local (shifted by jitter(n) minutes for the nth run)
// on every date from first to last for which on is true.
func history(loc *time.Location, first, last schedule.Date, h, m int, on func(schedule.Date) bool, jitter func(int) int) []time.Time {
	var runs []time.Time
	for d := first; !last.Before(d); d = d.AddDays(1) {
		if on != nil && !on(d) {
			continue
		}
		j := 0
		if jitter != nil {
			j = jitter(len(runs))
		}
		runs = append(runs, at(d, h, m, loc).Add(time.Duration(j)*time.Minute))
	}
	return runs
}

func weekdays(days ...int) func(schedule.Date) bool {
	return func(d schedule.Date) bool { return slices.Contains(days, d.ISOWeekday()) }
}

func except(on func(schedule.Date) bool, from, to schedule.Date) func(schedule.Date) bool {
	return func(d schedule.Date) bool {
		if !d.Before(from) && !to.Before(d) {
			return false
		}
		return on == nil || on(d)
	}
}

func nthWeekday(nth, wd int) func(schedule.Date) bool {
	return func(d schedule.Date) bool {
		return schedule.ExpectsOn(db.Schedule{Kind: db.ScheduleMonthlyNth, Nth: nth, NthWeekday: wd}, d)
	}
}

func monthDays(days ...int) func(schedule.Date) bool {
	return func(d schedule.Date) bool {
		return schedule.ExpectsOn(db.Schedule{Kind: db.ScheduleMonthlyDays, MonthDays: days}, d)
	}
}

func cycle(minutes ...int) func(int) int { return func(n int) int { return minutes[n%len(minutes)] } }

func TestLearn(t *testing.T) {
	// "Today" is Monday 30 June 2025, noon; history runs up to yesterday.
	today := date(2025, 6, 30)
	now := at(today, 12, 0, ams)
	yesterday := today.AddDays(-1)
	ago := func(days int) schedule.Date { return today.AddDays(-days) }
	rng := rand.New(rand.NewPCG(5, 5))
	randomDays := map[schedule.Date]bool{}
	for d := ago(120); d.Before(today); d = d.AddDays(1) {
		randomDays[d] = rng.Float64() < 0.35
	}

	for _, tc := range []struct {
		name string
		runs []time.Time
		prev *db.Schedule
		want string
	}{
		{"no runs", nil, nil, "No schedule learned"},
		{"too few runs", history(ams, ago(3), yesterday, 22, 0, nil, nil), nil, "No schedule learned"},
		{"five days is too short for daily", history(ams, ago(5), yesterday, 22, 0, nil, nil), nil, "No schedule learned"},
		{"a week is enough for daily", history(ams, ago(7), yesterday, 22, 0, nil, nil), nil, "Daily at 22:00"},
		{"daily", history(ams, ago(90), yesterday, 22, 0, nil, nil), nil, "Daily at 22:00"},
		{"daily with a run today", history(ams, ago(90), today, 2, 0, nil, nil), nil, "Daily at 02:00"},
		{"daily, a few days failed", history(ams, ago(90), yesterday, 21, 30,
			except(except(nil, ago(40), ago(39)), ago(10), ago(10)), nil), nil, "Daily at 21:30"},
		{"weekdays", history(ams, ago(90), yesterday, 23, 0, weekdays(1, 2, 3, 4, 5), nil), nil,
			"Weekly: Mon, Tue, Wed, Thu, Fri at 23:00"},
		{"weekdays after two weeks", history(ams, ago(14), yesterday, 23, 0, weekdays(1, 2, 3, 4, 5), nil), nil,
			"Weekly: Mon, Tue, Wed, Thu, Fri at 23:00"},
		{"Mon, Wed, Fri", history(ams, ago(60), yesterday, 22, 0, weekdays(1, 3, 5), nil), nil,
			"Weekly: Mon, Wed, Fri at 22:00"},
		{"Mon, Wed, Fri with one extra run", append(history(ams, ago(60), yesterday, 22, 0, weekdays(1, 3, 5), nil),
			at(ago(6), 22, 0, ams)), nil, "Weekly: Mon, Wed, Fri at 22:00"},
		{"Sundays only", history(ams, ago(90), yesterday, 8, 0, weekdays(7), nil), nil, "Weekly: Sun at 08:00"},
		{"monthly 1st and 15th", history(ams, ago(180), yesterday, 3, 0, monthDays(1, 15), nil), nil,
			"Monthly: 1st, 15th at 03:00"},
		{"monthly last day", history(ams, ago(180), yesterday, 23, 0, monthDays(31), nil), nil, "Monthly: 31st at 23:00"},
		{"monthly after three months", history(ams, ago(92), yesterday, 3, 0, monthDays(1), nil), nil, "Monthly: 1st at 03:00"},
		{"2nd Tuesday", history(ams, ago(180), yesterday, 23, 30, nthWeekday(2, 2), nil), nil,
			"Monthly: 2nd Tuesday at 23:30"},
		{"last Friday", history(ams, ago(180), yesterday, 20, 0, nthWeekday(db.ScheduleLastWeek, 5), nil), nil,
			"Monthly: last Friday at 20:00"},
		{"irregular", history(ams, ago(120), yesterday, 14, 0, func(d schedule.Date) bool { return randomDays[d] }, nil), nil,
			"Irregular"},
		{"every other week is irregular", history(ams, ago(90), yesterday, 22, 0,
			func(d schedule.Date) bool { return d.ISOWeekday() == 6 && d.DaysSince(ago(90))/7%2 == 0 }, nil), nil,
			"Irregular"},
		{"jitter of 20 minutes", history(ams, ago(90), yesterday, 22, 0, nil, cycle(-20, 15, -5, 20, 0, -15, 10, 5, -10)), nil,
			"Daily at 22:00"},
		{"around midnight", history(ams, ago(90), yesterday, 0, 0, nil, cycle(-10, -5, 0, 5, 10)), nil,
			"Daily at 00:00"},
		{"just before midnight", history(ams, ago(90), yesterday, 23, 55, nil, cycle(-10, 15, 0, 5, -5)), nil,
			"Daily at 23:55"},
		{"weekly around midnight", history(ams, ago(90), yesterday, 23, 50, weekdays(2, 4), cycle(-10, -5, 0, 5, 10)), nil,
			"Weekly: Tue, Thu at 23:50"},
		{"a week of holidays", history(ams, ago(90), yesterday, 22, 0, except(nil, ago(30), ago(23)), nil), nil,
			"Daily at 22:00"},
		{"holidays in the last weeks", history(ams, ago(90), yesterday, 22, 0, except(nil, ago(17), ago(6)), nil), nil,
			"Daily at 22:00"},
		{"holidays just now", history(ams, ago(90), yesterday, 22, 0, except(nil, ago(9), yesterday), nil), nil,
			"Daily at 22:00"},
		{"weekdays with holidays", history(ams, ago(90), yesterday, 19, 0, except(weekdays(1, 2, 3, 4, 5), ago(26), ago(12)), nil), nil,
			"Weekly: Mon, Tue, Wed, Thu, Fri at 19:00"},
		{"moved to a new time", append(history(ams, ago(90), ago(15), 22, 0, nil, nil), history(ams, ago(14), yesterday, 2, 0, nil, nil)...), nil,
			"Daily at 02:00"},
		{"stopped running: daily stays", history(ams, ago(90), ago(20), 22, 0, nil, nil),
			&db.Schedule{Kind: db.ScheduleDaily, Time: "22:00"}, "Daily at 22:00"},
		{"time kept within 15 minutes", history(ams, ago(90), yesterday, 22, 10, nil, nil),
			&db.Schedule{Kind: db.ScheduleDaily, Time: "22:00"}, "Daily at 22:00"},
		{"time moves beyond 15 minutes", history(ams, ago(90), yesterday, 22, 20, nil, nil),
			&db.Schedule{Kind: db.ScheduleDaily, Time: "22:00"}, "Daily at 22:20"},
		{"daily, Sunday failed in two of the last three weeks", history(ams, ago(90), yesterday, 22, 0,
			except(except(nil, ago(8), ago(8)), ago(15), ago(15)), nil), nil, "Daily at 22:00"},
		{"the same, with a daily schedule learned before", history(ams, ago(90), yesterday, 22, 0,
			except(except(nil, ago(8), ago(8)), ago(15), ago(15)), nil),
			&db.Schedule{Kind: db.ScheduleDaily, Time: "22:00"}, "Daily at 22:00"},
		{"three weeks without runs", history(ams, ago(90), yesterday, 22, 0, except(nil, ago(21), yesterday), nil),
			nil, "Daily at 22:00"},
		{"a wrongly learned weekday set gives way to daily", history(ams, ago(90), yesterday, 22, 0, nil, nil),
			&db.Schedule{Kind: db.ScheduleWeekly, Weekdays: []int{1, 2, 3, 4, 5, 6}, Time: "22:00"}, "Daily at 22:00"},
		{"a monthly schedule stays through a missed month", history(ams, ago(180), yesterday, 3, 0,
			except(monthDays(1), ago(40), ago(20)), nil),
			&db.Schedule{Kind: db.ScheduleMonthlyDays, MonthDays: []int{1}, Time: "03:00"}, "Monthly: 1st at 03:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := schedule.Learn(tc.runs, ams, now, tc.prev)
			if got.Describe() != tc.want {
				t.Fatalf("Learn = %q (%+v), want %q", got.Describe(), got, tc.want)
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("learned schedule invalid: %v", err)
			}
		})
	}
}

// TestLearnScheduleChange learns every day, as Relearn does, from a job that ran
// daily for six weeks and then only on Saturdays: it must go Daily → Weekly once and
// never back.
func TestLearnScheduleChange(t *testing.T) {
	for _, tc := range []struct {
		name      string
		dailyDays int
		after     func(schedule.Date) bool
		want      string
		within    int // days after the change by which want must be learned
	}{
		{"daily for six weeks, then Saturdays", 42, weekdays(6), "Weekly: Sat at 22:00", 21},
		{"daily for a week, then Saturdays", 7, weekdays(6), "Weekly: Sat at 22:00", 21},
		{"daily for six weeks, then weekdays", 42, weekdays(1, 2, 3, 4, 5), "Weekly: Mon, Tue, Wed, Thu, Fri at 22:00", 21},
		{"Saturdays for six weeks, then daily", 0, nil, "Daily at 22:00", 21},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := date(2025, 1, 6) // a Monday
			change := start.AddDays(tc.dailyDays)
			on := func(d schedule.Date) bool {
				if d.Before(change) {
					return true
				}
				return tc.after(d)
			}
			if tc.after == nil { // the reverse: Saturdays first
				change = start.AddDays(42)
				on = func(d schedule.Date) bool { return !d.Before(change) || d.ISOWeekday() == 6 }
			}
			runs := history(ams, start, start.AddDays(200), 22, 0, on, nil)
			var prev *db.Schedule
			var kinds, changes []string
			for day := start.AddDays(1); day.Before(change.AddDays(tc.within + 30)); day = day.AddDays(1) {
				now := at(day, 12, 0, ams)
				var seen []time.Time
				for _, r := range runs {
					if r.Before(now) {
						seen = append(seen, r)
					}
				}
				s := schedule.Learn(seen, ams, now, prev)
				prev = &s
				if len(kinds) == 0 || kinds[len(kinds)-1] != s.Describe() {
					kinds = append(kinds, s.Describe())
					changes = append(changes, fmt.Sprintf("day %+d: %s", day.DaysSince(change), s.Describe()))
				}
				if !day.Before(change.AddDays(tc.within)) && s.Describe() != tc.want {
					t.Fatalf("%s (%d days after the change): learned %q, want %q; so far %q", day, day.DaysSince(change), s.Describe(), tc.want, kinds)
				}
			}
			// Each description at most once: no flapping back and forth.
			for i, k := range kinds {
				if slices.Contains(kinds[:i], k) {
					t.Fatalf("schedule flapped: %q", kinds)
				}
			}
			t.Logf("learned in turn: %q", changes)
		})
	}
}

// TestLearnDST: a job at 22:00 local all year is learned as 22:00 right after each
// DST change, and expected at 22:00 local on both sides of it.
func TestLearnDST(t *testing.T) {
	for _, tc := range []struct {
		loc          *time.Location
		spring, fall schedule.Date
	}{
		{ams, date(2025, 3, 30), date(2025, 10, 26)},
		{nyc, date(2025, 3, 9), date(2025, 11, 2)},
	} {
		for _, change := range []schedule.Date{tc.spring, tc.fall} {
			t.Run(tc.loc.String()+" "+change.String(), func(t *testing.T) {
				runs := history(tc.loc, date(2024, 11, 1), date(2025, 12, 31), 22, 0, nil, nil)
				for _, days := range []int{1, 3, 10, 40} {
					now := at(change.AddDays(days), 12, 0, tc.loc)
					s := schedule.Learn(runs, tc.loc, now, nil)
					if s.Describe() != "Daily at 22:00" {
						t.Fatalf("%d days after the change: learned %q", days, s.Describe())
					}
				}
				s := db.Schedule{Kind: db.ScheduleDaily, Time: "22:00"}
				var offsets []int
				for _, d := range []schedule.Date{change.AddDays(-1), change, change.AddDays(1)} {
					e, ok := schedule.ExpectedAt(s, d, tc.loc)
					if !ok {
						t.Fatalf("not expected on %s", d)
					}
					if l := e.In(tc.loc); l.Hour() != 22 || l.Minute() != 0 || schedule.DateOf(l) != d {
						t.Fatalf("expected on %s at %s, want 22:00 that day", d, l)
					}
					_, off := e.In(tc.loc).Zone()
					offsets = append(offsets, off)
				}
				if offsets[0] == offsets[2] {
					t.Fatalf("the UTC offset did not change across %s: %v", change, offsets)
				}
			})
		}
	}
}

func TestLocalInstantAtDSTChanges(t *testing.T) {
	for _, tc := range []struct {
		name string
		loc  *time.Location
		d    schedule.Date
		h, m int
		want string // UTC
	}{
		{"Amsterdam spring gap 02:30 → 03:00 CEST", ams, date(2025, 3, 30), 2, 30, "2025-03-30T01:00:00Z"},
		{"Amsterdam spring gap 02:00 → 03:00 CEST", ams, date(2025, 3, 30), 2, 0, "2025-03-30T01:00:00Z"},
		{"Amsterdam spring 03:00", ams, date(2025, 3, 30), 3, 0, "2025-03-30T01:00:00Z"},
		{"Amsterdam spring 01:59", ams, date(2025, 3, 30), 1, 59, "2025-03-30T00:59:00Z"},
		{"Amsterdam fall 02:30 first occurrence (CEST)", ams, date(2025, 10, 26), 2, 30, "2025-10-26T00:30:00Z"},
		{"Amsterdam fall 03:00 (CET)", ams, date(2025, 10, 26), 3, 0, "2025-10-26T02:00:00Z"},
		{"New York spring gap 02:30 → 03:00 EDT", nyc, date(2025, 3, 9), 2, 30, "2025-03-09T07:00:00Z"},
		{"New York fall 01:30 first occurrence (EDT)", nyc, date(2025, 11, 2), 1, 30, "2025-11-02T05:30:00Z"},
		{"New York 22:00 on the fall day (EST)", nyc, date(2025, 11, 2), 22, 0, "2025-11-03T03:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := schedule.LocalInstant(tc.d, tc.h, tc.m, tc.loc).UTC().Format(time.RFC3339)
			if got != tc.want {
				t.Fatalf("LocalInstant = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestDescribeAndValidate(t *testing.T) {
	for _, tc := range []struct {
		s       db.Schedule
		want    string
		invalid bool
	}{
		{db.Schedule{Kind: "daily", Time: "22:00"}, "Daily at 22:00", false},
		{db.Schedule{Kind: "weekly", Weekdays: []int{1, 3, 5}, Time: "22:00"}, "Weekly: Mon, Wed, Fri at 22:00", false},
		{db.Schedule{Kind: "monthly_days", MonthDays: []int{1, 15}, Time: "03:00"}, "Monthly: 1st, 15th at 03:00", false},
		{db.Schedule{Kind: "monthly_days", MonthDays: []int{2, 3, 11, 22, 31}, Time: "03:00"}, "Monthly: 2nd, 3rd, 11th, 22nd, 31st at 03:00", false},
		{db.Schedule{Kind: "monthly_nth", Nth: 2, NthWeekday: 2, Time: "23:30"}, "Monthly: 2nd Tuesday at 23:30", false},
		{db.Schedule{Kind: "monthly_nth", Nth: -1, NthWeekday: 5, Time: "20:00"}, "Monthly: last Friday at 20:00", false},
		{db.Schedule{Kind: "irregular"}, "Irregular", false},
		{db.Schedule{Kind: "none"}, "No schedule learned", false},
		{db.Schedule{}, "No schedule learned", true},
		{db.Schedule{Kind: "daily"}, "Daily", true},
		{db.Schedule{Kind: "daily", Time: "24:00"}, "Daily at 24:00", true},
		{db.Schedule{Kind: "weekly", Time: "22:00"}, "Weekly:  at 22:00", true},
		{db.Schedule{Kind: "weekly", Weekdays: []int{3, 1}, Time: "22:00"}, "Weekly: Wed, Mon at 22:00", true},
		{db.Schedule{Kind: "monthly_days", MonthDays: []int{32}, Time: "22:00"}, "Monthly: 32nd at 22:00", true},
		{db.Schedule{Kind: "monthly_nth", Nth: 6, NthWeekday: 1, Time: "22:00"}, "Monthly: 6th Monday at 22:00", true},
		{db.Schedule{Kind: "daily", Time: "22:00", Since: "2025-02-30"}, "Daily at 22:00", true},
	} {
		if got := tc.s.Describe(); got != tc.want {
			t.Errorf("%+v: Describe = %q, want %q", tc.s, got, tc.want)
		}
		if err := tc.s.Validate(); (err != nil) != tc.invalid {
			t.Errorf("%+v: Validate = %v, want invalid %v", tc.s, err, tc.invalid)
		}
	}
}

func TestExpectsOn(t *testing.T) {
	for _, tc := range []struct {
		s    db.Schedule
		d    schedule.Date
		want bool
	}{
		{db.Schedule{Kind: "monthly_days", MonthDays: []int{31}}, date(2025, 2, 28), true},
		{db.Schedule{Kind: "monthly_days", MonthDays: []int{30, 31}}, date(2024, 2, 29), true},
		{db.Schedule{Kind: "monthly_days", MonthDays: []int{31}}, date(2025, 3, 30), false},
		{db.Schedule{Kind: "monthly_nth", Nth: -1, NthWeekday: 5}, date(2025, 5, 30), true},
		{db.Schedule{Kind: "monthly_nth", Nth: 4, NthWeekday: 5}, date(2025, 5, 23), true},
		{db.Schedule{Kind: "monthly_nth", Nth: 4, NthWeekday: 5}, date(2025, 5, 30), false},
		{db.Schedule{Kind: "monthly_nth", Nth: 5, NthWeekday: 5}, date(2025, 5, 30), true},
		{db.Schedule{Kind: "weekly", Weekdays: []int{7}}, date(2025, 6, 29), true},
		{db.Schedule{Kind: "daily", Since: "2025-06-29"}, date(2025, 6, 28), false},
		{db.Schedule{Kind: "daily", Since: "2025-06-29"}, date(2025, 6, 29), true},
		{db.Schedule{Kind: "irregular"}, date(2025, 6, 29), false},
	} {
		if got := schedule.ExpectsOn(tc.s, tc.d); got != tc.want {
			t.Errorf("%+v on %s: %v, want %v", tc.s, tc.d, got, tc.want)
		}
	}
}

func TestEffective(t *testing.T) {
	learned := &db.Schedule{Kind: "daily", Time: "22:00"}
	none := &db.Schedule{Kind: "none"}
	manual := &db.Schedule{Kind: "weekly", Weekdays: []int{1}, Time: "08:00"}
	for _, tc := range []struct {
		learned, manual *db.Schedule
		locked          bool
		want            *db.Schedule
	}{
		{learned, nil, false, learned},
		{learned, manual, false, learned},
		{learned, manual, true, manual},
		{nil, manual, false, manual},
		{none, manual, false, manual},
		{nil, nil, false, nil},
	} {
		if got := db.EffectiveSchedule(tc.learned, tc.manual, tc.locked); got != tc.want {
			t.Errorf("Effective(%v, %v, %v) = %v, want %v", tc.learned, tc.manual, tc.locked, got, tc.want)
		}
	}
}
