package app

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/search"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/db"
)

// searchBenchQuery is a two-term query as an operator types it: a vendor and part of
// a job's number (names of the seeded data), matching a few jobs in several sections.
const searchBenchQuery = "veeam 0042"

// benchSearch serves the app on loopback and has 5 clients (the operators of the
// target installation) load the search page at once for a two-term query; it reports
// the latency percentiles, those of one client alone, and the slowest section's SQL.
func benchSearch(b *testing.B, d *db.DB, a *App, token string) {
	ctx := context.Background()
	// An app of its own: an App serves once (the Run Checks benchmark served a).
	a = New(a.cfg, d, Options{})
	// The Run Checks benchmark has just rewritten every job's summary: vacuum the jobs
	// as autovacuum soon would, so the search is measured on the table as it usually is
	// (10,000 dead rows and their trigram index entries otherwise tip the planner from
	// the indexes to reading every job).
	if _, err := d.Bun.ExecContext(ctx, "VACUUM ANALYZE jobs"); err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Serve(sctx, ln) }()
	defer func() { stop(); <-done }()
	target := "http://" + ln.Addr().String() + "/search?" + url.Values{"q": {searchBenchQuery}}.Encode()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	get := func() (time.Duration, error) {
		req, _ := http.NewRequest("GET", target, nil)
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
	const clients, perClient = 5, 10
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
	pct := func(all []time.Duration, p float64) float64 {
		return float64(all[int(p*float64(len(all)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(all, 0.5), "p50-ms")
	b.ReportMetric(pct(all, 0.95), "p95-ms")
	// One client alone: the latency an operator sees when the others are idle.
	var alone []time.Duration
	for range 20 {
		lat, err := get()
		if err != nil {
			b.Fatal(err)
		}
		alone = append(alone, lat)
	}
	slices.Sort(alone)
	b.ReportMetric(pct(alone, 0.95), "p95-1client-ms")

	// Each section's SQL alone, one client: which one sets the pace.
	s, err := settings.Load(ctx, d.Bun)
	if err != nil {
		b.Fatal(err)
	}
	env := search.Env{Now: time.Now(), Location: settings.Location(s), Allowed: func(string, string) bool { return true }}
	var slowest time.Duration
	for _, sec := range search.Sections {
		start := time.Now()
		for range 5 {
			if _, _, err := sec.Find(ctx, d.Bun, searchBenchQuery, env, 1, search.PerPage); err != nil {
				b.Fatalf("%s: %v", sec.Key, err)
			}
		}
		took := time.Since(start) / 5
		b.Logf("section %s: %s", sec.Key, took.Round(100*time.Microsecond))
		slowest = max(slowest, took)
	}
	b.ReportMetric(float64(slowest)/float64(time.Millisecond), "slowest-section-ms")
}
