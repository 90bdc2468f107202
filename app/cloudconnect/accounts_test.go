package cloudconnect_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/cloudconnect"
	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

var ctx = context.Background()

var actor = audit.Actor{Name: "operator"}

// report is the parsers' fixture report as a mailbox delivers it; edit changes its HTML
// (another day's report), and the Message-ID follows the source id.
func report(t *testing.T, sourceID string, received time.Time, edit ...string) mail.Message {
	t.Helper()
	raw, err := os.ReadFile("../parsers/testdata/cloudconnect/report-all-sections.eml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(raw), "cc-report-20260304@", sourceID+"@", 1)
	for i := 0; i+1 < len(edit); i += 2 {
		if !strings.Contains(s, edit[i]) {
			t.Fatalf("the fixture has no %q", edit[i])
		}
		s = strings.Replace(s, edit[i], edit[i+1], 1)
	}
	return mail.Message{SourceID: sourceID, ReceivedAt: received, Raw: []byte(s), Size: int64(len(s))}
}

func store(t *testing.T, d *db.DB, reg *parsers.Registry, msgs ...mail.Message) []ingest.Stored {
	t.Helper()
	out, err := ingest.StoreBatch(ctx, d.Bun, reg, db.SourceGraph, msgs, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Bun.NewRaw(q, args...).Scan(ctx, &n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func accountID(t *testing.T, d *db.DB, user, section, repo string) int64 {
	t.Helper()
	var id int64
	if err := d.Bun.NewRaw("SELECT id FROM cloud_connect_accounts WHERE user_name = ? AND section = ? AND repo_name = ?",
		user, section, repo).Scan(ctx, &id); err != nil {
		t.Fatalf("account %s/%s/%s: %v", user, section, repo, err)
	}
	return id
}

type runOf struct {
	ID         int64     `bun:"id"`
	Status     string    `bun:"status"`
	Source     string    `bun:"source_type"`
	ExternalID string    `bun:"external_id"`
	RunAt      time.Time `bun:"run_at"`
	MailID     int64     `bun:"mail_message_id"`
	Message    string    `bun:"message"`
	Object     string    `bun:"object"`
}

func runsOf(t *testing.T, d *db.DB, jobID int64) []runOf {
	t.Helper()
	var out []runOf
	if err := d.Bun.NewRaw(`SELECT r.id, r.status, r.source_type, r.external_id, r.run_at, r.mail_message_id,
			coalesce(r.message, '') AS message,
			coalesce((SELECT co.object_name || ' [' || co.object_type || '] ' || l.status || ' ' || coalesce(l.error_message, '')
			          FROM run_object_links l JOIN customer_objects co ON co.id = l.customer_object_id WHERE l.job_run_id = r.id), '') AS object
		FROM job_runs r WHERE r.job_id = ? ORDER BY r.run_at, r.id`, jobID).Scan(ctx, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAccountsAndRuns: a report's rows become accounts (a user with two repositories is
// two); creating a job for one and linking another to an existing job makes their runs
// from the stored report at once; the same day's report imported again updates those
// runs; the next day's is a new run; unlink stops runs and relinking makes them for the
// new job; the rules change statuses with a scan.
func TestAccountsAndRuns(t *testing.T) {
	d := dbtest.New(t)
	reg := parsers.Default()
	day1 := time.Date(2026, 3, 4, 5, 0, 12, 0, time.UTC) // 06:00 in Amsterdam

	stored := store(t, d, reg, report(t, "r1", day1))
	if stored[0].Outcome() != ingest.OutcomeAccountReport {
		t.Fatalf("the report: %+v", stored[0])
	}
	mail1 := stored[0].MailID
	if n := count(t, d, "SELECT count(*) FROM cloud_connect_accounts"); n != 12 {
		t.Fatalf("%d accounts, want 12", n)
	}
	if n := count(t, d, "SELECT count(*) FROM cloud_connect_report_rows WHERE mail_message_id = ?", mail1); n != 12 {
		t.Fatalf("%d stored rows", n)
	}
	if n := count(t, d, "SELECT count(*) FROM mail_messages WHERE id = ? AND location = 'processed' AND job_id IS NULL", mail1); n != 1 {
		t.Fatal("the report is still in the Inbox")
	}
	if n := count(t, d, "SELECT count(*) FROM job_runs"); n != 0 {
		t.Fatalf("%d runs before anything is linked", n)
	}

	page, err := cloudconnect.List(ctx, d.Bun, cloudconnect.Filter{PerPage: 50})
	if err != nil {
		t.Fatal(err)
	}
	if page.Unlinked != 12 || page.Linked != 0 || page.Total != 12 || page.Rows[0].User != "tenant-alpha" {
		t.Fatalf("page: %+v", page)
	}
	std := accountID(t, d, "tenant-charlie", "Backup", "Standard")
	imm := accountID(t, d, "tenant-charlie", "Backup", "Immutable")
	echo := accountID(t, d, "tenant-echo", "Backup", "")
	fox := accountID(t, d, "tenant-foxtrot", "Backup", "Cloud Repo 01")
	acc, err := cloudconnect.Get(ctx, d.Bun, fox)
	if err != nil {
		t.Fatal(err)
	}
	// White in the report, but 95% of its quota used: the quota alert (default 90%).
	if acc.ReportedStatus != "Success" || acc.Status != "Warning" || acc.Message != "95% of the quota used (95 GB of 100 GB; alert at 90%)" ||
		acc.QuotaText != "100 GB" || *acc.UsedBytes != 95<<30 || acc.LastActiveAt == nil {
		t.Fatalf("foxtrot: %+v", acc)
	}

	// Create job: a new customer, the job named as suggested; the stored report is its
	// first run at once.
	a, err := cloudconnect.Get(ctx, d.Bun, std)
	if err != nil {
		t.Fatal(err)
	}
	if a.SuggestedJobName() != "tenant-charlie - Standard" {
		t.Fatalf("suggested name %q", a.SuggestedJobName())
	}
	if _, err := cloudconnect.CreateJob(ctx, d.Bun, actor, std, cloudconnect.NewJob{NewCustomerName: " ", JobName: ""}); !hasFields(err, "customer_name", "job_name") {
		t.Fatalf("empty form: %v", err)
	}
	created, err := cloudconnect.CreateJob(ctx, d.Bun, actor, std, cloudconnect.NewJob{NewCustomerName: "Charlie BV", JobName: a.SuggestedJobName()})
	if err != nil {
		t.Fatal(err)
	}
	if created.Runs != 1 || created.JobLabel != "Charlie BV / tenant-charlie - Standard" {
		t.Fatalf("created: %+v", created)
	}
	stdJob := created.JobID
	if n := count(t, d, "SELECT count(*) FROM jobs WHERE id = ? AND backup_software = 'Veeam Cloud Connect' AND backup_type = 'Backup' AND from_address IS NULL", stdJob); n != 1 {
		t.Fatal("the job's software and type")
	}
	runs := runsOf(t, d, stdJob)
	want := runOf{Status: "Failed", Source: "cloud_connect", ExternalID: "vcc-tenant-charlie-backup-standard-2026-03-04", MailID: mail1,
		Message: "Veeam marks this tenant red in the Cloud Connect report",
		Object:  "tenant-charlie / Standard [cloud_connect_repo] Failed used 1.2 TB of 2 TB (60%), 819.2 GB free"}
	if len(runs) != 1 || !runs[0].RunAt.Equal(day1) {
		t.Fatalf("runs of the new job: %+v", runs)
	}
	want.ID, want.RunAt = runs[0].ID, runs[0].RunAt
	if runs[0] != want {
		t.Fatalf("run:\n got %+v\nwant %+v", runs[0], want)
	}
	stdRun := runs[0].ID

	// Link to an existing job; a job linked to another account is refused.
	var cust, other int64
	if err := d.Bun.NewRaw("SELECT customer_id FROM jobs WHERE id = ?", stdJob).Scan(ctx, &cust); err != nil {
		t.Fatal(err)
	}
	if err := d.Bun.NewRaw(`INSERT INTO jobs (customer_id, job_name, backup_software, backup_type) VALUES (?, 'Immutable copy', 'Veeam Cloud Connect', 'Backup') RETURNING id`,
		cust).Scan(ctx, &other); err != nil {
		t.Fatal(err)
	}
	if _, err := cloudconnect.Link(ctx, d.Bun, actor, imm, stdJob); !hasFields(err, "job_id") {
		t.Fatalf("linking to a linked job: %v", err)
	}
	linked, err := cloudconnect.Link(ctx, d.Bun, actor, imm, other)
	if err != nil || linked.Runs != 1 {
		t.Fatalf("link: %+v %v", linked, err)
	}
	if r := runsOf(t, d, other); len(r) != 1 || r[0].Status != "Warning" || r[0].ExternalID != "vcc-tenant-charlie-backup-immutable-2026-03-04" {
		t.Fatalf("runs of the linked job: %+v", r)
	}
	// The empty repo name is an account of its own too.
	if _, err := cloudconnect.CreateJob(ctx, d.Bun, actor, echo, cloudconnect.NewJob{CustomerID: cust, JobName: "Echo"}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, d, "SELECT count(*) FROM job_runs WHERE external_id = 'vcc-tenant-echo-backup--2026-03-04' AND status = 'Warning'"); n != 1 {
		t.Fatal("the run of the account without a repo name")
	}

	// The same day's report again, later, with Standard no longer red (one cell lost its
	// colour, so not every cell has one): the same run, updated; the job's summary follows.
	later := day1.Add(6 * time.Hour)
	again := report(t, "r1-again", later,
		`<tr><td style="background-color: #FF9999;">tenant-charlie</td>`, `<tr><td>tenant-charlie</td>`)
	againMail := store(t, d, reg, again)[0].MailID
	runs = runsOf(t, d, stdJob)
	if len(runs) != 1 || runs[0].ID != stdRun || runs[0].MailID != againMail || !runs[0].RunAt.Equal(later) {
		t.Fatalf("the same day's report again: %+v", runs)
	}
	if runs[0].Status != "Success" || runs[0].Message != "" {
		t.Fatalf("updated status: %+v", runs[0])
	}
	if n := count(t, d, "SELECT count(*) FROM jobs WHERE id = ? AND last_run_status = 'Success' AND worst_unreviewed_status = 'Success' AND unreviewed_count = 1", stdJob); n != 1 {
		t.Fatal("the job's summary did not follow the update")
	}

	// The older report read again (a scan) does not put the older result back.
	res, err := cloudconnect.ScanInbox(ctx, d.Bun, reg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Reports != 2 || res.Accounts != 12 || res.Unlinked != 9 || res.Found != 0 {
		t.Fatalf("scan: %+v", res)
	}
	if r := runsOf(t, d, stdJob); len(r) != 1 || r[0].Status != "Success" || r[0].MailID != againMail {
		t.Fatalf("after a scan: %+v", r)
	}
	if n := count(t, d, "SELECT count(*) FROM job_runs"); n != 3 {
		t.Fatalf("%d runs after the scan, want 3", n)
	}

	// The next day: a new run.
	day2 := day1.Add(24 * time.Hour)
	store(t, d, reg, report(t, "r2", day2))
	if r := runsOf(t, d, stdJob); len(r) != 2 || r[1].ExternalID != "vcc-tenant-charlie-backup-standard-2026-03-05" || r[1].Status != "Failed" {
		t.Fatalf("the next day: %+v", r)
	}

	// Unlink: the job keeps its runs; the next report makes none.
	if err := cloudconnect.Unlink(ctx, d.Bun, actor, std); err != nil {
		t.Fatal(err)
	}
	if err := cloudconnect.Unlink(ctx, d.Bun, actor, std); !hasFields(err, "form") {
		t.Fatalf("unlinking twice: %v", err)
	}
	store(t, d, reg, report(t, "r3", day2.Add(24*time.Hour)))
	if r := runsOf(t, d, stdJob); len(r) != 2 {
		t.Fatalf("runs after unlink: %+v", r)
	}
	// Relink to another job: its runs come from every stored report at once.
	var third int64
	if err := d.Bun.NewRaw(`INSERT INTO jobs (customer_id, job_name, backup_software, backup_type) VALUES (?, 'Standard (new)', 'Veeam Cloud Connect', 'Backup') RETURNING id`,
		cust).Scan(ctx, &third); err != nil {
		t.Fatal(err)
	}
	relinked, err := cloudconnect.Link(ctx, d.Bun, actor, std, third)
	if err != nil || relinked.Runs != 3 {
		t.Fatalf("relink: %+v %v", relinked, err)
	}
	if r := runsOf(t, d, third); len(r) != 3 || r[0].Status != "Success" || r[1].Status != "Failed" {
		t.Fatalf("runs of the relinked job: %+v", r)
	}
	if r := runsOf(t, d, stdJob); len(r) != 2 {
		t.Fatalf("the old job lost runs: %+v", r)
	}
	if n := count(t, d, "SELECT count(*) FROM audit_log WHERE action LIKE 'cloud_connect.%'"); n != 5 {
		t.Fatalf("%d audit entries", n)
	}

	// The rules: quota off, inactivity after 30 days; a scan applies them to stored reports.
	if _, err := cloudconnect.UpdateRules(ctx, d.Bun, actor, cloudconnect.RulesInput{QuotaPercent: "", InactiveDays: "30"}); err != nil {
		t.Fatal(err)
	}
	if _, err := cloudconnect.ScanInbox(ctx, d.Bun, reg, time.Now()); err != nil {
		t.Fatal(err)
	}
	status := func(id int64) string {
		a, err := cloudconnect.Get(ctx, d.Bun, id)
		if err != nil {
			t.Fatal(err)
		}
		return a.Status + ": " + a.Message
	}
	if got := status(fox); got != "Success: " {
		t.Fatalf("foxtrot without the quota rule: %s", got)
	}
	if got := status(accountID(t, d, "tenant-india", "Agent", "Agents")); !strings.HasPrefix(got, "Warning: Veeam marks this tenant yellow") ||
		!strings.Contains(got, "last active 49 days before the report (15.01.2026 10:00; alert after 30 days)") {
		t.Fatalf("india: %s", got)
	}
	if got := status(accountID(t, d, "tenant-juliett", "Agent", "")); got != "Warning: Never active" {
		t.Fatalf("juliett: %s", got)
	}
}

func hasFields(err error, fields ...string) bool {
	errs, ok := validation.As(err)
	if !ok {
		return false
	}
	for _, f := range fields {
		if errs[f] == "" {
			return false
		}
	}
	return true
}

// TestScanFindsReportsImportedBefore: a report imported while no parser knew it waits
// unparsed in the Inbox; Scan inbox recognises it, stages its accounts and takes it out
// of the Inbox; a deleted report is left alone; scanning again changes nothing.
func TestScanFindsReportsImportedBefore(t *testing.T) {
	d := dbtest.New(t)
	var without []parsers.Parser
	for _, p := range parsers.Default().Parsers() {
		if p.Info().Name != parsers.CloudConnectParser {
			without = append(without, p)
		}
	}
	old := parsers.NewRegistry(without...)
	day := time.Date(2026, 3, 4, 5, 0, 0, 0, time.UTC)
	s := store(t, d, old, report(t, "old", day), report(t, "deleted", day.Add(time.Hour)))
	if s[0].Outcome() == ingest.OutcomeAccountReport || count(t, d, "SELECT count(*) FROM mail_messages WHERE location = 'inbox'") != 2 {
		t.Fatalf("without the parser: %+v", s)
	}
	if _, err := d.Bun.ExecContext(ctx, "UPDATE mail_messages SET location = 'deleted', deleted_at = now() WHERE id = ?", s[1].MailID); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		res, err := cloudconnect.ScanInbox(ctx, d.Bun, parsers.Default(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if res.Reports != 1 || res.Accounts != 12 || res.Found != 1-i {
			t.Fatalf("scan %d: %+v", i+1, res)
		}
	}
	if n := count(t, d, "SELECT count(*) FROM mail_messages WHERE id = ? AND location = 'processed' AND parser_name = ?", s[0].MailID, parsers.CloudConnectParser); n != 1 {
		t.Fatal("the recognised report is still in the Inbox")
	}
	if n := count(t, d, "SELECT count(*) FROM cloud_connect_report_rows WHERE mail_message_id = ?", s[1].MailID); n != 0 {
		t.Fatal("the deleted report was read")
	}
}

// TestForRunShowsOnlyItsRow: the run dialog's row is the run's own account's row of its
// report, never another tenant's.
func TestForRunShowsOnlyItsRow(t *testing.T) {
	d := dbtest.New(t)
	store(t, d, parsers.Default(), report(t, "r1", time.Date(2026, 3, 4, 5, 0, 0, 0, time.UTC)))
	id := accountID(t, d, "tenant-bravo", "Backup", "Cloud Repo 01")
	l, err := cloudconnect.CreateJob(ctx, d.Bun, actor, id, cloudconnect.NewJob{NewCustomerName: "Bravo", JobName: "Bravo"})
	if err != nil {
		t.Fatal(err)
	}
	var runID int64
	if err := d.Bun.NewRaw("SELECT id FROM job_runs WHERE job_id = ?", l.JobID).Scan(ctx, &runID); err != nil {
		t.Fatal(err)
	}
	row, err := cloudconnect.ForRun(ctx, d.Bun, runID)
	if err != nil || row == nil {
		t.Fatalf("%+v %v", row, err)
	}
	if row.User != "tenant-bravo" || row.RepoName != "Cloud Repo 01" || row.UsedText != "498.5 GB" || row.Status != "Failed" ||
		row.Colour != "#fb9895" || row.ReportDate.Format(time.DateOnly) != "2026-03-04" {
		t.Fatalf("row: %+v", row)
	}
	// A run of another source has no row.
	if _, err := d.Bun.ExecContext(ctx, "UPDATE job_runs SET source_type = 'email' WHERE id = ?", runID); err != nil {
		t.Fatal(err)
	}
	if row, err := cloudconnect.ForRun(ctx, d.Bun, runID); err != nil || row != nil {
		t.Fatalf("a mail run: %+v %v", row, err)
	}
	if _, err := cloudconnect.Get(ctx, d.Bun, 999999); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("unknown account: %v", err)
	}
}
