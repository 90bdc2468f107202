package cove_test

import (
	"testing"

	"github.com/backupchecks/backupchecks/app/cove"
	"github.com/backupchecks/backupchecks/app/cove/covetest"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// Benchmark figures (issue 14): 5,000 accounts (20 pages of 250) imported and upserted
// within 10 seconds on the reference machine, and a second, unchanged import creating
// nothing. A tenth of the accounts are linked to jobs, so the first import also makes
// their runs (each job's first: the session and the colour bar's 26 earlier days).
const (
	benchAccounts = 5000
	benchLinked   = 500
)

// benchSetup is a database with the linked accounts' jobs (as a jobs import makes
// them before the first poll) and a fake Cove serving the fleet.
func benchSetup(b *testing.B) (*db.DB, *cove.Client) {
	b.Helper()
	d := dbtest.New(b)
	fake := covetest.New(b)
	fake.SetAccounts(covetest.Fleet(benchAccounts, lastNight))
	if _, err := d.Bun.ExecContext(ctx, `
		WITH c AS (INSERT INTO customers (name) SELECT 'Customer ' || g FROM generate_series(1, ?) g RETURNING id, name)
		INSERT INTO jobs (customer_id, job_name, backup_software, backup_type, cove_account_id)
		SELECT c.id, 'device-' || lpad(a::text, 5, '0'), 'Cove Data Protection', 'Server', 100000 + a
		FROM generate_series(0, ? - 1) a JOIN c ON c.name = 'Customer ' || (a / 10 + 1)`, benchLinked/10, benchLinked); err != nil {
		b.Fatal(err)
	}
	c, err := cove.New(cove.Config{URL: fake.URL, Username: covetest.Username, Password: covetest.Password})
	if err != nil {
		b.Fatal(err)
	}
	return d, c
}

// BenchmarkCoveImport: the first import of 5,000 accounts (every one new, the linked
// ones' runs made), then the unchanged import that creates nothing.
func BenchmarkCoveImport(b *testing.B) {
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			d, c := benchSetup(b)
			b.StartTimer()
			res, err := cove.Import(ctx, d.Bun, c, options(false))
			if err != nil {
				b.Fatal(err)
			}
			if res.Accounts != benchAccounts || res.NewAccounts != benchAccounts || res.Runs != benchLinked || res.Backfilled != 26*benchLinked {
				b.Fatalf("first import: %s", res)
			}
		}
		b.ReportMetric(float64(benchAccounts)*float64(b.N)/b.Elapsed().Seconds(), "accounts/s")
	})
	b.Run("unchanged", func(b *testing.B) {
		d, c := benchSetup(b)
		if _, err := cove.Import(ctx, d.Bun, c, options(false)); err != nil {
			b.Fatal(err)
		}
		var runs int
		count := func() int {
			var n int
			if err := d.Bun.NewRaw("SELECT count(*) FROM job_runs").Scan(ctx, &n); err != nil {
				b.Fatal(err)
			}
			return n
		}
		runs = count()
		for b.Loop() {
			res, err := cove.Import(ctx, d.Bun, c, options(false))
			if err != nil {
				b.Fatal(err)
			}
			if res.Accounts != benchAccounts || res.NewAccounts != 0 || res.Runs+res.Backfilled != 0 {
				b.Fatalf("unchanged import: %s", res)
			}
		}
		if n := count(); n != runs {
			b.Fatalf("unchanged imports made %d runs", n-runs)
		}
		b.ReportMetric(float64(benchAccounts)*float64(b.N)/b.Elapsed().Seconds(), "accounts/s")
	})
}

// TestCoveImportBenchShape keeps the benchmark's setup honest in the normal test run,
// at a small scale: the linked jobs take the runs, the unchanged import none.
func TestCoveImportBenchShape(t *testing.T) {
	d := dbtest.New(t)
	fake := covetest.New(t)
	fake.SetAccounts(covetest.Fleet(40, lastNight))
	if _, err := d.Bun.ExecContext(ctx, `
		WITH c AS (INSERT INTO customers (name) VALUES ('Customer 1') RETURNING id)
		INSERT INTO jobs (customer_id, job_name, backup_software, backup_type, cove_account_id)
		SELECT c.id, 'device-' || a, 'Cove Data Protection', 'Server', 100000 + a FROM generate_series(0, 9) a, c`); err != nil {
		t.Fatal(err)
	}
	c, _ := newClient(t, fake, nil)
	for i, want := range []string{
		"40 accounts (40 new): 10 runs created, 30 skipped, 0 errors; 260 days backfilled from colour bars",
		"40 accounts (0 new): 0 runs created, 40 skipped, 0 errors",
	} {
		res, err := cove.Import(ctx, d.Bun, c, options(false))
		if err != nil {
			t.Fatal(err)
		}
		if got := res.String(); got != want {
			t.Fatalf("import %d: %q, want %q", i+1, got, want)
		}
	}
}
