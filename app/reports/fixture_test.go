package reports_test

import (
	"context"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/reports"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// fixture is a fixed dataset: three customers with non-Latin names, February 2026
// in Europe/Amsterdam, runs of every status, an override, a ticket and a remark.
type fixture struct {
	d                        *db.DB
	loc                      *time.Location
	feb                      reports.Range
	muller, stastny, lodz    int64
	nightly, exchange, nas   int64 // Müller's jobs
	failedRun, overriddenRun int64
	lodzJob, stastnyArchived int64
	userID                   int64
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{d: dbtest.New(t)}
	f.loc, _ = time.LoadLocation("Europe/Amsterdam")
	from, _ := reports.ParseDay("2026-02-01")
	to, _ := reports.ParseDay("2026-02-28")
	f.feb = reports.Range{Kind: reports.PeriodCustom, From: from, To: to}
	scan := func(q string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := f.d.Bun.NewRaw(q, args...).Scan(ctx, &id); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return id
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := f.d.Bun.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	f.userID = scan(`INSERT INTO users (username, password_hash, roles, active_role) VALUES ('rep', 'x', '{reporter}', 'reporter') RETURNING id`)
	f.muller = scan(`INSERT INTO customers (name) VALUES ('Müller GmbH') RETURNING id`)
	f.stastny = scan(`INSERT INTO customers (name) VALUES ('Šťastný s.r.o.') RETURNING id`)
	f.lodz = scan(`INSERT INTO customers (name) VALUES ('Łódź Logistics') RETURNING id`)
	scan(`INSERT INTO customers (name, active) VALUES ('Inactive Ltd', false) RETURNING id`)
	job := func(customer int64, name, software, typ string) int64 {
		return scan(`INSERT INTO jobs (customer_id, job_name, backup_software, backup_type, learned_schedule)
			VALUES (?, ?, ?, ?, '{"kind":"daily","time":"22:00"}') RETURNING id`, customer, name, software, typ)
	}
	f.nightly = job(f.muller, "Nightly VMs", "Veeam Backup & Replication", "Backup Job")
	f.exchange = job(f.muller, "Exchange Online", "Veeam Backup for Microsoft 365", "Backup Job")
	f.nas = job(f.muller, "NAS → Cloud", "Synology", "Hyper Backup")
	f.lodzJob = job(f.lodz, "Serwer plików Łódź", "Acronis Cyber Protect", "Backup")
	f.stastnyArchived = job(f.stastny, "Starý server", "Windows Server Backup", "Server Backup")
	exec(`UPDATE jobs SET archived_at = '2025-06-01' WHERE id = ?`, f.stastnyArchived)

	// Nightly VMs: every day of February at 22:00 local, Success except a Failed run on
	// the 10th, a Missed run on the 11th and a Warning on the 12th that an override made
	// a success.
	exec(`INSERT INTO job_runs (job_id, status, source_type, external_id, run_at, message)
		SELECT ?, CASE WHEN d = '2026-02-10' THEN 'Failed' WHEN d = '2026-02-12' THEN 'Warning' ELSE 'Success' END,
		       'email', 'n-' || d::date, (d::date + time '22:00') AT TIME ZONE 'Europe/Amsterdam',
		       CASE WHEN d = '2026-02-10' THEN 'Disk full on repository „Zürich“' END
		FROM generate_series('2026-02-01'::date, '2026-02-28'::date, interval '1 day') d
		WHERE d <> '2026-02-11'`, f.nightly)
	exec(`INSERT INTO job_runs (job_id, status, source_type, external_id, run_at)
		VALUES (?, 'Missed', 'missed', 'missed-x-2026-02-11', '2026-02-11 21:00:00+00')`, f.nightly)
	f.failedRun = scan(`SELECT id FROM job_runs WHERE job_id = ? AND status = 'Failed'`, f.nightly)
	f.overriddenRun = scan(`UPDATE job_runs SET overridden_status = 'Success', overridden_at = now(), remark = 'Known warning'
		WHERE job_id = ? AND status = 'Warning' RETURNING id`, f.nightly)
	// A run just before and just after February (local time) is outside the range.
	exec(`INSERT INTO job_runs (job_id, status, source_type, external_id, run_at) VALUES
		(?, 'Failed', 'email', 'before', '2026-01-31 22:59:00+00'), (?, 'Failed', 'email', 'after', '2026-02-28 23:00:00+00')`, f.nightly, f.nightly)
	// Exchange: two runs a day on the first week, all successful.
	exec(`INSERT INTO job_runs (job_id, status, source_type, external_id, run_at)
		SELECT ?, 'Success', 'email', 'e-' || g, '2026-02-01 08:00:00+00'::timestamptz + (g * interval '12 hours')
		FROM generate_series(0, 13) g`, f.exchange)
	// Łódź: one failed run with a ticket and a remark linked.
	lr := scan(`INSERT INTO job_runs (job_id, status, source_type, external_id, run_at, message)
		VALUES (?, 'Failed', 'email', 'l1', '2026-02-05 01:00:00+00', 'Błąd zapisu') RETURNING id`, f.lodzJob)
	tid := scan(`INSERT INTO tickets (ticket_code, description) VALUES ('T20260205.0001', 'Dysk pełny') RETURNING id`)
	exec(`INSERT INTO ticket_scopes (ticket_id, scope_type, job_id) VALUES (?, 'job', ?)`, tid, f.lodzJob)
	exec(`INSERT INTO ticket_job_runs (ticket_id, job_run_id) VALUES (?, ?)`, tid, lr)
	rid := scan(`INSERT INTO remarks (body) VALUES ('Klient wymienia dysk') RETURNING id`)
	exec(`INSERT INTO remark_job_runs (remark_id, job_run_id) VALUES (?, ?)`, rid, lr)
	return f
}

func (f *fixture) scope(customers ...int64) reports.Scope {
	return reports.Scope{CustomerIDs: customers, AllCustomers: len(customers) == 0, Range: f.feb, Loc: f.loc}
}

func (f *fixture) build(t testing.TB, s reports.Scope) []reports.Report {
	t.Helper()
	ctx := context.Background()
	cs, err := reports.Customers(ctx, f.d.Bun, s)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := reports.Build(ctx, f.d.Bun, s, cs)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}
