package reports

import (
	"time"

	"github.com/uptrace/bun/dialect/pgdialect"
)

// scheduleStart is the first day of the schedule's period (ISO week, month or
// quarter) that holds d.
func scheduleStart(schedule string, d Day) Day {
	switch schedule {
	case ScheduleWeekly:
		return d.AddDays(-((int(d.Weekday()) + 6) % 7))
	case ScheduleQuarterly:
		return Day{d.Year, time.Month((int(d.Month)-1)/3*3 + 1), 1}
	default:
		return Day{d.Year, d.Month, 1}
	}
}

// scheduleEnd is the last day of the schedule's period that starts on from.
func scheduleEnd(schedule string, from Day) Day {
	switch schedule {
	case ScheduleWeekly:
		return from.AddDays(6)
	case ScheduleQuarterly:
		return DayOf(from.utc().AddDate(0, 3, -1))
	default:
		return DayOf(from.utc().AddDate(0, 1, -1))
	}
}

// ScheduledRange is the full period of schedule that starts on from.
func ScheduledRange(schedule string, from Day) Range {
	kind := map[string]string{ScheduleWeekly: PeriodLastWeek, ScheduleMonthly: PeriodPreviousMonth,
		ScheduleQuarterly: PeriodLastQuarter}[schedule]
	return Range{Kind: kind, From: from, To: scheduleEnd(schedule, from)}
}

func pgArray(v any) any { return pgdialect.Array(v) }
