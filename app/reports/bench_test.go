package reports_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/reports"
	"github.com/backupchecks/backupchecks/app/seed"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// The figures of issue 17, run by `make bench`:
//   - a monthly PDF for one customer with 1,000 jobs (target: at most 5 s);
//   - the "all customers" monthly ZIP over the 10,000-job dataset of DESIGN.md §6,
//     with its time and peak memory.
//
// BACKUPCHECKS_BENCH_SCALE ("customers,jobs,days", default 1000,10000,730) and
// BACKUPCHECKS_BENCH_DATABASE_URL (a database seeded before, reused) work as for
// BenchmarkAtScale in package app.

var benchNow = time.Date(2026, 3, 16, 12, 0, 0, 0, time.UTC)

const benchZone = "Europe/Amsterdam"

func benchScope(b *testing.B, d *db.DB, customers []int64) reports.Scope {
	loc, _ := time.LoadLocation(benchZone)
	r, err := reports.PeriodRange(reports.PeriodPreviousMonth, benchNow, loc, reports.Day{}, reports.Day{})
	if err != nil {
		b.Fatal(err)
	}
	return reports.Scope{AllCustomers: customers == nil, CustomerIDs: customers, Range: r, Loc: loc}
}

func benchDocument() reports.Document {
	loc, _ := time.LoadLocation(benchZone)
	return reports.NewDocument(reports.Branding{CompanyName: "Bench MSP", AccentColor: "#1f5fa8", FooterText: "Benchmark"},
		loc, benchNow, reports.AllContent)
}

// countingWriter counts what a report writes, keeping nothing.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// peakHeap samples the Go heap in use every 10 ms until stopped and returns its peak.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// BenchmarkCustomerPDF1000Jobs renders the previous month's PDF of one customer with
// 1,000 jobs (figures, trend, a 1,000-row job table, the grid, the failures).
func BenchmarkCustomerPDF1000Jobs(b *testing.B) {
	ctx := context.Background()
	d := dbtest.New(b)
	res, err := seed.Generate(ctx, d.Bun, seed.Options{Customers: 1, Jobs: 1000, Days: 62, Now: benchNow, Timezone: benchZone})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d customer, %d jobs, %d runs", res.Customers, res.Jobs, res.Runs)
	var id int64
	if err := d.Bun.NewRaw("SELECT id FROM customers WHERE name LIKE 'Seed customer %'").Scan(ctx, &id); err != nil {
		b.Fatal(err)
	}
	s := benchScope(b, d, []int64{id})
	doc := benchDocument()
	var size int64
	for b.Loop() {
		w := &countingWriter{}
		if _, err := reports.Render(ctx, d.Bun, s, doc, "Monthly", reports.FormatPDF, w, nil); err != nil {
			b.Fatal(err)
		}
		size = w.n
	}
	b.ReportMetric(float64(size)/1024, "KB/pdf")
}

// BenchmarkAllCustomersMonthly renders every customer's PDF of the previous month into
// one ZIP over the target dataset, reporting the time, the ZIP's size and the peak heap.
func BenchmarkAllCustomersMonthly(b *testing.B) {
	ctx := context.Background()
	d := benchDB(b)
	s := benchScope(b, d, nil)
	doc := benchDocument()
	customers, err := reports.Customers(ctx, d.Bun, s)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("ZIP", func(b *testing.B) {
		var size int64
		var peak uint64
		for b.Loop() {
			runtime.GC()
			stop := peakHeap()
			start := time.Now()
			w := &countingWriter{}
			if _, err := reports.Render(ctx, d.Bun, s, doc, "Monthly", reports.FormatPDF, w, nil); err != nil {
				b.Fatal(err)
			}
			peak = max(peak, stop())
			size = w.n
			b.Logf("all customers: %d PDFs, %.1f MB ZIP in %s, peak heap %.0f MB", len(customers), float64(w.n)/(1<<20),
				time.Since(start).Round(time.Millisecond), float64(peak)/(1<<20))
		}
		b.ReportMetric(float64(len(customers)), "customers")
		b.ReportMetric(float64(size)/(1<<20), "MB/zip")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	})
	b.Run("CSV", func(b *testing.B) {
		var peak uint64
		for b.Loop() {
			runtime.GC()
			stop := peakHeap()
			w := &countingWriter{}
			n, err := reports.WriteCSV(ctx, d.Bun, s, w)
			if err != nil {
				b.Fatal(err)
			}
			peak = max(peak, stop())
			b.ReportMetric(float64(n), "runs")
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	})
}

// benchDB is a fresh database seeded at BACKUPCHECKS_BENCH_SCALE, or the one
// BACKUPCHECKS_BENCH_DATABASE_URL names (seeded only while it has no jobs).
func benchDB(b *testing.B) *db.DB {
	ctx := context.Background()
	o := seed.Options{Customers: 1000, Jobs: 10000, Days: 730, Now: benchNow, Timezone: benchZone}
	if v := os.Getenv("BACKUPCHECKS_BENCH_SCALE"); v != "" {
		parts := strings.Split(v, ",")
		if len(parts) != 3 {
			b.Fatalf("BACKUPCHECKS_BENCH_SCALE=%q: want customers,jobs,days", v)
		}
		o.Customers, _ = strconv.Atoi(parts[0])
		o.Jobs, _ = strconv.Atoi(parts[1])
		o.Days, _ = strconv.Atoi(parts[2])
	}
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
	res, err := seed.Generate(ctx, d.Bun, o)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d customers, %d jobs, %d runs in %s", res.Customers, res.Jobs, res.Runs, time.Since(start).Round(time.Second))
	return d
}
