package reports

import (
	"testing"
	"time"
)

func TestPeriodRange(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	syd, err := time.LoadLocation("Australia/Sydney")
	if err != nil {
		t.Fatal(err)
	}
	at := func(loc *time.Location, s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name     string
		kind     string
		now      time.Time
		loc      *time.Location
		from, to string
		empty    bool
	}{
		{"yesterday", PeriodYesterday, at(ams, "2026-03-10 09:00"), ams, "2026-03-09", "2026-03-09", false},
		// 00:30 in Amsterdam is still the previous day in UTC: the UI zone decides.
		{"yesterday just after local midnight", PeriodYesterday, at(ams, "2026-03-10 00:30"), ams, "2026-03-09", "2026-03-09", false},
		{"yesterday across a year end", PeriodYesterday, at(ams, "2026-01-01 08:00"), ams, "2025-12-31", "2025-12-31", false},
		{"last 7 days", PeriodLast7Days, at(ams, "2026-03-10 09:00"), ams, "2026-03-03", "2026-03-09", false},
		{"last 14 days", PeriodLast14Days, at(ams, "2026-03-10 09:00"), ams, "2026-02-24", "2026-03-09", false},
		{"last 30 days over a leap February", PeriodLast30Days, at(ams, "2024-03-10 09:00"), ams, "2024-02-09", "2024-03-09", false},
		{"last 90 days", PeriodLast90Days, at(ams, "2026-03-10 09:00"), ams, "2025-12-10", "2026-03-09", false},
		// Weeks start on Monday: a Sunday is in the week that began six days earlier.
		{"last week asked on a Monday", PeriodLastWeek, at(ams, "2026-03-09 09:00"), ams, "2026-03-02", "2026-03-08", false},
		{"last week asked on a Sunday", PeriodLastWeek, at(ams, "2026-03-08 22:00"), ams, "2026-02-23", "2026-03-01", false},
		{"last week across a year end", PeriodLastWeek, at(ams, "2026-01-02 09:00"), ams, "2025-12-22", "2025-12-28", false},
		{"current week on a Wednesday", PeriodCurrentWeek, at(ams, "2026-03-11 09:00"), ams, "2026-03-09", "2026-03-10", false},
		{"current week on its Monday is empty", PeriodCurrentWeek, at(ams, "2026-03-09 09:00"), ams, "2026-03-09", "2026-03-08", true},
		{"current week on a Sunday", PeriodCurrentWeek, at(ams, "2026-03-15 09:00"), ams, "2026-03-09", "2026-03-14", false},
		{"previous month of 31 days", PeriodPreviousMonth, at(ams, "2026-02-01 09:00"), ams, "2026-01-01", "2026-01-31", false},
		{"previous month: February of a leap year", PeriodPreviousMonth, at(ams, "2024-03-31 23:59"), ams, "2024-02-01", "2024-02-29", false},
		{"previous month: February of a common year", PeriodPreviousMonth, at(ams, "2025-03-01 00:00"), ams, "2025-02-01", "2025-02-28", false},
		{"previous month across a year end", PeriodPreviousMonth, at(ams, "2026-01-15 09:00"), ams, "2025-12-01", "2025-12-31", false},
		{"current month on the 1st is empty", PeriodCurrentMonth, at(ams, "2026-03-01 09:00"), ams, "2026-03-01", "2026-02-28", true},
		{"current month to date", PeriodCurrentMonth, at(ams, "2026-03-31 09:00"), ams, "2026-03-01", "2026-03-30", false},
		{"last quarter from Q1", PeriodLastQuarter, at(ams, "2026-02-15 09:00"), ams, "2025-10-01", "2025-12-31", false},
		{"last quarter from Q3", PeriodLastQuarter, at(ams, "2026-07-01 09:00"), ams, "2026-04-01", "2026-06-30", false},
		{"current quarter", PeriodCurrentQuarter, at(ams, "2026-05-20 09:00"), ams, "2026-04-01", "2026-05-19", false},
		{"previous year", PeriodPreviousYear, at(ams, "2025-06-01 09:00"), ams, "2024-01-01", "2024-12-31", false},
		{"current year on Jan 2", PeriodCurrentYear, at(ams, "2026-01-02 09:00"), ams, "2026-01-01", "2026-01-01", false},
		// In the southern hemisphere the UI day runs ahead of UTC.
		{"yesterday in Sydney", PeriodYesterday, time.Date(2026, 3, 9, 20, 0, 0, 0, time.UTC), syd, "2026-03-09", "2026-03-09", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := PeriodRange(tc.kind, tc.now, tc.loc, Day{}, Day{})
			if err != nil {
				t.Fatal(err)
			}
			if r.From.String() != tc.from || r.To.String() != tc.to {
				t.Errorf("%s at %s: %s – %s, want %s – %s", tc.kind, tc.now, r.From, r.To, tc.from, tc.to)
			}
			if r.Empty() != tc.empty {
				t.Errorf("Empty() = %v, want %v", r.Empty(), tc.empty)
			}
		})
	}
}

// Instants are exact across DST: March in Amsterdam has a 23-hour day, October a
// 25-hour one, and the range ends at the next local midnight.
func TestRangeInstantsAcrossDST(t *testing.T) {
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	for _, tc := range []struct {
		name       string
		from, to   string
		start, end string // UTC
		hours      float64
	}{
		{"spring forward day", "2026-03-29", "2026-03-29", "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z", 23},
		{"fall back day", "2026-10-25", "2026-10-25", "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z", 25},
		{"March", "2026-03-01", "2026-03-31", "2026-02-28T23:00:00Z", "2026-03-31T22:00:00Z", 31*24 - 1},
		{"October", "2026-10-01", "2026-10-31", "2026-09-30T22:00:00Z", "2026-10-31T23:00:00Z", 31*24 + 1},
		{"leap February", "2024-02-01", "2024-02-29", "2024-01-31T23:00:00Z", "2024-02-29T23:00:00Z", 29 * 24},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from, _ := ParseDay(tc.from)
			to, _ := ParseDay(tc.to)
			r, err := PeriodRange(PeriodCustom, time.Now(), ams, from, to)
			if err != nil {
				t.Fatal(err)
			}
			s, e := r.Start(ams).UTC().Format(time.RFC3339), r.End(ams).UTC().Format(time.RFC3339)
			if s != tc.start || e != tc.end {
				t.Errorf("instants %s – %s, want %s – %s", s, e, tc.start, tc.end)
			}
			if h := r.End(ams).Sub(r.Start(ams)).Hours(); h != tc.hours {
				t.Errorf("%v hours, want %v", h, tc.hours)
			}
			if got := len(r.EachDay()); got != r.Days() {
				t.Errorf("EachDay has %d days, Days() says %d", got, r.Days())
			}
		})
	}
}

func TestCustomRangeChecked(t *testing.T) {
	d := func(s string) Day { v, _ := ParseDay(s); return v }
	for _, tc := range []struct {
		name     string
		from, to Day
		ok       bool
	}{
		{"one day", d("2026-02-28"), d("2026-02-28"), true},
		{"a full year", d("2024-01-01"), d("2024-12-31"), true},
		{"reversed", d("2026-03-02"), d("2026-03-01"), false},
		{"missing end", d("2026-03-02"), Day{}, false},
		{"too long", d("2024-01-01"), d("2025-01-01"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PeriodRange(PeriodCustom, time.Now(), time.UTC, tc.from, tc.to)
			if (err == nil) != tc.ok {
				t.Errorf("err = %v, want ok=%v", err, tc.ok)
			}
		})
	}
	if _, err := PeriodRange("fortnight", time.Now(), time.UTC, Day{}, Day{}); err == nil {
		t.Error("an unknown period was accepted")
	}
	if _, err := ParseDay("2026-02-30"); err == nil {
		t.Error("2026-02-30 was accepted")
	}
}
