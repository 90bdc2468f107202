package seed_test

import (
	"context"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/seed"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

func TestGenerate(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 16, 12, 0, 0, 0, time.UTC)
	res, err := seed.Generate(ctx, d.Bun, seed.Options{Customers: 10, Jobs: 50, Days: 28, Now: now, Timezone: "Europe/Amsterdam"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Customers != 10 || res.Jobs != 50 {
		t.Fatalf("generated %+v", res)
	}
	// 35 daily, 10 weekday, 5 Saturday jobs over 28 days, plus this Monday's slots before
	// 13:00 in Amsterdam (5 daily and 10 weekday jobs at 00:xx–03:xx), less about 1%
	// that never came.
	want := 35*28 + 10*20 + 5*4 + 15
	if res.Runs < int64(want*95/100) || res.Runs > int64(want) {
		t.Fatalf("%d runs, want about %d", res.Runs, want)
	}
	var unreviewed, statuses int
	if err := d.Bun.NewRaw("SELECT coalesce(sum(unreviewed_count), 0) FROM jobs").Scan(ctx, &unreviewed); err != nil {
		t.Fatal(err)
	}
	if err := d.Bun.NewRaw("SELECT count(DISTINCT status) FROM job_runs").Scan(ctx, &statuses); err != nil {
		t.Fatal(err)
	}
	if unreviewed == 0 || unreviewed > 200 || statuses != 3 {
		t.Fatalf("unreviewed %d, distinct statuses %d", unreviewed, statuses)
	}
	// Nothing after Now; today has its runs so far, as a real installation would.
	var future, today int
	if err := d.Bun.NewRaw("SELECT count(*) FILTER (WHERE run_at >= ?), count(*) FILTER (WHERE run_at >= ?::date AND run_at < ?) FROM job_runs",
		now, now, now).Scan(ctx, &future, &today); err != nil {
		t.Fatal(err)
	}
	if future != 0 || today < 10 {
		t.Fatalf("%d runs after now, %d today before now", future, today)
	}
	// Running it again adds nothing twice.
	again, err := seed.Generate(ctx, d.Bun, seed.Options{Customers: 10, Jobs: 50, Days: 28, Now: now, Timezone: "Europe/Amsterdam"})
	if err != nil || again.Runs != 0 {
		t.Fatalf("second seed: %+v %v", again, err)
	}
}
