package jobs_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/jobs"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

func export(t *testing.T, d *db.DB, now time.Time) (string, int) {
	t.Helper()
	var buf bytes.Buffer
	n, err := jobs.Export(ctx, d.Bun, &buf, now)
	if err != nil {
		t.Fatal(err)
	}
	return buf.String(), n
}

func importFile(t *testing.T, d *db.DB, file string) (jobs.ImportResult, error) {
	t.Helper()
	return jobs.Import(ctx, d.Bun, actor, strings.NewReader(file))
}

// TestExportImportRoundTrip: an export imported into an empty installation recreates
// every customer and job with all that an export carries (customer state, sender or
// Cove account, active, archived, informational, the set schedule, lock and grace),
// so exporting there gives the same file; runs and learned schedules stay behind.
// Importing it again updates the same jobs and creates nothing.
func TestExportImportRoundTrip(t *testing.T) {
	src := dbtest.New(t)
	f := dbtest.Fixture(t, src)
	acme := f.Customer("Acme")
	gone := f.AddCustomer(dbtest.Customer{Name: "Gone BV", Inactive: true})
	grace := 45
	weekly := &db.Schedule{Kind: db.ScheduleWeekly, Weekdays: []int{1, 3, 5}, Time: "22:00", Since: "2026-03-01"}
	acme.Job(dbtest.Job{Name: "Nightly", From: "veeam@example.com",
		LearnedSchedule: &db.Schedule{Kind: db.ScheduleDaily, Time: "22:00"},
		ManualSchedule:  weekly, Locked: true, GraceMinutes: &grace}).
		Runs(dbtest.Run{Status: db.StatusFailed, At: at}, dbtest.Run{At: at.Add(24 * time.Hour)})
	acme.Job(dbtest.Job{Name: "LAPTOP-07", Software: "Cove Data Protection", Type: "Workstation", CoveAccountID: 4711})
	acme.Job(dbtest.Job{Name: "Old NAS", From: "nas@example.com", Software: "Synology", Type: "Hyper Backup", ArchivedAt: &at, Inactive: true})
	gone.Job(dbtest.Job{Name: "PBX", From: "pbx@example.com", Software: "3CX", Type: "Update", Informational: true})

	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	file, n := export(t, src, now)
	var parsed struct {
		Format string             `json:"format"`
		Jobs   []jobs.ExportedJob `json:"jobs"`
	}
	if err := json.Unmarshal([]byte(file), &parsed); err != nil || n != 4 || len(parsed.Jobs) != 4 || parsed.Format != "backupchecks-jobs" {
		t.Fatalf("export of %d jobs is not a jobs file (%v):\n%s", n, err, file)
	}
	cove := int64(4711)
	want := []jobs.ExportedJob{
		{Customer: "Acme", CustomerActive: true, JobName: "Nightly", BackupSoftware: "Veeam", BackupType: "Backup Job",
			FromAddress: "veeam@example.com", Active: true, ManualSchedule: weekly, ScheduleLocked: true, GraceMinutes: &grace},
		{Customer: "Acme", CustomerActive: true, JobName: "LAPTOP-07", BackupSoftware: "Cove Data Protection", BackupType: "Workstation",
			CoveAccountID: &cove, Active: true},
		{Customer: "Acme", CustomerActive: true, JobName: "Old NAS", BackupSoftware: "Synology", BackupType: "Hyper Backup",
			FromAddress: "nas@example.com", Archived: true},
		{Customer: "Gone BV", JobName: "PBX", BackupSoftware: "3CX", BackupType: "Update", FromAddress: "pbx@example.com",
			Active: true, Informational: true},
	}
	if !reflect.DeepEqual(parsed.Jobs, want) {
		t.Fatalf("exported jobs:\n got %+v\nwant %+v", parsed.Jobs, want)
	}

	dst := dbtest.New(t)
	res, err := importFile(t, dst, file)
	if err != nil {
		t.Fatal(err)
	}
	if want := (jobs.ImportResult{CustomersCreated: 2, JobsCreated: 4}); res != want {
		t.Fatalf("import = %+v, want %+v", res, want)
	}
	if again, _ := export(t, dst, now); again != file {
		t.Fatalf("the imported installation exports differently:\n got %s\nwant %s", again, file)
	}
	if n := count(t, dst, "SELECT count(*) FROM job_runs") + count(t, dst, "SELECT count(*) FROM jobs WHERE learned_schedule IS NOT NULL"); n != 0 {
		t.Fatalf("runs or learned schedules came along (%d)", n)
	}
	if n := count(t, dst, "SELECT count(*) FROM audit_log WHERE action = 'jobs.imported' AND details->>'jobs_created' = '4'"); n != 1 {
		t.Fatalf("%d audit entries of the import, want 1", n)
	}

	res, err = importFile(t, dst, file)
	if err != nil || res != (jobs.ImportResult{JobsUpdated: 4}) {
		t.Fatalf("second import = %+v, %v; want 4 updated and nothing created", res, err)
	}
	if again, _ := export(t, dst, now); again != file {
		t.Fatalf("a second import changed the jobs:\n got %s\nwant %s", again, file)
	}
}

// TestImportRefusesBadFiles: a file that is not an export, or with one bad job among
// good ones, is refused with a message that says which job and what is wrong, and
// nothing of it is imported: not the good jobs before the bad one, not the update of a
// job that exists.
func TestImportRefusesBadFiles(t *testing.T) {
	d := dbtest.New(t)
	f := dbtest.Fixture(t, d)
	acme := f.Customer("Acme")
	acme.Job(dbtest.Job{Name: "Nightly", From: "veeam@example.com"})
	acme.Job(dbtest.Job{Name: "LAPTOP-07", Software: "Cove Data Protection", Type: "Workstation", CoveAccountID: 4711})
	before, _ := export(t, d, at)

	// Good: a new customer with a job, and Nightly deactivated.
	good := `{"customer":"Newco","customer_active":true,"job_name":"Files","backup_software":"Synology","backup_type":"Hyper Backup","from_address":"nas@newco.example","active":true},
		{"customer":"Acme","customer_active":true,"job_name":"Nightly","backup_software":"Veeam","backup_type":"Backup Job","from_address":"veeam@example.com","active":false}`
	withBad := func(bad string) string {
		return `{"format":"backupchecks-jobs/1","jobs":[` + good + `,` + bad + `]}`
	}
	for _, tc := range []struct{ name, file, want string }{
		{"not JSON", "name,active\nAcme,true\n", "this is not a jobs export (JSON)"},
		{"JSON cut off", `{"format":"backupchecks-jobs/1","jobs":[` + good, "this is not a jobs export (JSON)"},
		{"another format", `{"format":"backupchecks-jobs/2","jobs":[` + good + `]}`, `unknown export format "backupchecks-jobs/2"`},
		{"no format", `{"jobs":[` + good + `]}`, `unknown export format ""`},
		{"no customer", withBad(`{"customer":" ","job_name":"X","backup_software":"Veeam","backup_type":"Backup Job","from_address":"x@example.com"}`),
			"job 3: customer and job name are required"},
		{"no job name", withBad(`{"customer":"Acme","job_name":"","backup_software":"Veeam","backup_type":"Backup Job","from_address":"x@example.com"}`),
			"job 3: customer and job name are required"},
		{"no software", withBad(`{"customer":"Acme","job_name":"X","backup_type":"Backup Job","from_address":"x@example.com"}`),
			"job 3 (X): backup software and type are required"},
		{"no sender or Cove account", withBad(`{"customer":"Acme","job_name":"X","backup_software":"Veeam","backup_type":"Backup Job"}`),
			"job 3 (X): needs a sender address or a Cove account"},
		{"bad schedule", withBad(`{"customer":"Acme","job_name":"X","backup_software":"Veeam","backup_type":"Backup Job","from_address":"x@example.com",
			"manual_schedule":{"kind":"weekly","time":"22:00"}}`), "job 3 (X): schedule: invalid weekly schedule: choose at least one weekday"},
		{"locked without a schedule", withBad(`{"customer":"Acme","job_name":"X","backup_software":"Veeam","backup_type":"Backup Job","from_address":"x@example.com",
			"schedule_locked":true}`), "job 3 (X): locked without a schedule"},
		{"negative grace", withBad(`{"customer":"Acme","job_name":"X","backup_software":"Veeam","backup_type":"Backup Job","from_address":"x@example.com",
			"schedule_grace_minutes":-5}`), "job 3 (X): the grace period must be 0 to 10080 minutes"},
		// Checked by the database, inside the import's transaction: the good jobs before
		// it are rolled back too.
		{"Cove account of another job", withBad(`{"customer":"Acme","job_name":"X","backup_software":"Veeam","backup_type":"Backup Job","from_address":"x@example.com",
			"cove_account_id":4711}`), `job "X"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := importFile(t, d, tc.file)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("import: %v, want an error with %q", err, tc.want)
			}
			if res != (jobs.ImportResult{}) {
				t.Errorf("a refused import reports %+v", res)
			}
			if after, _ := export(t, d, at); after != before {
				t.Fatalf("a refused import changed the jobs:\n got %s\nwant %s", after, before)
			}
			if n := count(t, d, "SELECT count(*) FROM customers WHERE name = 'Newco'") +
				count(t, d, "SELECT count(*) FROM audit_log WHERE action = 'jobs.imported'"); n != 0 {
				t.Fatalf("a refused import left its customer or an audit entry (%d)", n)
			}
		})
	}

	// The good part alone imports, so the cases above failed for their bad job only.
	res, err := importFile(t, d, `{"format":"backupchecks-jobs/1","jobs":[`+good+`]}`)
	if err != nil || res != (jobs.ImportResult{CustomersCreated: 1, JobsCreated: 1, JobsUpdated: 1}) {
		t.Fatalf("the good jobs alone: %+v, %v", res, err)
	}
}
