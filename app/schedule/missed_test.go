package schedule_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/schedule"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

var (
	daily22   = &db.Schedule{Kind: db.ScheduleDaily, Time: "22:00"}
	mondays08 = &db.Schedule{Kind: db.ScheduleWeekly, Weekdays: []int{1}, Time: "08:00"}
	// Monday 30 June 2025, noon in Amsterdam (10:00 UTC): the slots of 23–29 June have
	// passed, today's 22:00 slot has not.
	june30 = at(date(2025, 6, 30), 12, 0, ams)
)

func intp(n int) *int { return &n }

// dailyRuns adds Success runs at h:m local on the given June 2025 days.
func dailyRuns(job *dbtest.JobRef, h, m int, days ...int) {
	for _, d := range days {
		job.Run(dbtest.Run{At: at(date(2025, 6, d), h, m, ams), Status: "Success"})
	}
}

func TestGenerateMissedRunsIsIdempotent(t *testing.T) {
	d := dbtest.New(t)
	f := newFixture(t, d)
	nightly := f.Customer("Acme").Job(dbtest.Job{LearnedSchedule: daily22, CreatedAt: longAgo})
	dailyRuns(nightly, 22, 0, 23, 24, 25, 26, 27)
	job := nightly.ID

	if n := generate(t, d, ams, june30); n != 2 {
		t.Fatalf("first pass created %d missed runs, want 2", n)
	}
	want := []string{"2025-06-28@20:00Z", "2025-06-29@20:00Z"}
	if got := f.missed(job); !slices.Equal(got, want) {
		t.Fatalf("missed runs %q, want %q", got, want)
	}
	for range 2 {
		if n := generate(t, d, ams, june30.Add(time.Hour)); n != 0 {
			t.Fatalf("a second pass created %d missed runs, want 0", n)
		}
	}
	if got := f.missed(job); !slices.Equal(got, want) {
		t.Fatalf("after re-runs: missed runs %q, want %q", got, want)
	}
	// The summary counts the missed runs (the fixture's real runs bypass it).
	var sum struct {
		N     int    `bun:"unreviewed_count"`
		Worst string `bun:"worst_unreviewed_status"`
		Last  string `bun:"last_run_status"`
	}
	if err := d.Bun.NewRaw("SELECT unreviewed_count, worst_unreviewed_status, last_run_status FROM jobs WHERE id = ?", job).Scan(ctx, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.N != 2 || sum.Worst != "Missed" || sum.Last != "Missed" {
		t.Fatalf("summary %+v, want 2 unreviewed, worst and last Missed", sum)
	}
}

func TestLateRunSupersedesMissedRun(t *testing.T) {
	d := dbtest.New(t)
	f := newFixture(t, d)
	nightly := f.Customer("Acme").Job(dbtest.Job{LearnedSchedule: daily22, CreatedAt: longAgo})
	dailyRuns(nightly, 22, 0, 23, 24, 25, 26, 27)
	job := nightly.ID
	// An open ticket on the job is linked to the new missed runs.
	ticket := f.int("INSERT INTO tickets (ticket_code) VALUES ('T1') RETURNING id")
	f.exec("INSERT INTO ticket_scopes (ticket_id, scope_type, job_id) VALUES (?, 'job', ?)", ticket, job)

	generate(t, d, ams, june30)
	if n := f.int("SELECT count(*) FROM ticket_job_runs tr JOIN job_runs r ON r.id = tr.job_run_id WHERE r.source_type = 'missed'"); n != 2 {
		t.Fatalf("%d missed runs linked to the open ticket, want 2", n)
	}

	// 28 June's report arrives: the run started 13 hours late, so it counts for 29 June
	// (within 12 hours before that slot), not for 28 June.
	nightly.Run(dbtest.Run{At: at(date(2025, 6, 29), 11, 0, ams), Status: "Warning"})
	generate(t, d, ams, june30.Add(15*time.Minute))
	want := []string{"2025-06-28@20:00Z", "2025-06-29@20:00Z (superseded)"}
	if got := f.missed(job); !slices.Equal(got, want) {
		t.Fatalf("missed runs %q, want %q", got, want)
	}

	// A run 40 minutes late for 28 June supersedes that one too.
	nightly.Run(dbtest.Run{At: at(date(2025, 6, 28), 22, 40, ams), Status: "Success"})
	generate(t, d, ams, june30.Add(30*time.Minute))
	want = []string{"2025-06-28@20:00Z (superseded)", "2025-06-29@20:00Z (superseded)"}
	if got := f.missed(job); !slices.Equal(got, want) {
		t.Fatalf("missed runs %q, want %q", got, want)
	}
	// Superseded missed runs are out of the summary: 7 real runs, none reviewed; the
	// last run is the real one of 29 June.
	var sum struct {
		N     int       `bun:"unreviewed_count"`
		Worst string    `bun:"worst_unreviewed_status"`
		Last  string    `bun:"last_run_status"`
		At    time.Time `bun:"last_run_at"`
	}
	if err := d.Bun.NewRaw("SELECT unreviewed_count, worst_unreviewed_status, last_run_status, last_run_at FROM jobs WHERE id = ?", job).Scan(ctx, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.N != 7 || sum.Worst != "Warning" || sum.Last != "Warning" || !sum.At.Equal(at(date(2025, 6, 29), 11, 0, ams)) {
		t.Fatalf("summary %+v, want 7 unreviewed, worst and last Warning at 29 June 11:00", sum)
	}
	// Never created again.
	if n := generate(t, d, ams, june30.Add(45*time.Minute)); n != 0 {
		t.Fatalf("created %d missed runs after superseding, want 0", n)
	}
}

func TestMissedRunsOnlyForEligibleJobs(t *testing.T) {
	d := dbtest.New(t)
	f := newFixture(t, d)
	active := f.Customer("Active")
	inactive := f.AddCustomer(dbtest.Customer{Name: "Inactive", Inactive: true})
	none := &db.Schedule{Kind: db.ScheduleNone}
	irregular := &db.Schedule{Kind: db.ScheduleIrregular}
	for _, tc := range []struct {
		name     string
		customer *dbtest.CustomerRef
		spec     dbtest.Job
		want     int
	}{
		{"plain daily job", active, dbtest.Job{LearnedSchedule: daily22}, 7},
		{"informational", active, dbtest.Job{LearnedSchedule: daily22, Informational: true}, 0},
		{"archived", active, dbtest.Job{LearnedSchedule: daily22, ArchivedAt: &longAgo}, 0},
		{"inactive job", active, dbtest.Job{LearnedSchedule: daily22, Inactive: true}, 0},
		{"inactive customer", inactive, dbtest.Job{LearnedSchedule: daily22}, 0},
		{"Cove workstation", active, dbtest.Job{LearnedSchedule: daily22, Type: "Cove Workstation"}, 0},
		{"Cove workstation with a locked schedule", active, dbtest.Job{ManualSchedule: daily22, Locked: true, Type: "Cove Workstation"}, 7},
		{"no schedule learned", active, dbtest.Job{LearnedSchedule: none}, 0},
		{"irregular", active, dbtest.Job{LearnedSchedule: irregular}, 0},
		{"nothing stored", active, dbtest.Job{}, 0},
		{"created on 28 June at 23:00", active, dbtest.Job{LearnedSchedule: daily22, CreatedAt: at(date(2025, 6, 28), 23, 0, ams)}, 1},
		{"learned since 27 June", active, dbtest.Job{LearnedSchedule: &db.Schedule{Kind: "daily", Time: "22:00", Since: "2025-06-27"}}, 3},
		{"malformed schedule", active, dbtest.Job{LearnedSchedule: &db.Schedule{Kind: "monthly_nth", Time: "25:99"}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.spec.Name = tc.name
			if tc.spec.CreatedAt.IsZero() {
				tc.spec.CreatedAt = longAgo
			}
			job := tc.customer.Job(tc.spec).ID
			generate(t, d, ams, june30)
			if got := f.missed(job); len(got) != tc.want {
				t.Fatalf("missed runs %q, want %d", got, tc.want)
			}
		})
	}
}

func TestMissedRunWaitsForGrace(t *testing.T) {
	for _, tc := range []struct {
		name      string
		grace     *int
		slot      int // hour of the daily slot
		now       time.Time
		wantToday bool
	}{
		{"default grace not passed", nil, 8, at(date(2025, 6, 30), 9, 59, ams), false},
		{"default grace passed", nil, 8, at(date(2025, 6, 30), 10, 0, ams), true},
		{"30 minutes not passed", intp(30), 9, at(date(2025, 6, 30), 9, 29, ams), false},
		{"30 minutes passed", intp(30), 9, at(date(2025, 6, 30), 9, 30, ams), true},
		{"no grace", intp(0), 9, at(date(2025, 6, 30), 9, 0, ams), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := dbtest.New(t)
			f := newFixture(t, d)
			job := f.Customer("Acme").Job(dbtest.Job{
				LearnedSchedule: &db.Schedule{Kind: "daily", Time: time.Date(0, 1, 1, tc.slot, 0, 0, 0, time.UTC).Format("15:04")},
				GraceMinutes:    tc.grace, CreatedAt: longAgo})
			dailyRuns(job, tc.slot, 0, 23, 24, 25, 26, 27, 28, 29)
			generate(t, d, ams, tc.now)
			got := f.missed(job.ID)
			if tc.wantToday != (len(got) == 1) || len(got) > 1 {
				t.Fatalf("missed runs %q, want today's: %v", got, tc.wantToday)
			}
		})
	}
}

func TestLockedManualScheduleWins(t *testing.T) {
	d := dbtest.New(t)
	f := newFixture(t, d)
	cust := f.Customer("Acme")
	locked := cust.Job(dbtest.Job{Name: "locked", LearnedSchedule: daily22, ManualSchedule: mondays08, Locked: true, CreatedAt: longAgo}).ID
	unlocked := cust.Job(dbtest.Job{Name: "unlocked", LearnedSchedule: daily22, ManualSchedule: mondays08, CreatedAt: longAgo}).ID
	nothingLearned := cust.Job(dbtest.Job{Name: "nothing learned", LearnedSchedule: &db.Schedule{Kind: "none"}, ManualSchedule: mondays08, CreatedAt: longAgo}).ID
	generate(t, d, ams, june30)
	mondays := []string{"2025-06-23@06:00Z", "2025-06-30@06:00Z"}
	if got := f.missed(locked); !slices.Equal(got, mondays) {
		t.Fatalf("locked: missed runs %q, want %q", got, mondays)
	}
	if got := f.missed(unlocked); len(got) != 7 {
		t.Fatalf("unlocked: missed runs %q, want the learned daily schedule's 7", got)
	}
	if got := f.missed(nothingLearned); !slices.Equal(got, mondays) {
		t.Fatalf("set, nothing learned: missed runs %q, want %q", got, mondays)
	}
}

func TestMissedRunsOnDSTDays(t *testing.T) {
	for _, tc := range []struct {
		name string
		time string
		now  time.Time
		want []string // the missed runs around the change
	}{
		// Spring forward, Sunday 30 March: 02:30 does not exist; expected at 03:00 CEST.
		{"spring 02:30", "02:30", at(date(2025, 3, 31), 12, 0, ams),
			[]string{"2025-03-29@01:30Z", "2025-03-30@01:00Z", "2025-03-31@00:30Z"}},
		{"spring 22:00", "22:00", at(date(2025, 3, 31), 12, 0, ams),
			[]string{"2025-03-29@21:00Z", "2025-03-30@20:00Z"}},
		// Fall back, Sunday 26 October: 02:30 happens twice; expected the first time (CEST).
		{"fall 02:30", "02:30", at(date(2025, 10, 27), 12, 0, ams),
			[]string{"2025-10-25@00:30Z", "2025-10-26@00:30Z", "2025-10-27@01:30Z"}},
		{"fall 22:00", "22:00", at(date(2025, 10, 27), 12, 0, ams),
			[]string{"2025-10-25@20:00Z", "2025-10-26@21:00Z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := dbtest.New(t)
			f := newFixture(t, d)
			job := f.Customer("Acme").Job(dbtest.Job{LearnedSchedule: &db.Schedule{Kind: "daily", Time: tc.time}, CreatedAt: longAgo}).ID
			generate(t, d, ams, tc.now)
			got := f.missed(job)
			if len(got) < len(tc.want) || !slices.Equal(got[len(got)-len(tc.want):], tc.want) {
				t.Fatalf("missed runs %q, want them to end with %q", got, tc.want)
			}
			if n := len(got); n != 8 && n != 7 {
				t.Fatalf("%d missed runs in 8 days, want one a day", n)
			}
		})
	}
}

// TestExpectedAtAgreesWithSQL compares Schedule.ExpectedAt with the SQL function
// schedule_expected_at for every date of two years in zones with DST changes
// (Lord Howe's is 30 minutes), for times in and around the changes.
func TestExpectedAtAgreesWithSQL(t *testing.T) {
	d := dbtest.New(t)
	var schedules []db.Schedule
	for _, tm := range []string{"00:00", "01:30", "02:00", "02:15", "02:30", "02:59", "03:00", "12:00", "22:00", "23:55"} {
		schedules = append(schedules, db.Schedule{Kind: "daily", Time: tm})
	}
	schedules = append(schedules,
		db.Schedule{Kind: "weekly", Weekdays: []int{2, 7}, Time: "02:30"},
		db.Schedule{Kind: "monthly_days", MonthDays: []int{1, 15, 31}, Time: "02:30"},
		db.Schedule{Kind: "monthly_days", MonthDays: []int{29}, Time: "01:30"},
		db.Schedule{Kind: "monthly_nth", Nth: db.ScheduleLastWeek, NthWeekday: 7, Time: "02:30"},
		db.Schedule{Kind: "monthly_nth", Nth: 2, NthWeekday: 7, Time: "02:30"},
		db.Schedule{Kind: "monthly_nth", Nth: 1, NthWeekday: 7, Time: "01:30"},
		db.Schedule{Kind: "monthly_nth", Nth: 5, NthWeekday: 5, Time: "20:00"},
		db.Schedule{Kind: "daily", Time: "02:30", Since: "2024-11-03"},
		db.Schedule{Kind: "irregular", Time: "02:30"},
	)
	first, last := date(2024, 1, 1), date(2025, 12, 31)
	checked := 0
	for _, loc := range []*time.Location{ams, nyc, mustLoad("Australia/Lord_Howe")} {
		for _, s := range schedules {
			b, _ := json.Marshal(s)
			var rows []struct {
				Day string     `bun:"day"`
				At  *time.Time `bun:"at"`
			}
			err := d.Bun.NewRaw(`SELECT to_char(g, 'YYYY-MM-DD') AS day, schedule_expected_at(?::jsonb, g::date, ?) AS at
				FROM generate_series(?::date, ?::date, interval '1 day') g ORDER BY g`,
				string(b), loc.String(), first.String(), last.String()).Scan(ctx, &rows)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != last.DaysSince(first)+1 {
				t.Fatalf("%d rows", len(rows))
			}
			for i, r := range rows {
				day := first.AddDays(i)
				if r.Day != day.String() {
					t.Fatalf("row %d is %s, want %s", i, r.Day, day)
				}
				goAt, ok := schedule.ExpectedAt(s, day, loc)
				switch {
				case ok != (r.At != nil):
					t.Errorf("%s %s on %s: Go expects %v, SQL %v", loc, s.Describe(), day, ok, r.At != nil)
				case ok && !goAt.Equal(*r.At):
					t.Errorf("%s %s on %s: Go %s, SQL %s", loc, s.Describe(), day, goAt.UTC(), r.At.UTC())
				}
				checked++
			}
		}
	}
	t.Logf("%d dates compared", checked)
}

func TestExpectedOn(t *testing.T) {
	d := dbtest.New(t)
	f := dbtest.Fixture(t, d)
	cust := f.Customer("Acme")
	daily := cust.Job(dbtest.Job{Name: "daily", LearnedSchedule: daily22, GraceMinutes: intp(30), CreatedAt: longAgo}).ID
	monday := cust.Job(dbtest.Job{Name: "monday", ManualSchedule: mondays08, Locked: true, CreatedAt: longAgo}).ID
	cust.Job(dbtest.Job{Name: "tuesday", LearnedSchedule: &db.Schedule{Kind: "weekly", Weekdays: []int{2}, Time: "08:00"}, CreatedAt: longAgo})
	cust.Job(dbtest.Job{Name: "informational", LearnedSchedule: daily22, Informational: true, CreatedAt: longAgo})
	f.AddCustomer(dbtest.Customer{Name: "Gone", Inactive: true}).Job(dbtest.Job{Name: "inactive customer", LearnedSchedule: daily22, CreatedAt: longAgo})

	got, err := schedule.ExpectedOn(ctx, d.Bun, date(2025, 6, 30), ams)
	if err != nil {
		t.Fatal(err)
	}
	e22 := at(date(2025, 6, 30), 22, 0, ams)
	e08 := at(date(2025, 6, 30), 8, 0, ams)
	want := []schedule.ExpectedRun{
		{JobID: daily, ExpectedAt: e22, MissedAfter: e22.Add(30 * time.Minute), WindowStart: e22.Add(-12 * time.Hour), WindowEnd: e22.Add(12 * time.Hour)},
		{JobID: monday, ExpectedAt: e08, MissedAfter: e08.Add(2 * time.Hour), WindowStart: e08.Add(-12 * time.Hour), WindowEnd: e08.Add(12 * time.Hour)},
	}
	if len(got) != len(want) {
		t.Fatalf("ExpectedOn = %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.JobID != w.JobID || !g.ExpectedAt.Equal(w.ExpectedAt) || !g.MissedAfter.Equal(w.MissedAfter) ||
			!g.WindowStart.Equal(w.WindowStart) || !g.WindowEnd.Equal(w.WindowEnd) {
			t.Fatalf("ExpectedOn[%d] = %+v, want %+v", i, g, w)
		}
	}
}
