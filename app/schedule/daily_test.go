package schedule_test

import (
	"slices"
	"testing"

	"github.com/backupchecks/backupchecks/app/schedule"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// A backlog approved after the fact: the job was created on 3 December from mails of
// 17 November on. Daily Jobs shows those days with their runs, and the days between
// the first run and the job's creation as expected (Missed when no run came), while
// missed runs are still recorded only from creation. A job with runs but no schedule
// is listed on its run days as not expected.
func TestDayShowsHistoryBeforeCreation(t *testing.T) {
	d := dbtest.New(t)
	f := newFixture(t, d)
	cust := f.Customer("Acme")
	created := at(date(2026, 12, 3), 9, 0, ams)
	backlog := cust.Job(dbtest.Job{Name: "backlog", LearnedSchedule: daily22, CreatedAt: created}).Runs(
		dbtest.Run{At: at(date(2026, 11, 17), 22, 5, ams), Status: "Failed"},
		dbtest.Run{At: at(date(2026, 11, 19), 22, 3, ams), Status: "Success"}).ID
	unscheduled := cust.Job(dbtest.Job{Name: "unscheduled", CreatedAt: created}).Runs(
		dbtest.Run{At: at(date(2026, 11, 18), 3, 0, ams), Status: "Warning"}).ID
	cust.Job(dbtest.Job{Name: "informational", Informational: true, CreatedAt: created}).Runs(
		dbtest.Run{At: at(date(2026, 11, 18), 4, 0, ams), Status: "Failed"})
	f.AddCustomer(dbtest.Customer{Name: "Gone", Inactive: true}).Job(dbtest.Job{Name: "inactive customer", CreatedAt: created}).Runs(
		dbtest.Run{At: at(date(2026, 11, 18), 5, 0, ams), Status: "Failed"})
	now := at(date(2026, 12, 3), 12, 0, ams)

	type row struct {
		status   string
		runs     int
		expected bool
	}
	for _, tc := range []struct {
		day  schedule.Date
		want map[int64]row
	}{
		{date(2026, 11, 16), map[int64]row{}}, // before the first run: nothing to show
		{date(2026, 11, 17), map[int64]row{backlog: {"Failed", 1, true}}},
		{date(2026, 11, 18), map[int64]row{backlog: {"Missed", 0, true}, unscheduled: {"Warning", 1, false}}},
		{date(2026, 11, 19), map[int64]row{backlog: {"Success", 1, true}}},
		{date(2026, 12, 3), map[int64]row{backlog: {"Expected", 0, true}}},
	} {
		t.Run(tc.day.String(), func(t *testing.T) {
			rows, sum, err := schedule.Day(ctx, d.Bun, tc.day, ams, now, schedule.DayFilter{PerPage: 50})
			if err != nil {
				t.Fatal(err)
			}
			got := map[int64]row{}
			for _, r := range rows {
				got[r.JobID] = row{r.Status, r.Runs, r.ExpectedAt != nil}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("rows %+v, want %+v", got, tc.want)
			}
			for id, w := range tc.want {
				if got[id] != w {
					t.Errorf("job %d: %+v, want %+v", id, got[id], w)
				}
			}
			total := 0
			for _, n := range sum {
				total += n
			}
			if total != len(tc.want) {
				t.Errorf("summary %v counts %d jobs, want %d", sum, total, len(tc.want))
			}
		})
	}
	// History is not work: no missed runs before the job existed.
	generate(t, d, ams, now)
	if m := f.missed(backlog); len(m) != 0 {
		t.Errorf("missed runs before creation: %v", m)
	}
}

// TestDayCustomerFilter: Daily Jobs filtered by customer lists only that customer's
// jobs, expected or not, and counts per status only them.
func TestDayCustomerFilter(t *testing.T) {
	d := dbtest.New(t)
	f := dbtest.Fixture(t, d)
	acme, globex := f.Customer("Acme"), f.Customer("Globex")
	created := at(date(2026, 11, 1), 9, 0, ams)
	nightly := acme.Job(dbtest.Job{Name: "nightly", LearnedSchedule: daily22, CreatedAt: created}).Runs(
		dbtest.Run{At: at(date(2026, 11, 17), 22, 5, ams), Status: "Failed"}).ID
	adhoc := acme.Job(dbtest.Job{Name: "ad hoc", CreatedAt: created}).Runs(
		dbtest.Run{At: at(date(2026, 11, 17), 3, 0, ams), Status: "Warning"}).ID
	other := globex.Job(dbtest.Job{Name: "other", LearnedSchedule: daily22, CreatedAt: created}).Runs(
		dbtest.Run{At: at(date(2026, 11, 17), 22, 1, ams), Status: "Failed"}).ID
	now := at(date(2026, 12, 3), 12, 0, ams)

	for _, tc := range []struct {
		name   string
		filter schedule.DayFilter
		jobs   []int64
		failed int
	}{
		{"all", schedule.DayFilter{PerPage: 50}, []int64{nightly, other, adhoc}, 2},
		{"Acme", schedule.DayFilter{CustomerID: acme.ID, PerPage: 50}, []int64{nightly, adhoc}, 1},
		{"Acme's failures", schedule.DayFilter{CustomerID: acme.ID, Status: "Failed", PerPage: 50}, []int64{nightly}, 1},
		{"Globex", schedule.DayFilter{CustomerID: globex.ID, PerPage: 50}, []int64{other}, 1},
		{"no such customer", schedule.DayFilter{CustomerID: 999, PerPage: 50}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, sum, err := schedule.Day(ctx, d.Bun, date(2026, 11, 17), ams, now, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, r := range rows {
				got = append(got, r.JobID)
			}
			if !slices.Equal(got, tc.jobs) || sum["Failed"] != tc.failed {
				t.Fatalf("jobs %v, %d failed; want %v, %d (summary %v)", got, sum["Failed"], tc.jobs, tc.failed, sum)
			}
		})
	}
}
