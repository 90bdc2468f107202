package schedule_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/schedule"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// TestRelearn learns 1,100 seeded jobs (three batches) from 120 days of runs with
// jitter and missing runs, and finds the schedules they were generated from.
func TestRelearn(t *testing.T) {
	d := dbtest.New(t)
	f := newFixture(t, d)
	today := date(2025, 6, 30)
	seed(t, d, 100, 1100, 120, today)
	type row struct {
		ID        int64           `bun:"id"`
		Schedule  json.RawMessage `bun:"learned_schedule"`
		LearnedAt *string         `bun:"schedule_learned_at"`
	}
	var truth []row
	if err := d.Bun.NewRaw("SELECT id, learned_schedule FROM jobs ORDER BY id").Scan(ctx, &truth); err != nil {
		t.Fatal(err)
	}
	f.exec("UPDATE jobs SET learned_schedule = NULL")
	// Jobs that are never learned, though they have runs.
	cust := f.Customer("Acme")
	var skipped []int64
	for _, job := range []*dbtest.JobRef{
		cust.Job(dbtest.Job{Name: "informational", Informational: true, CreatedAt: longAgo}),
		cust.Job(dbtest.Job{Name: "workstation", Type: "Cove Workstation", CreatedAt: longAgo}),
		cust.Job(dbtest.Job{Name: "archived", ArchivedAt: &longAgo, CreatedAt: longAgo}),
		f.AddCustomer(dbtest.Customer{Name: "Gone", Inactive: true}).Job(dbtest.Job{Name: "inactive customer", CreatedAt: longAgo}),
	} {
		for day := 1; day < 30; day++ {
			job.Run(dbtest.Run{At: at(date(2025, 6, day), 22, 0, ams), Status: "Success"})
		}
		skipped = append(skipped, job.ID)
	}

	now := at(today, 12, 0, ams)
	if due, err := schedule.RelearnDue(ctx, d.Bun, now); err != nil || !due {
		t.Fatalf("RelearnDue = %v, %v before the first learn", due, err)
	}
	n, err := schedule.Relearn(ctx, d.Bun, ams, now)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1100 {
		t.Fatalf("Relearn learned %d jobs, want 1100", n)
	}
	if due, err := schedule.RelearnDue(ctx, d.Bun, now.Add(schedule.RelearnEvery-1)); err != nil || due {
		t.Fatalf("RelearnDue = %v, %v right after a learn", due, err)
	}
	if due, err := schedule.RelearnDue(ctx, d.Bun, now.Add(schedule.RelearnEvery)); err != nil || !due {
		t.Fatalf("RelearnDue = %v, %v %s after a learn", due, err, schedule.RelearnEvery)
	}
	if n := f.int("SELECT count(*) FROM jobs WHERE id IN (?, ?, ?, ?) AND (learned_schedule IS NOT NULL OR schedule_learned_at IS NOT NULL)",
		skipped[0], skipped[1], skipped[2], skipped[3]); n != 0 {
		t.Fatalf("%d jobs learned that should not be", n)
	}

	var got []row
	if err := d.Bun.NewRaw("SELECT id, learned_schedule, schedule_learned_at::text FROM jobs ORDER BY id LIMIT ?", len(truth)).Scan(ctx, &got); err != nil {
		t.Fatal(err)
	}
	wrong := 0
	for i, tr := range truth {
		var want, learned db.Schedule
		if err := json.Unmarshal(tr.Schedule, &want); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(got[i].Schedule, &learned); err != nil {
			t.Fatalf("job %d: stored %s: %v", tr.ID, got[i].Schedule, err)
		}
		if got[i].LearnedAt == nil {
			t.Fatalf("job %d: no schedule_learned_at", tr.ID)
		}
		if !equivalent(learned, want, today) {
			wrong++
			if wrong <= 5 {
				t.Logf("job %d: learned %q, generated from %q", tr.ID, learned.Describe(), want.Describe())
			}
		}
	}
	// Random missing runs may hide a pattern now and then; not more.
	if wrong > len(truth)/100 {
		t.Fatalf("%d of %d schedules learned wrong", wrong, len(truth))
	}
	t.Logf("%d of %d schedules learned differently from the generating schedule", wrong, len(truth))

	// Learning again 6 hours later, with the stored schedules as the previous ones,
	// keeps every schedule (the evidence counts may move with the window).
	if _, err := schedule.Relearn(ctx, d.Bun, ams, now.Add(schedule.RelearnEvery)); err != nil {
		t.Fatal(err)
	}
	var again []row
	if err := d.Bun.NewRaw("SELECT id, learned_schedule FROM jobs ORDER BY id LIMIT ?", len(truth)).Scan(ctx, &again); err != nil {
		t.Fatal(err)
	}
	for i := range again {
		var before, after db.Schedule
		if json.Unmarshal(got[i].Schedule, &before) != nil || json.Unmarshal(again[i].Schedule, &after) != nil {
			t.Fatalf("job %d: unreadable schedule", again[i].ID)
		}
		if after.Describe() != before.Describe() || after.Since != before.Since {
			t.Fatalf("job %d: relearned %s, was %s", again[i].ID, again[i].Schedule, got[i].Schedule)
		}
	}
}

// equivalent reports whether two schedules expect the same instants, give or take 20
// minutes (the median of a few jittered monthly runs), in the 60 days from from (no
// DST change, where 02:55 and 03:00 are an hour apart): "Mon–Fri at 23:55" and
// "Tue–Sat at 00:00" are the same schedule.
func equivalent(a, b db.Schedule, from schedule.Date) bool {
	if !a.Expects() || !b.Expects() {
		return a.Kind == b.Kind
	}
	start, end := at(from, 12, 0, ams), at(from.AddDays(60), 12, 0, ams)
	instants := func(s db.Schedule) []time.Time {
		s.Since = ""
		var out []time.Time
		for d := from; !from.AddDays(60).Before(d); d = d.AddDays(1) {
			if t, ok := schedule.ExpectedAt(s, d, ams); ok && !t.Before(start) && t.Before(end) {
				out = append(out, t)
			}
		}
		return out
	}
	ia, ib := instants(a), instants(b)
	if len(ia) != len(ib) {
		return false
	}
	for i := range ia {
		if d := ia[i].Sub(ib[i]).Abs(); d > 20*time.Minute {
			return false
		}
	}
	return true
}
