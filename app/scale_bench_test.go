package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/app/config"
	"github.com/backupchecks/backupchecks/app/schedule"
	"github.com/backupchecks/backupchecks/app/seed"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// benchScale reads BACKUPCHECKS_BENCH_SCALE as "customers,jobs,days"; the default is
// the target installation of DESIGN.md §6: 1,000 customers, 10,000 jobs, 2 years.
func benchScale(b *testing.B) seed.Options {
	o := seed.Options{Customers: 1000, Jobs: 10000, Days: 730, Now: time.Now(), Timezone: settings.DefaultTimezone}
	if v := os.Getenv("BACKUPCHECKS_BENCH_SCALE"); v != "" {
		var parts [3]int
		for i, s := range splitComma(v) {
			if i < 3 {
				parts[i], _ = strconv.Atoi(s)
			}
		}
		if parts[0] < 1 || parts[1] < 1 || parts[2] < 1 {
			b.Fatalf("BACKUPCHECKS_BENCH_SCALE=%q: want customers,jobs,days", v)
		}
		o.Customers, o.Jobs, o.Days = parts[0], parts[1], parts[2]
	}
	return o
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// BenchmarkAtScale seeds the target dataset once (minutes: ≈7M runs by default) and
// measures the Daily Jobs page (server time: handler, queries and rendering of today,
// 100 rows) and one missed-run generation pass over all jobs.
func BenchmarkAtScale(b *testing.B) {
	ctx := context.Background()
	d := dbtest.New(b)
	o := benchScale(b)
	start := time.Now()
	res, err := seed.Generate(ctx, d.Bun, o)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d customers, %d jobs, %d runs in %s", res.Customers, res.Jobs, res.Runs, time.Since(start).Round(time.Second))

	base, _ := url.Parse("http://127.0.0.1")
	cfg := &config.Config{SecretKey: "bench-secret-key-bench-secret-key-0123", BaseURL: base,
		SessionMaxAge: time.Hour, SessionIdleTimeout: time.Hour}
	a := New(cfg, d, Options{})
	u, err := auth.CreateUser(ctx, d.Bun, audit.Actor{}, auth.NewUser{Username: "bench", Roles: []string{db.RoleOperator}, Password: "bench password 1"})
	if err != nil {
		b.Fatal(err)
	}
	token, err := auth.CreateSession(ctx, d.Bun, a.sessions, u.ID, "", "", time.Now())
	if err != nil {
		b.Fatal(err)
	}

	b.Run("DailyJobsPage", func(b *testing.B) {
		for b.Loop() {
			req := httptest.NewRequest("GET", "/daily", nil)
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
			resp, err := a.Fiber().Test(req, -1)
			if err != nil || resp.StatusCode != http.StatusOK {
				b.Fatalf("daily jobs: %v %v", resp.Status, err)
			}
			resp.Body.Close()
		}
	})
	loc, _ := time.LoadLocation(o.Timezone)
	b.Run("MissedRunsFirstPass", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			if _, err := d.Bun.ExecContext(ctx, "DELETE FROM job_runs WHERE source_type = 'missed'"); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			n, err := schedule.GenerateMissedRuns(ctx, d.Bun, loc, time.Now())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(n), "missed-runs")
		}
	})
	b.Run("MissedRunsIdlePass", func(b *testing.B) {
		for b.Loop() {
			if _, err := schedule.GenerateMissedRuns(ctx, d.Bun, loc, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
