package db_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// storedSchedules are the jsonb texts earlier releases wrote to jobs.learned_schedule
// and jobs.manual_schedule (encoding/json of the schedule struct with its omitempty
// tags, and the seed's jsonb_build_object), each with the value it must read as.
var storedSchedules = []struct {
	text string
	want db.Schedule
}{
	{`{"kind":"daily","time":"22:00"}`, db.Schedule{Kind: db.ScheduleDaily, Time: "22:00"}},
	{`{"kind":"weekly","weekdays":[1,3,5],"time":"21:30","since":"2026-01-01","occurrences":9,"window":28}`,
		db.Schedule{Kind: db.ScheduleWeekly, Weekdays: []int{1, 3, 5}, Time: "21:30", Since: "2026-01-01", Occurrences: 9, Window: 28}},
	{`{"kind":"monthly_days","month_days":[1,15,31],"time":"02:00"}`,
		db.Schedule{Kind: db.ScheduleMonthlyDays, MonthDays: []int{1, 15, 31}, Time: "02:00"}},
	{`{"kind":"monthly_nth","nth":-1,"nth_weekday":5,"time":"23:00","since":"2026-03-09"}`,
		db.Schedule{Kind: db.ScheduleMonthlyNth, Nth: db.ScheduleLastWeek, NthWeekday: 5, Time: "23:00", Since: "2026-03-09"}},
	{`{"kind":"monthly_nth","nth":2,"nth_weekday":1,"time":"06:15"}`,
		db.Schedule{Kind: db.ScheduleMonthlyNth, Nth: 2, NthWeekday: 1, Time: "06:15"}},
	{`{"kind":"irregular"}`, db.Schedule{Kind: db.ScheduleIrregular}},
	{`{"kind":"none","window":90}`, db.Schedule{Kind: db.ScheduleNone, Window: 90}},
	// The seed builds its schedules in SQL (app/seed).
	{`{"kind": "weekly", "time": "18:35", "weekdays": [6]}`, db.Schedule{Kind: db.ScheduleWeekly, Weekdays: []int{6}, Time: "18:35"}},
}

// TestScheduleReadsStoredData stores the schedules in the shapes the code has always
// written and reads them back typed on every path the code reads them (bun models,
// raw bun scans, database/sql scans of the cached queries); then writes them through
// the typed value and checks the stored jsonb is the same document as before.
func TestScheduleReadsStoredData(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	var cust int64
	if err := d.Bun.NewRaw("INSERT INTO customers (name) VALUES ('Acme') RETURNING id").Scan(ctx, &cust); err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(storedSchedules))
	for i, s := range storedSchedules {
		// The manual schedule is the learned one of the next shape, and the last job has none.
		var manual any
		if i+1 < len(storedSchedules) {
			manual = storedSchedules[i+1].text
		}
		err := d.Bun.NewRaw(`INSERT INTO jobs (customer_id, job_name, backup_software, backup_type, learned_schedule, manual_schedule)
			VALUES (?, ?, 'X', 'Y', ?::jsonb, ?::jsonb) RETURNING id`, cust, s.text, s.text, manual).Scan(ctx, &ids[i])
		if err != nil {
			t.Fatal(err)
		}
	}
	var none int64
	if err := d.Bun.NewRaw(`INSERT INTO jobs (customer_id, job_name, backup_software, backup_type)
		VALUES (?, 'none', 'X', 'Y') RETURNING id`, cust).Scan(ctx, &none); err != nil {
		t.Fatal(err)
	}
	wantManual := func(i int) *db.Schedule {
		if i+1 < len(storedSchedules) {
			return &storedSchedules[i+1].want
		}
		return nil
	}

	// A bun model.
	var jobs []db.Job
	if err := d.Bun.NewSelect().Model(&jobs).Order("id").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(jobs) != len(ids)+1 {
		t.Fatalf("%d jobs", len(jobs))
	}
	for i, s := range storedSchedules {
		j := jobs[i]
		if j.LearnedSchedule == nil || !reflect.DeepEqual(*j.LearnedSchedule, s.want) {
			t.Errorf("model: %s read as %+v", s.text, j.LearnedSchedule)
		}
		if !reflect.DeepEqual(j.ManualSchedule, wantManual(i)) {
			t.Errorf("model: manual of %s read as %+v", s.text, j.ManualSchedule)
		}
	}
	if last := jobs[len(ids)]; last.LearnedSchedule != nil || last.ManualSchedule != nil {
		t.Errorf("NULL schedules read as %+v, %+v", last.LearnedSchedule, last.ManualSchedule)
	}

	// A raw scan into a struct (as app/jobs and app/schedule read them), including the
	// SQL function's effective schedule.
	var rows []struct {
		ID        int64        `bun:"id"`
		Learned   *db.Schedule `bun:"learned_schedule"`
		Effective *db.Schedule `bun:"effective"`
	}
	if err := d.Bun.NewRaw(`SELECT id, learned_schedule, schedule_effective(learned_schedule, manual_schedule, true) AS effective
		FROM jobs ORDER BY id`).Scan(ctx, &rows); err != nil {
		t.Fatal(err)
	}
	for i, s := range storedSchedules {
		if rows[i].Learned == nil || !reflect.DeepEqual(*rows[i].Learned, s.want) {
			t.Errorf("raw scan: %s read as %+v", s.text, rows[i].Learned)
		}
		// Locked: the manual schedule when there is one (db.EffectiveSchedule agrees).
		want := db.EffectiveSchedule(&storedSchedules[i].want, wantManual(i), true)
		if !reflect.DeepEqual(rows[i].Effective, want) {
			t.Errorf("effective of %s read as %+v, want %+v", s.text, rows[i].Effective, want)
		}
	}

	// database/sql (db.QueryCached, as the Run Checks queue reads it).
	sqlRows, err := db.QueryCached(ctx, d.Bun, "SELECT learned_schedule FROM jobs ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var got []*db.Schedule
	for sqlRows.Next() {
		var s *db.Schedule
		if err := sqlRows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if err := sqlRows.Err(); err != nil {
		t.Fatal(err)
	}
	for i, s := range storedSchedules {
		if got[i] == nil || !reflect.DeepEqual(*got[i], s.want) {
			t.Errorf("database/sql: %s read as %+v", s.text, got[i])
		}
	}
	if got[len(ids)] != nil {
		t.Errorf("database/sql: NULL read as %+v", got[len(ids)])
	}

	// Writing the typed value stores the same document: as a ?::jsonb argument, as a
	// model's column, and in a VALUES list (Relearn's batch update).
	for i, s := range storedSchedules {
		if _, err := d.Bun.NewUpdate().Model((*db.Job)(nil)).Set("manual_schedule = ?::jsonb", &s.want).Where("id = ?", ids[i]).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Bun.NewUpdate().Model((*db.Job)(nil)).Set("manual_schedule = ?::jsonb", (*db.Schedule)(nil)).Where("id = ?", none).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	type learned struct {
		ID       int64       `bun:"id"`
		Schedule db.Schedule `bun:"learned_schedule,type:jsonb"`
	}
	values := make([]learned, len(ids))
	for i, s := range storedSchedules {
		values[i] = learned{ID: ids[i], Schedule: s.want}
	}
	if _, err := d.Bun.NewUpdate().With("_data", d.Bun.NewValues(&values)).TableExpr("jobs AS j").TableExpr("_data").
		Set("learned_schedule = _data.learned_schedule").Where("j.id = _data.id").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	inserted := db.Job{CustomerID: cust, JobName: "typed", BackupSoftware: "X", BackupType: "Y", Active: true,
		LearnedSchedule: &storedSchedules[1].want, ManualSchedule: &storedSchedules[3].want, ScheduleLocked: true}
	if _, err := d.Bun.NewInsert().Model(&inserted).ExcludeColumn("id", "created_at", "updated_at").Returning("id").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for i, s := range storedSchedules {
		var same bool
		if err := d.Bun.NewRaw("SELECT learned_schedule = ?::jsonb AND manual_schedule = ?::jsonb FROM jobs WHERE id = ?",
			s.text, s.text, ids[i]).Scan(ctx, &same); err != nil || !same {
			t.Errorf("%s written back as another document (%v)", s.text, err)
		}
	}
	var same bool
	if err := d.Bun.NewRaw(`SELECT manual_schedule IS NULL FROM jobs WHERE id = ?`, none).Scan(ctx, &same); err != nil || !same {
		t.Errorf("a nil schedule is not written as NULL (%v)", err)
	}
	if err := d.Bun.NewRaw("SELECT learned_schedule = ?::jsonb AND manual_schedule = ?::jsonb AND schedule_locked FROM jobs WHERE id = ?",
		storedSchedules[1].text, storedSchedules[3].text, inserted.ID).Scan(ctx, &same); err != nil || !same {
		t.Errorf("an inserted model's schedules differ (%v)", err)
	}
}

// A jsonb that is not a schedule is an error, not a missing schedule.
func TestScheduleScanRejectsOtherShapes(t *testing.T) {
	for _, src := range []any{`{"kind":"weekly","weekdays":"Mon"}`, []byte(`[1,2]`), `{"nth":"last"}`, 42} {
		var s db.Schedule
		if err := s.Scan(src); err == nil {
			t.Errorf("%v read as %+v", src, s)
		}
	}
	s := db.Schedule{Kind: db.ScheduleDaily, Time: "22:00"}
	if err := s.Scan(nil); err != nil || !reflect.DeepEqual(s, db.Schedule{}) {
		t.Errorf("NULL into a value: %+v %v", s, err)
	}
}

func TestScheduleDescribeAndValidate(t *testing.T) {
	for _, tc := range []struct {
		s    db.Schedule
		want string
	}{
		{db.Schedule{Kind: db.ScheduleDaily, Time: "22:00"}, "Daily at 22:00"},
		{db.Schedule{Kind: db.ScheduleWeekly, Weekdays: []int{1, 3, 5}, Time: "21:30"}, "Weekly: Mon, Wed, Fri at 21:30"},
		{db.Schedule{Kind: db.ScheduleMonthlyDays, MonthDays: []int{1, 2, 3, 11, 22, 31}}, "Monthly: 1st, 2nd, 3rd, 11th, 22nd, 31st"},
		{db.Schedule{Kind: db.ScheduleMonthlyNth, Nth: db.ScheduleLastWeek, NthWeekday: 5, Time: "23:00"}, "Monthly: last Friday at 23:00"},
		{db.Schedule{Kind: db.ScheduleIrregular}, "Irregular"},
		{db.Schedule{Kind: db.ScheduleNone}, "No schedule learned"},
	} {
		if got := tc.s.Describe(); got != tc.want {
			t.Errorf("Describe(%+v) = %q, want %q", tc.s, got, tc.want)
		}
	}
	err := db.Schedule{Kind: db.ScheduleWeekly, Weekdays: []int{3, 1}, Time: "25:00", Since: "9 March"}.Validate()
	for _, part := range []string{"schedule: invalid weekly schedule", "ascending", `time of day: "25:00" is not a time of day HH:MM`,
		`since: schedule: date "9 March" is not YYYY-MM-DD`} {
		if err == nil || !strings.Contains(err.Error(), part) {
			t.Errorf("Validate: %v lacks %q", err, part)
		}
	}
	if err := (db.Schedule{Kind: db.ScheduleDaily, Time: "22:00", Since: time.Now().Format(time.DateOnly)}).Validate(); err != nil {
		t.Error(err)
	}
}
