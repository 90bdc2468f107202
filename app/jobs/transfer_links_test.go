package jobs_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/jobs"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// TestExportImportLinks: the export carries its format version, each job's Cove
// account and Cloud Connect tenant; importing it into an empty installation recreates
// the jobs with those links (the tenant staged and linked), and importing it again
// finds the same jobs by them instead of adding new ones. Files of version 1 still
// import; a newer version is refused by name.
func TestExportImportLinks(t *testing.T) {
	from, to := dbtest.New(t), dbtest.New(t)
	ctx := t.Context()
	for _, q := range []string{
		`INSERT INTO customers (name) VALUES ('Acme'), ('Globex')`,
		`INSERT INTO jobs (customer_id, job_name, backup_software, backup_type, from_address, cove_account_id)
		 SELECT c.id, v.name, v.sw, v.type, v.sender, v.cove FROM customers c JOIN (VALUES
		   ('Acme', 'Nightly', 'Veeam', 'Backup Job', 'veeam@acme.example', NULL::bigint),
		   ('Acme', 'LAPTOP-07', 'Cove Data Protection', 'Workstation', NULL, 4711),
		   ('Globex', 'Globex tenant', 'Veeam Cloud Connect', 'Backup Copy', NULL, NULL)) v(customer, name, sw, type, sender, cove)
		 ON v.customer = c.name`,
		`INSERT INTO cloud_connect_accounts (user_name, section, repo_name, job_id) SELECT 'globex', 'Backup', 'Immutable', id FROM jobs WHERE job_name = 'Globex tenant'`,
		`INSERT INTO cloud_connect_accounts (user_name, section, repo_name) VALUES ('unlinked', 'Backup', '')`,
	} {
		if _, err := from.Bun.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if n, err := jobs.Export(ctx, from.Bun, &buf, time.Now()); err != nil || n != 3 {
		t.Fatalf("export: %d %v", n, err)
	}
	var file struct {
		Format  string             `json:"format"`
		Version int                `json:"format_version"`
		Jobs    []jobs.ExportedJob `json:"jobs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &file); err != nil || file.Format != "backupchecks-jobs" || file.Version != 2 {
		t.Fatalf("header %q v%d, %v", file.Format, file.Version, err)
	}
	links := map[string]string{}
	for _, j := range file.Jobs {
		switch {
		case j.CloudConnect != nil:
			links[j.JobName] = "cc " + j.CloudConnect.User + "/" + j.CloudConnect.Section + "/" + j.CloudConnect.RepoName
		case j.CoveAccountID != nil:
			links[j.JobName] = "cove"
		}
	}
	if links["Globex tenant"] != "cc globex/Backup/Immutable" || links["LAPTOP-07"] != "cove" || len(links) != 2 {
		t.Fatalf("links exported: %v", links)
	}

	res, err := jobs.Import(ctx, to.Bun, audit.Actor{Name: "admin"}, bytes.NewReader(buf.Bytes()))
	if err != nil || res.JobsCreated != 3 || res.CustomersCreated != 2 || res.CloudConnectLinked != 1 {
		t.Fatalf("import: %+v %v", res, err)
	}
	var linked string
	if err := to.Bun.NewRaw(`SELECT j.job_name || ' ' || cc.user_name || '/' || cc.section || '/' || cc.repo_name FROM cloud_connect_accounts cc JOIN jobs j ON j.id = cc.job_id`).Scan(ctx, &linked); err != nil || linked != "Globex tenant globex/Backup/Immutable" {
		t.Fatalf("tenant after import: %q %v", linked, err)
	}
	var cove int64
	if err := to.Bun.NewRaw(`SELECT cove_account_id FROM jobs WHERE job_name = 'LAPTOP-07'`).Scan(ctx, &cove); err != nil || cove != 4711 {
		t.Fatalf("Cove account after import: %d %v", cove, err)
	}
	// Again: every job is found by its key or link.
	res, err = jobs.Import(ctx, to.Bun, audit.Actor{Name: "admin"}, bytes.NewReader(buf.Bytes()))
	if err != nil || res.JobsCreated != 0 || res.JobsUpdated != 3 {
		t.Fatalf("second import: %+v %v", res, err)
	}
	var n int
	_ = to.Bun.NewRaw("SELECT count(*) FROM jobs").Scan(ctx, &n)
	if n != 3 {
		t.Fatalf("%d jobs after importing twice", n)
	}

	// Version 1 (before the links) still reads; a newer version and a file without a
	// version do not.
	v1 := `{"format":"backupchecks-jobs/1","jobs":[{"customer":"Initech","job_name":"Files","backup_software":"Veeam","backup_type":"Backup Job","from_address":"veeam@initech.example","active":true}]}`
	if res, err := jobs.Import(ctx, to.Bun, audit.Actor{Name: "admin"}, strings.NewReader(v1)); err != nil || res.JobsCreated != 1 {
		t.Fatalf("version 1: %+v %v", res, err)
	}
	for body, want := range map[string]string{
		`{"format":"backupchecks-jobs","format_version":3,"jobs":[]}`: "format version 3, from a newer Backupchecks",
		`{"format":"backupchecks-jobs","jobs":[]}`:                    "no format version",
		`{"format":"backupchecks-jobs","format_version":2,"jobs":[{"customer":"A","job_name":"B","backup_software":"C","backup_type":"D","cloud_connect":{"user":" ","section":"Backup"}}]}`: "names no user",
		`{"format":"backupchecks-jobs","format_version":2,"jobs":[{"customer":"A","job_name":"B","backup_software":"C","backup_type":"D","cloud_connect":{"user":"u","section":"Tape"}}]}`:   "section must be Backup, Replication or Agent",
	} {
		if _, err := jobs.Import(ctx, to.Bun, audit.Actor{Name: "admin"}, strings.NewReader(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
}
