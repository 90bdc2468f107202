package app

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/app/config"
	"github.com/backupchecks/backupchecks/app/review"
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
		for i, s := range strings.Split(v, ",") {
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

// benchDB is a fresh database seeded at benchScale, or, when BACKUPCHECKS_BENCH_DATABASE_URL
// names one, that database (migrated; seeded only while it has no jobs), so repeated
// runs skip minutes of seeding. The benchmark changes review marks and missed runs there.
func benchDB(b *testing.B) *db.DB {
	ctx := context.Background()
	var d *db.DB
	if u := os.Getenv("BACKUPCHECKS_BENCH_DATABASE_URL"); u != "" {
		var err error
		if d, err = db.Open(ctx, u); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(d.Close)
		if err := db.Migrate(ctx, d); err != nil {
			b.Fatal(err)
		}
		var jobs int
		if err := d.Bun.NewRaw("SELECT count(*) FROM jobs").Scan(ctx, &jobs); err != nil {
			b.Fatal(err)
		}
		if jobs > 0 {
			b.Logf("reusing %d jobs in BACKUPCHECKS_BENCH_DATABASE_URL", jobs)
			return d
		}
	} else {
		d = dbtest.New(b)
	}
	start := time.Now()
	res, err := seed.Generate(ctx, d.Bun, benchScale(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d customers, %d jobs, %d runs in %s", res.Customers, res.Jobs, res.Runs, time.Since(start).Round(time.Second))
	return d
}

// BenchmarkAtScale seeds the target dataset once (minutes: ≈7M runs by default) and
// measures the Daily Jobs page (server time: handler, queries and rendering of today,
// 100 rows), Run Checks and the global search under concurrent clients, and one
// missed-run generation pass over all jobs.
func BenchmarkAtScale(b *testing.B) {
	ctx := context.Background()
	d := benchDB(b)
	o := benchScale(b)

	base, _ := url.Parse("http://127.0.0.1")
	cfg := &config.Config{SecretKey: "bench-secret-key-bench-secret-key-0123", BaseURL: base,
		SessionMaxAge: time.Hour, SessionIdleTimeout: time.Hour}
	a := New(cfg, d, Options{})
	u, err := auth.CreateUser(ctx, d.Bun, audit.Actor{}, auth.NewUser{Username: fmt.Sprintf("bench-%d", time.Now().UnixNano()), Roles: []string{db.RoleOperator}, Password: "bench password 1"})
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
	b.Run("RunChecksPage16Clients", func(b *testing.B) { benchRunChecks(b, d, a, token) })
	b.Run("SearchTwoTerms5Clients", func(b *testing.B) { benchSearch(b, d, a, token) })
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

// benchRunChecks leaves about 2,000 runs to review (as on a busy morning), serves the
// app on loopback and has 16 clients load the first Run Checks page at once; it reports
// the latency percentiles and their ratio to the queue's SQL alone.
func benchRunChecks(b *testing.B, d *db.DB, a *App, token string) {
	ctx := context.Background()
	// The seed leaves its last two days to review; of those, every ninth run stays (about 2,000).
	// Written so that a reused database (BACKUPCHECKS_BENCH_DATABASE_URL) gets the same
	// queue again: missed runs of earlier passes go, and earlier marks are reset.
	for _, q := range []string{
		`DELETE FROM job_runs WHERE source_type = 'missed'`,
		`UPDATE job_runs SET reviewed_at = CASE WHEN id % 9 = 0 THEN NULL ELSE coalesce(reviewed_at, now()) END
		 WHERE run_at >= (SELECT max(run_at) FROM job_runs) - interval '2 days'`,
	} {
		if _, err := d.Bun.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	var jobIDs []int64
	if err := d.Bun.NewRaw("SELECT id FROM jobs").Scan(ctx, &jobIDs); err != nil {
		b.Fatal(err)
	}
	if err := review.RecountJobSummaries(ctx, d.Bun, jobIDs); err != nil {
		b.Fatal(err)
	}
	var unreviewed int
	_ = d.Bun.NewRaw("SELECT count(*) FROM job_runs WHERE reviewed_at IS NULL AND superseded_at IS NULL").Scan(ctx, &unreviewed)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Serve(sctx, ln) }()
	defer func() { stop(); <-done }()
	url := "http://" + ln.Addr().String() + "/runchecks"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	// BENCH_FRAGMENT=1 measures the htmx refresh (the list only) instead of the full page.
	fragment := os.Getenv("BENCH_FRAGMENT") != ""
	get := func() (time.Duration, error) {
		req, _ := http.NewRequest("GET", url, nil)
		if fragment {
			req.Header.Set("HX-Request", "true")
		}
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("status %d", resp.StatusCode)
		}
		return time.Since(start), nil
	}
	if _, err := get(); err != nil { // warm up
		b.Fatal(err)
	}
	const clients, perClient = 16, 10
	var all []time.Duration
	for b.Loop() {
		var mu sync.Mutex
		var wg sync.WaitGroup
		var firstErr error
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range perClient {
					lat, err := get()
					mu.Lock()
					if err != nil && firstErr == nil {
						firstErr = err
					}
					all = append(all, lat)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if firstErr != nil {
			b.Fatal(firstErr)
		}
	}
	slices.Sort(all)
	pct := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))]) / float64(time.Millisecond) }
	// The queue's SQL alone, one client.
	var sqlTotal time.Duration
	const sqlRuns = 20
	for range sqlRuns {
		start := time.Now()
		if _, _, err := review.Queue(ctx, d.Bun, review.QueueFilter{Page: 1, PerPage: runChecksPerPage}); err != nil {
			b.Fatal(err)
		}
		sqlTotal += time.Since(start)
	}
	sqlMS := float64(sqlTotal) / sqlRuns / float64(time.Millisecond)
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(sqlMS, "sql-ms")
	b.ReportMetric(pct(0.5)/sqlMS, "p50/sql")
	b.ReportMetric(float64(unreviewed), "unreviewed-runs")
}
