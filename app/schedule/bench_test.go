package schedule_test

import (
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/schedule"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// BenchmarkGenerateMissedRuns times one missed-run pass over 1,000 customers and
// 10,000 jobs with mixed schedules and 14 days of runs (3% of runs missing, so about
// 3,000 missed runs to create), and reports an idempotent second pass as rerun-ms.
// Target: ≤ 2 s a pass on a 2-core machine.
func BenchmarkGenerateMissedRuns(b *testing.B) {
	d := dbtest.New(b)
	today := date(2025, 6, 30)
	seed(b, d, 1000, 10000, 14, today)
	now := at(today, 12, 0, ams)
	var created int
	for b.Loop() {
		b.StopTimer()
		if _, err := d.Bun.ExecContext(ctx, "DELETE FROM job_runs WHERE source_type = 'missed'"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		n, err := schedule.GenerateMissedRuns(ctx, d.Bun, ams, now)
		if err != nil {
			b.Fatal(err)
		}
		created = n
	}
	b.ReportMetric(float64(created), "missed/op")
	start := time.Now()
	if n, err := schedule.GenerateMissedRuns(ctx, d.Bun, ams, now.Add(15*time.Minute)); err != nil || n != 0 {
		b.Fatalf("second pass: %d created, %v", n, err)
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "rerun-ms")
}

// BenchmarkRelearn times learning the schedules of 10,000 jobs (1,000 customers) from
// 180 days of runs (about 1.2 million), 500 jobs a batch.
func BenchmarkRelearn(b *testing.B) {
	d := dbtest.New(b)
	today := date(2025, 6, 30)
	seed(b, d, 1000, 10000, schedule.HistoryDays, today)
	now := at(today, 12, 0, ams)
	for b.Loop() {
		n, err := schedule.Relearn(ctx, d.Bun, ams, now)
		if err != nil {
			b.Fatal(err)
		}
		if n != 10000 {
			b.Fatalf("learned %d jobs, want 10000", n)
		}
	}
}

// BenchmarkLearn times learning one daily job from 180 days of runs (the Go part of
// Relearn, per job).
func BenchmarkLearn(b *testing.B) {
	today := date(2025, 6, 30)
	runs := history(ams, today.AddDays(-schedule.HistoryDays), today.AddDays(-1), 22, 0, nil, cycle(-20, 15, -5, 20, 0, -15, 10, 5, -10))
	now := at(today, 12, 0, ams)
	prev := schedule.Learn(runs, ams, now, nil)
	for b.Loop() {
		schedule.Learn(runs, ams, now, &prev)
	}
}

// BenchmarkDay times the Daily Jobs query (one page of 100 and the counts) over 1,000
// customers and 10,000 jobs with 14 days of runs, for today and for a past day.
func BenchmarkDay(b *testing.B) {
	d := dbtest.New(b)
	today := date(2025, 6, 30)
	seed(b, d, 1000, 10000, 14, today)
	now := at(today, 12, 0, ams)
	for _, day := range []schedule.Date{today, today.AddDays(-3)} {
		b.Run(day.String(), func(b *testing.B) {
			for b.Loop() {
				rows, _, err := schedule.Day(ctx, d.Bun, day, ams, now, schedule.DayFilter{PerPage: 100})
				if err != nil || len(rows) == 0 {
					b.Fatalf("%d rows, %v", len(rows), err)
				}
			}
		})
	}
}
