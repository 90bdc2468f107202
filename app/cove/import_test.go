package cove_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/cove"
	"github.com/backupchecks/backupchecks/app/cove/covetest"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

var ctx = context.Background()

// The test's day: Monday 9 March 2026, noon in Amsterdam.
var (
	ams, _ = time.LoadLocation("Europe/Amsterdam")
	now    = time.Date(2026, 3, 9, 12, 0, 0, 0, ams)
	// lastNight is the last session: Sunday 22:00 in Amsterdam.
	lastNight = time.Date(2026, 3, 8, 22, 0, 0, 0, ams)
	actor     = audit.Actor{Name: "tester"}
)

func options(offline bool) cove.Options {
	return cove.Options{Now: func() time.Time { return now }, Location: ams,
		Offline: cove.OfflineRule{Enabled: offline, WarningDays: 3, FailedDays: 5}}
}

func TestMapStatus(t *testing.T) {
	for _, tc := range []struct{ code, status, label string }{
		{"1", "Warning", "In process"},
		{"2", "Failed", "Failed"},
		{"3", "Failed", "Aborted"},
		{"5", "Success", "Completed"},
		{"6", "Failed", "Interrupted"},
		{"7", "Warning", "Not started"},
		{"8", "Warning", "Completed with errors"},
		{"9", "Warning", "In progress with faults"},
		{"10", "Failed", "Over quota"},
		{"11", "Warning", "No selection"},
		{"12", "Warning", "Restarted"},
		{" 5 ", "Success", "Completed"},
		{"4", "Warning", `unknown Cove status code "4"`},
		{"13", "Warning", `unknown Cove status code "13"`},
		{"abc", "Warning", `unknown Cove status code "abc"`},
		{"", "Warning", "no session status reported"},
	} {
		if s, l := cove.MapStatus(tc.code); s != tc.status || l != tc.label {
			t.Errorf("MapStatus(%q) = %q %q, want %q %q", tc.code, s, l, tc.status, tc.label)
		}
	}
}

func TestColumnsAndSources(t *testing.T) {
	for in, want := range map[string]string{"D1F00": "D01F00", "d09f15": "D09F15", "D10F0": "D10F00", "I78": "I78"} {
		if got := cove.Column(in); got != want {
			t.Errorf("Column(%q) = %q, want %q", in, got, want)
		}
	}
	if got := cove.SourceLabels("D01D10D1D19,D42"); got != "Files and Folders, MS SQL (VSS), M365 Exchange, Data source D42" {
		t.Errorf("SourceLabels = %q", got)
	}
	for _, tc := range []struct{ os, sources, want string }{
		{"2", "D01D10", cove.TypeServer},
		{"1", "D01", cove.TypeWorkstation},
		{"Workstation", "D01", cove.TypeWorkstation},
		{"", "D19D20D05D23", cove.TypeM365},
		{"2", "D19", cove.TypeM365},
		{"", "", ""},
	} {
		if got := cove.AccountType(tc.os, tc.sources); got != tc.want {
			t.Errorf("AccountType(%q, %q) = %q, want %q", tc.os, tc.sources, got, tc.want)
		}
	}
	if n := cove.DaysWithoutBackup("5555555555555555555555555000"); n != 3 {
		t.Errorf("DaysWithoutBackup = %d", n)
	}
}

// env is a database and a fake Cove with a client.
type env struct {
	t    *testing.T
	d    *db.DB
	fake *covetest.Server
	c    *cove.Client
}

func newEnv(t *testing.T, devices ...covetest.Device) *env {
	t.Helper()
	fake := covetest.New(t)
	accounts := make([]covetest.Account, len(devices))
	for i, d := range devices {
		accounts[i] = d.Account()
	}
	fake.SetAccounts(accounts)
	c, _ := newClient(t, fake, nil)
	return &env{t: t, d: dbtest.New(t), fake: fake, c: c}
}

func (e *env) importOnce(opt cove.Options) cove.ImportResult {
	e.t.Helper()
	res, err := cove.Import(ctx, e.d.Bun, e.c, opt)
	if err != nil {
		e.t.Fatalf("import: %v", err)
	}
	return res
}

func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.d.Bun.NewRaw(query, args...).Scan(ctx, &n); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (e *env) createJob(accountID int64, opt cove.Options) cove.Created {
	e.t.Helper()
	out, err := cove.CreateJobs(ctx, e.d.Bun, actor, cove.NewJob{AccountIDs: []int64{accountID}, NewCustomerName: fmt.Sprintf("Customer of %d", accountID)}, opt)
	if err != nil {
		e.t.Fatalf("create job: %v", err)
	}
	return out
}

func server(id int64, status string, at time.Time, bar string) covetest.Device {
	return covetest.Device{ID: id, Name: fmt.Sprintf("dev-%d", id), Computer: fmt.Sprintf("SRV-%d", id), Customer: "Acme",
		OSType: "2", Sources: []string{"D01", "D10"}, Status: status, LastSession: at, LastSuccess: at, ColorBar: bar}
}

const greenBar = "5555555555555555555555555550" // 27 days of backups, none yet today

// Every account is stored whether linked or not; a linked account's new session is a
// run once, however often imported; a new session is a new run.
func TestImportIsIdempotent(t *testing.T) {
	e := newEnv(t, server(1, "5", lastNight, greenBar), server(2, "8", lastNight, greenBar), server(3, "2", lastNight, ""))
	res := e.importOnce(options(false))
	if res.Accounts != 3 || res.NewAccounts != 3 || res.Runs != 0 || res.Errors != 0 {
		t.Fatalf("first import: %+v", res)
	}
	if n := e.count("SELECT count(*) FROM cove_accounts WHERE first_seen_at = last_seen_at AND session_key = ? AND backup_type = 'Server' AND data_sources = 'Files and Folders, MS SQL (VSS)'",
		strconv.FormatInt(lastNight.Unix(), 10)); n != 3 {
		t.Fatalf("%d accounts stored as sent", n)
	}

	created := e.createJob(2, options(false))
	if created.Runs != 1 || len(created.JobIDs) != 1 {
		t.Fatalf("create job: %+v", created)
	}
	job := created.JobIDs[0]
	var run struct {
		Status, Source, ExternalID, Message, Host string
		RunAt                                     time.Time
	}
	if err := e.d.Bun.NewRaw(`SELECT status, source_type AS source, external_id, message, host, run_at FROM job_runs
		WHERE job_id = ? AND NOT backfilled`, job).Scan(ctx, &run.Status, &run.Source, &run.ExternalID, &run.Message, &run.Host, &run.RunAt); err != nil {
		t.Fatal(err)
	}
	if run.Status != "Warning" || run.Source != "cove_api" || run.ExternalID != fmt.Sprintf("cove-2-%d", lastNight.Unix()) ||
		!run.RunAt.Equal(lastNight) || run.Host != "SRV-2" ||
		!strings.Contains(run.Message, "Completed with errors") || !strings.Contains(run.Message, "device dev-2, computer SRV-2, customer Acme") {
		t.Fatalf("the run: %+v", run)
	}
	var objects []string
	if err := e.d.Bun.NewRaw(`SELECT co.object_name || ' ' || l.status || ' ' || l.error_message FROM run_object_links l
		JOIN customer_objects co ON co.id = l.customer_object_id JOIN job_runs r ON r.id = l.job_run_id
		WHERE r.job_id = ? AND NOT r.backfilled ORDER BY 1`, job).Scan(ctx, &objects); err != nil {
		t.Fatal(err)
	}
	want := "Files and Folders Warning Completed with errors · session 2026-03-08 21:00 UTC; MS SQL (VSS) Warning Completed with errors · session 2026-03-08 21:00 UTC"
	if strings.Join(objects, "; ") != want {
		t.Fatalf("objects:\n got %q\nwant %q", strings.Join(objects, "; "), want)
	}

	// Imported again, unchanged: nothing new.
	res = e.importOnce(options(false))
	if res.Accounts != 3 || res.NewAccounts != 0 || res.Runs != 0 || res.Backfilled != 0 {
		t.Fatalf("second import: %+v", res)
	}
	runs := e.count("SELECT count(*) FROM job_runs")
	// A new session: one new run, once.
	e.fake.Update(2, covetest.Session("5", lastNight.Add(24*time.Hour), "D01", "D10"))
	for i, want := range []int{1, 0} {
		if res = e.importOnce(options(false)); res.Runs != want {
			t.Fatalf("import %d after a new session: %+v", i+1, res)
		}
	}
	if n := e.count("SELECT count(*) FROM job_runs"); n != runs+1 {
		t.Fatalf("%d runs, want %d", n, runs+1)
	}
	if n := e.count("SELECT unreviewed_count FROM jobs WHERE id = ? AND last_run_status = 'Success'", job); n != 2 {
		t.Fatalf("the job's summary counts %d runs to review", n)
	}
	if !strings.Contains(res.String(), "3 accounts (0 new): 0 runs created, 3 skipped, 0 errors") {
		t.Fatalf("result %q", res.String())
	}
}

// Relinking an account to another job gives that job its own runs (the same external
// ids, unique per job), and linking it back creates nothing twice.
func TestRelinkDedup(t *testing.T) {
	e := newEnv(t, server(1, "5", lastNight, greenBar))
	e.importOnce(options(false))
	first := e.createJob(1, options(false))
	j1 := first.JobIDs[0]
	// The session was last night: the bar's 26 days before it are backfilled.
	if first.Runs != 1 || first.Backfilled != 26 {
		t.Fatalf("first link: %+v", first)
	}
	if _, err := cove.Unlink(ctx, e.d.Bun, actor, 1); err != nil {
		t.Fatal(err)
	}
	if n := e.count("SELECT count(*) FROM job_runs WHERE job_id = ?", j1); n != 27 {
		t.Fatalf("unlinking left %d runs; the job keeps its history", n)
	}
	var j2 int64
	if err := e.d.Bun.NewRaw(`INSERT INTO jobs (customer_id, job_name, backup_software, backup_type)
		SELECT customer_id, 'Other', 'Cove Data Protection', 'Server' FROM jobs WHERE id = ? RETURNING id`, j1).Scan(ctx, &j2); err != nil {
		t.Fatal(err)
	}
	p, err := cove.Link(ctx, e.d.Bun, actor, 1, j2, options(false))
	if err != nil || p.Runs != 1 || p.Backfilled != 26 {
		t.Fatalf("relink to another job: %+v %v", p, err)
	}
	e.importOnce(options(false))
	if _, err := cove.Unlink(ctx, e.d.Bun, actor, 1); err != nil {
		t.Fatal(err)
	}
	p, err = cove.Link(ctx, e.d.Bun, actor, 1, j1, options(false))
	if err != nil || p.Runs != 0 || p.Backfilled != 0 {
		t.Fatalf("linked back: %+v %v", p, err)
	}
	if n := e.count("SELECT count(*) FROM job_runs WHERE job_id = ?", j1); n != 27 {
		t.Fatalf("linked back: %d runs, want the 27 it had", n)
	}
	if n := e.count("SELECT count(*) FROM (SELECT job_id, external_id FROM job_runs GROUP BY 1, 2 HAVING count(*) > 1) x"); n != 0 {
		t.Fatal("duplicate runs")
	}
	if n := e.count("SELECT count(*) FROM audit_log WHERE action IN ('cove.account_linked', 'cove.account_unlinked', 'cove.job_created')"); n != 5 {
		t.Fatalf("%d audit entries for 1 create, 2 links, 2 unlinks", n)
	}
	// Linking what cannot be linked says why.
	if _, err := cove.Link(ctx, e.d.Bun, actor, 1, j2, options(false)); err == nil || !strings.Contains(err.Error(), "linked to job") {
		t.Fatalf("linking a linked account: %v", err)
	}
}

// The first Cove run of a job brings the earlier days of the colour bar as reviewed,
// backfilled runs at the session's time of day (days without backup left out), once;
// missed runs on those days are superseded and the job has a schedule at once.
func TestColorBarBackfill(t *testing.T) {
	//          27 days ago …                      today
	bar := "0000000000000000000555825020"
	e := newEnv(t, server(1, "5", lastNight, bar))
	e.importOnce(options(false))

	// An existing job with a missed run on a day the bar shows no backup.
	var cust, job int64
	if err := e.d.Bun.NewRaw("INSERT INTO customers (name) VALUES ('Acme') RETURNING id").Scan(ctx, &cust); err != nil {
		t.Fatal(err)
	}
	if err := e.d.Bun.NewRaw(`INSERT INTO jobs (customer_id, job_name, backup_software, backup_type, created_at)
		VALUES (?, 'SRV-1', 'Cove Data Protection', 'Server', ?) RETURNING id`, cust, now.AddDate(0, -2, 0)).Scan(ctx, &job); err != nil {
		t.Fatal(err)
	}
	missedAt := time.Date(2026, 3, 7, 22, 0, 0, 0, ams)
	if _, err := e.d.Bun.ExecContext(ctx, `INSERT INTO job_runs (job_id, status, source_type, external_id, run_at)
		VALUES (?, 'Missed', 'missed', ?, ?)`, job, fmt.Sprintf("missed-%d-2026-03-07", job), missedAt); err != nil {
		t.Fatal(err)
	}

	p, err := cove.Link(ctx, e.d.Bun, actor, 1, job, options(false))
	if err != nil {
		t.Fatal(err)
	}
	// The bar's first day is 10 February, its last today (9 March); the days with a
	// backup before the session's day (8 March) are 1–6 March.
	if p.Runs != 1 || p.Backfilled != 6 {
		t.Fatalf("link: %+v", p)
	}
	var days []string
	if err := e.d.Bun.NewRaw(`SELECT to_char(run_at AT TIME ZONE 'Europe/Amsterdam', 'MM-DD HH24:MI') || ' ' || status
		FROM job_runs WHERE job_id = ? AND backfilled AND reviewed_at IS NOT NULL AND external_id LIKE 'cove-colorbar-1-%'
		ORDER BY run_at`, job).Scan(ctx, &days); err != nil {
		t.Fatal(err)
	}
	want := "03-01 22:00 Success, 03-02 22:00 Success, 03-03 22:00 Success, 03-04 22:00 Warning, 03-05 22:00 Failed, 03-06 22:00 Success"
	if strings.Join(days, ", ") != want {
		t.Fatalf("backfilled days:\n got %s\nwant %s", strings.Join(days, ", "), want)
	}
	if n := e.count("SELECT count(*) FROM job_runs WHERE job_id = ? AND source_type = 'missed' AND superseded_at IS NOT NULL", job); n != 0 {
		t.Fatal("a missed run on a day without backup was superseded")
	}
	// Processing again (the next import) adds nothing.
	e.importOnce(options(false))
	if n := e.count("SELECT count(*) FROM job_runs WHERE job_id = ? AND backfilled", job); n != 6 {
		t.Fatalf("%d backfilled runs after another import", n)
	}
}

// A missed run on a day the colour bar shows a backup gives way to the backfilled
// run, and the job's schedule is learned from the backfill at once.
func TestColorBarBackfillSupersedesAndLearns(t *testing.T) {
	e := newEnv(t, server(1, "5", lastNight, greenBar))
	e.importOnce(options(false))
	var cust, job int64
	if err := e.d.Bun.NewRaw("INSERT INTO customers (name) VALUES ('Acme') RETURNING id").Scan(ctx, &cust); err != nil {
		t.Fatal(err)
	}
	if err := e.d.Bun.NewRaw(`INSERT INTO jobs (customer_id, job_name, backup_software, backup_type) VALUES (?, 'SRV-1', 'Cove Data Protection', 'Server') RETURNING id`,
		cust).Scan(ctx, &job); err != nil {
		t.Fatal(err)
	}
	if _, err := e.d.Bun.ExecContext(ctx, `INSERT INTO job_runs (job_id, status, source_type, external_id, run_at)
		VALUES (?, 'Missed', 'missed', 'missed-x-2026-03-06', ?)`, job, time.Date(2026, 3, 6, 22, 30, 0, 0, ams)); err != nil {
		t.Fatal(err)
	}
	if _, err := cove.Link(ctx, e.d.Bun, actor, 1, job, options(false)); err != nil {
		t.Fatal(err)
	}
	if n := e.count("SELECT count(*) FROM job_runs WHERE job_id = ? AND source_type = 'missed' AND superseded_at IS NOT NULL", job); n != 1 {
		t.Fatal("the missed run on a backfilled day was not superseded")
	}
	if n := e.count("SELECT unreviewed_count FROM jobs WHERE id = ?", job); n != 1 {
		t.Fatalf("to review: %d, want only the real run", n)
	}
	if n := e.count("SELECT count(*) FROM jobs WHERE id = ? AND learned_schedule->>'kind' = 'daily' AND learned_schedule->>'time' = '22:00'", job); n != 1 {
		var s string
		_ = e.d.Bun.NewRaw("SELECT coalesce(learned_schedule::text, 'NULL') FROM jobs WHERE id = ?", job).Scan(ctx, &s)
		t.Fatalf("the schedule learned from the backfill: %s", s)
	}
}

// An offline workstation gets one Warning run, escalating in place to Failed, never
// duplicated; it clears itself when backups resume; a reviewed one is never touched.
func TestOfflineWorkstations(t *testing.T) {
	ws := covetest.Device{ID: 9, Name: "LAPTOP-09", Computer: "LAPTOP-09", Customer: "Acme", OSType: "1", Sources: []string{"D01"},
		Status: "5", LastSession: lastNight.AddDate(0, 0, -2), LastSuccess: lastNight.AddDate(0, 0, -2), ColorBar: "5555555555555555555555555000"}
	e := newEnv(t, ws)
	e.importOnce(options(true))
	job := e.createJob(9, options(true)).JobIDs[0]
	offline := func() (n int, status, msg string, reviewed bool) {
		t.Helper()
		var rows []struct {
			Status   string `bun:"status"`
			Message  string `bun:"message"`
			Reviewed bool   `bun:"reviewed"`
		}
		if err := e.d.Bun.NewRaw(`SELECT status, message, reviewed_at IS NOT NULL AS reviewed FROM job_runs
			WHERE job_id = ? AND external_id LIKE 'cove-offline-%' ORDER BY id`, job).Scan(ctx, &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			return 0, "", "", false
		}
		r := rows[len(rows)-1]
		return len(rows), r.Status, r.Message, r.Reviewed
	}
	if n, st, msg, rev := offline(); n != 1 || st != "Warning" || rev || !strings.Contains(msg, "no backup for 3 days") {
		t.Fatalf("3 days without backup: %d %s %q reviewed=%v", n, st, msg, rev)
	}
	e.importOnce(options(true))
	if n, _, _, _ := offline(); n != 1 {
		t.Fatal("imported again: the offline run was duplicated")
	}

	setBar := func(bar string) {
		e.fake.Update(9, map[string]string{"D09F08": bar})
	}
	setBar("5555555555555555555555500000")
	res := e.importOnce(options(true))
	if n, st, msg, rev := offline(); n != 1 || st != "Failed" || rev || !strings.Contains(msg, "no backup for 5 days") || res.Escalated != 1 {
		t.Fatalf("5 days: %d %s %q reviewed=%v %+v", n, st, msg, rev, res)
	}
	if n := e.count("SELECT count(*) FROM jobs WHERE id = ? AND worst_unreviewed_status = 'Failed'", job); n != 1 {
		t.Fatal("the escalation is not in the job's summary")
	}

	// Backups resume: the open run clears itself.
	e.fake.Update(9, covetest.Session("5", lastNight, "D01"))
	setBar("5555555555555555555555500050")
	res = e.importOnce(options(true))
	if n, _, msg, rev := offline(); n != 1 || !rev || !strings.Contains(msg, "Cleared: backups resumed") || res.Cleared != 1 {
		t.Fatalf("backups resumed: %d %q reviewed=%v %+v", n, msg, rev, res)
	}
	if n := e.count("SELECT count(*) FROM job_run_review_events e JOIN job_runs r ON r.id = e.job_run_id WHERE r.job_id = ? AND e.actor_name = 'Backupchecks (backups resumed)'", job); n != 1 {
		t.Fatal("no review event for the cleared run")
	}

	// Offline again; reviewed by an operator; longer offline: the reviewed run stays as it is.
	setBar("5555555555555555555555550000")
	e.importOnce(options(true))
	if n, st, _, _ := offline(); n != 2 || st != "Warning" {
		t.Fatalf("offline again: %d %s", n, st)
	}
	if _, err := e.d.Bun.ExecContext(ctx, "UPDATE job_runs SET reviewed_at = now() WHERE job_id = ? AND external_id LIKE 'cove-offline-%' AND reviewed_at IS NULL", job); err != nil {
		t.Fatal(err)
	}
	setBar("5555555555555555555555000000")
	e.importOnce(options(true))
	if n, st, msg, _ := offline(); n != 2 || st != "Warning" || !strings.Contains(msg, "4 days") {
		t.Fatalf("a reviewed offline run: %d %s %q", n, st, msg)
	}

	// Off: nothing raised.
	e2 := newEnv(t, ws)
	e2.importOnce(options(false))
	created := e2.createJob(9, options(false))
	if created.Offline != 0 || e2.count("SELECT count(*) FROM job_runs WHERE external_id LIKE 'cove-offline-%'") != 0 {
		t.Fatal("offline runs with the setting off")
	}
}

// Hostile statistics are stored as what they are: text, bounded, without NULs.
func TestImportHostileStatistics(t *testing.T) {
	e := newEnv(t)
	e.fake.SetAccounts([]covetest.Account{{ID: 5, Settings: map[string]string{
		"I1": "<script>alert(1)</script>", "I18": "PC\x00NUL", "I8": strings.Repeat("Ä", 5000), "I78": "D01D01D01",
		"D09F15": "99999999999999999999", "D09F00": "'; DROP TABLE jobs; --", "D09F08": strings.Repeat("Z", 500)}}})
	res := e.importOnce(options(true))
	if res.Accounts != 1 {
		t.Fatalf("%+v", res)
	}
	var a struct {
		Name, Computer, Customer string
		Key                      *string
	}
	if err := e.d.Bun.NewRaw("SELECT account_name, computer_name, partner_name, session_key FROM cove_accounts WHERE account_id = 5").
		Scan(ctx, &a.Name, &a.Computer, &a.Customer, &a.Key); err != nil {
		t.Fatal(err)
	}
	if a.Name != "<script>alert(1)</script>" || a.Computer != "PCNUL" || len([]rune(a.Customer)) > 2001 || a.Key != nil {
		t.Fatalf("stored %+v", a)
	}
	created := e.createJob(5, options(true))
	if created.Runs != 0 {
		t.Fatal("a run for an account without a session time")
	}
}

// The import is one at a time: a second one while one runs says so.
func TestImportOneAtATime(t *testing.T) {
	e := newEnv(t, server(1, "5", lastNight, greenBar))
	conn, err := e.d.Bun.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock(?)", cove.ImportLockKey()).Scan(&got); err != nil || !got {
		t.Fatal(err)
	}
	if _, err := cove.Import(ctx, e.d.Bun, e.c, options(false)); err != cove.ErrImportRunning {
		t.Fatalf("an import while another runs: %v", err)
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock(?)", cove.ImportLockKey()); err != nil {
		t.Fatal(err)
	}
	e.importOnce(options(false))
}

var _ bun.IDB = (*bun.DB)(nil)
