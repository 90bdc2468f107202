package jobs_test

import (
	"testing"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/jobs"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// TestDeleteAll: deleting every job leaves no row that refers to a job or a run in any
// table (found from the foreign keys in the catalog, so tables added later are
// covered), returns every mail to the Inbox, unlinks Cloud Connect tenants and Cove
// accounts (which stay), and keeps customers, tickets, remarks, their customer scopes
// and global overrides. The counts are returned and audited.
func TestDeleteAll(t *testing.T) {
	d := dbtest.New(t)
	ctx := t.Context()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := d.Bun.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// Two customers; three jobs: a mail job, an archived one, a Cove one; a fourth
	// with a Cloud Connect tenant. Each with runs, objects, mails.
	exec(`INSERT INTO customers (name) VALUES ('Acme'), ('Globex')`)
	exec(`INSERT INTO cove_accounts (account_id, account_name) VALUES (4711, 'ACME-PC')`)
	exec(`INSERT INTO jobs (customer_id, job_name, backup_software, backup_type, from_address, cove_account_id, archived_at)
		SELECT c.id, v.name, 'Veeam', 'Backup', v.sender, v.cove, v.archived
		FROM customers c JOIN (VALUES ('Acme', 'Nightly', 'veeam@acme.example', NULL::bigint, NULL::timestamptz),
		                              ('Acme', 'Old', 'old@acme.example', NULL, now()),
		                              ('Acme', 'Laptop', NULL, 4711, NULL),
		                              ('Globex', 'Tenant', NULL, NULL, NULL)) v(customer, name, sender, cove, archived) ON v.customer = c.name`)
	exec(`INSERT INTO cloud_connect_accounts (user_name, job_id) SELECT 'globex', id FROM jobs WHERE job_name = 'Tenant'`)
	exec(`INSERT INTO mail_messages (source, size, raw_mime, subject, received_at, location, job_id)
		SELECT 'upload', 10, 'x', 'Report ' || j.job_name, now(), 'processed', j.id FROM jobs j WHERE j.from_address IS NOT NULL`)
	exec(`INSERT INTO mail_messages (source, size, raw_mime, subject, received_at) VALUES ('upload', 10, 'x', 'Unknown', now())`)
	exec(`INSERT INTO job_runs (job_id, status, source_type, external_id, run_at, mail_message_id)
		SELECT j.id, 'Failed', 'email', 'r' || g, now() - g * interval '1 day', (SELECT id FROM mail_messages m WHERE m.job_id = j.id)
		FROM jobs j CROSS JOIN generate_series(1, 3) g`)
	exec(`INSERT INTO customer_objects (customer_id, object_name) SELECT id, 'vm01' FROM customers`)
	exec(`INSERT INTO job_object_links (job_id, customer_object_id) SELECT j.id, o.id FROM jobs j JOIN customer_objects o ON o.customer_id = j.customer_id`)
	exec(`INSERT INTO run_object_links (job_run_id, customer_object_id, status)
		SELECT r.id, o.id, 'Failed' FROM job_runs r JOIN jobs j ON j.id = r.job_id JOIN customer_objects o ON o.customer_id = j.customer_id`)
	exec(`INSERT INTO job_run_review_events (job_run_id, action) SELECT id, 'reviewed' FROM job_runs`)
	exec(`INSERT INTO tickets (ticket_code) VALUES ('T1'), ('T2')`)
	exec(`INSERT INTO remarks (body) VALUES ('Moving the NAS')`)
	exec(`INSERT INTO ticket_scopes (ticket_id, scope_type, job_id) SELECT t.id, 'job', j.id FROM tickets t, jobs j WHERE t.ticket_code = 'T1'`)
	exec(`INSERT INTO ticket_scopes (ticket_id, scope_type, customer_id) SELECT t.id, 'customer', c.id FROM tickets t, customers c WHERE t.ticket_code = 'T2'`)
	exec(`INSERT INTO ticket_scopes (ticket_id, scope_type, customer_object_id, job_id) SELECT t.id, 'object', o.id, o2.job_id
		FROM tickets t, customer_objects o JOIN job_object_links o2 ON o2.customer_object_id = o.id WHERE t.ticket_code = 'T2' LIMIT 1`)
	exec(`INSERT INTO remark_scopes (remark_id, scope_type, job_id) SELECT r.id, 'job', j.id FROM remarks r, jobs j`)
	exec(`INSERT INTO ticket_job_runs (ticket_id, job_run_id) SELECT t.id, r.id FROM tickets t, job_runs r`)
	exec(`INSERT INTO remark_job_runs (remark_id, job_run_id) SELECT m.id, r.id FROM remarks m, job_runs r`)
	exec(`INSERT INTO overrides (level, job_id, match_status) SELECT 'object', id, 'Failed' FROM jobs`)
	exec(`INSERT INTO overrides (level, match_status) VALUES ('global', 'Warning')`)
	exec(`UPDATE job_runs SET override_id = (SELECT id FROM overrides WHERE level = 'global'), overridden_status = 'Success'`)
	exec(`INSERT INTO job_match_rules (job_id, from_address, subject_pattern) SELECT id, from_address, job_name || ' *' FROM jobs WHERE from_address IS NOT NULL`)

	n, err := jobs.DeleteAll(ctx, d.Bun, audit.Actor{Name: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	want := jobs.DeletedAll{Jobs: 4, Runs: 12, MailsToInbox: 2, CloudConnectUnlinked: 1, CoveUnlinked: 1, ReviewEvents: 12,
		TicketAndRemarkLinks: 36, ObjectLinks: 16, TicketAndRemarkScopes: 9, ObjectLevelOverrides: 4, MatchRules: 2}
	if n != want {
		t.Fatalf("counts %+v\nwant   %+v", n, want)
	}

	// No row anywhere refers to a job or a run any more.
	var refs []struct {
		Table  string `bun:"tbl"`
		Column string `bun:"col"`
	}
	if err := d.Bun.NewRaw(`
		SELECT c.conrelid::regclass::text AS tbl, a.attname AS col
		FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		WHERE c.contype = 'f' AND c.confrelid IN ('jobs'::regclass, 'job_runs'::regclass)`).Scan(ctx, &refs); err != nil {
		t.Fatal(err)
	}
	if len(refs) < 10 {
		t.Fatalf("only %d foreign keys to jobs and runs found: %v", len(refs), refs)
	}
	for _, r := range refs {
		var left int
		if err := d.Bun.NewRaw("SELECT count(*) FROM "+r.Table+" WHERE "+r.Column+" IS NOT NULL").Scan(ctx, &left); err != nil {
			t.Fatal(err)
		}
		if left != 0 {
			t.Errorf("%d rows of %s still refer to a job or run by %s", left, r.Table, r.Column)
		}
	}
	for _, table := range []string{"jobs", "job_runs", "job_object_links", "run_object_links", "job_run_review_events", "ticket_job_runs", "remark_job_runs", "job_match_rules"} {
		var left int
		_ = d.Bun.NewRaw("SELECT count(*) FROM "+table).Scan(ctx, &left)
		if left != 0 {
			t.Errorf("%d rows left in %s", left, table)
		}
	}
	var kept struct {
		Inbox, Mails, Customers, Tickets, Remarks, CustomerScopes, Global, Tenants, Cove int
	}
	if err := d.Bun.NewRaw(`SELECT
		(SELECT count(*) FROM mail_messages WHERE location = 'inbox' AND job_id IS NULL), (SELECT count(*) FROM mail_messages),
		(SELECT count(*) FROM customers), (SELECT count(*) FROM tickets), (SELECT count(*) FROM remarks),
		(SELECT count(*) FROM ticket_scopes WHERE scope_type = 'customer'), (SELECT count(*) FROM overrides WHERE level = 'global'),
		(SELECT count(*) FROM cloud_connect_accounts), (SELECT count(*) FROM cove_accounts)`).
		Scan(ctx, &kept.Inbox, &kept.Mails, &kept.Customers, &kept.Tickets, &kept.Remarks, &kept.CustomerScopes, &kept.Global, &kept.Tenants, &kept.Cove); err != nil {
		t.Fatal(err)
	}
	if kept.Inbox != 3 || kept.Mails != 3 || kept.Customers != 2 || kept.Tickets != 2 || kept.Remarks != 1 ||
		kept.CustomerScopes != 2 || kept.Global != 1 || kept.Tenants != 1 || kept.Cove != 1 {
		t.Fatalf("kept %+v", kept)
	}
	p, _ := audit.Search(ctx, d.Bun, audit.Filter{Type: "jobs.deleted_all"}, 1, 5)
	if len(p.Entries) != 1 || p.Entries[0].Details["runs"] != float64(12) {
		t.Fatalf("audit: %+v", p.Entries)
	}
}

// TestDeleteOneSharesTheSteps: Delete (one job) goes through the same steps as
// DeleteAll, restricted to its job: the other job keeps every row.
func TestDeleteOneSharesTheSteps(t *testing.T) {
	d := dbtest.New(t)
	ctx := t.Context()
	for _, q := range []string{
		`INSERT INTO customers (name) VALUES ('Acme')`,
		`INSERT INTO jobs (customer_id, job_name, backup_software, backup_type, from_address)
		 SELECT id, n, 'Veeam', 'Backup', lower(n) || '@acme.example' FROM customers, (VALUES ('Nightly'), ('Weekly')) v(n)`,
		`INSERT INTO mail_messages (source, size, raw_mime, received_at, location, job_id) SELECT 'upload', 1, 'x', now(), 'processed', id FROM jobs`,
		`INSERT INTO job_runs (job_id, status, run_at) SELECT j.id, 'Success', now() - g * interval '1 day' FROM jobs j, generate_series(1, 4) g`,
		`INSERT INTO job_run_review_events (job_run_id, action) SELECT id, 'reviewed' FROM job_runs`,
		`INSERT INTO cloud_connect_accounts (user_name, job_id) SELECT job_name, id FROM jobs`,
	} {
		if _, err := d.Bun.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var nightly int64
	_ = d.Bun.NewRaw("SELECT id FROM jobs WHERE job_name = 'Nightly'").Scan(ctx, &nightly)
	res, err := jobs.Delete(ctx, d.Bun, audit.Actor{Name: "admin"}, nightly)
	if err != nil || res.Runs != 4 || res.MailsToInbox != 1 || res.JobName != "Nightly" {
		t.Fatalf("delete: %+v %v", res, err)
	}
	var left string
	if err := d.Bun.NewRaw(`SELECT concat_ws(',', (SELECT string_agg(job_name, '') FROM jobs), (SELECT count(*) FROM job_runs),
		(SELECT count(*) FROM job_run_review_events), (SELECT count(*) FROM mail_messages WHERE location = 'inbox'),
		(SELECT count(*) FROM cloud_connect_accounts WHERE job_id IS NOT NULL), (SELECT count(*) FROM cloud_connect_accounts))`).Scan(ctx, &left); err != nil {
		t.Fatal(err)
	}
	if left != "Weekly,4,4,1,1,2" {
		t.Fatalf("left %s, want Weekly,4,4,1,1,2", left)
	}
}
