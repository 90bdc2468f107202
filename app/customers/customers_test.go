package customers_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/customers"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

var (
	ctx   = context.Background()
	actor = audit.Actor{ID: 0, Name: "tester"}
)

// fixture is the shared test fixture (dbtest.Fixture) plus this package's queries.
type fixture struct {
	*dbtest.Fixtures
	t *testing.T
	d *db.DB
}

func newFixture(t *testing.T, d *db.DB) fixture {
	return fixture{Fixtures: dbtest.Fixture(t, d), t: t, d: d}
}

// jobs adds n jobs to customer; archived ones when archived is set.
func jobs(customer *dbtest.CustomerRef, n int, archived bool) {
	var archivedAt *time.Time
	if archived {
		now := time.Now()
		archivedAt = &now
	}
	for range n {
		customer.Job(dbtest.Job{ArchivedAt: archivedAt})
	}
}

func (f fixture) count(where string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.d.Bun.NewRaw("SELECT count(*) FROM "+where, args...).Scan(ctx, &n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// lastAudit returns the newest audit entry with action.
func (f fixture) lastAudit(action string) *db.AuditEntry {
	f.t.Helper()
	e := new(db.AuditEntry)
	if err := f.d.Bun.NewSelect().Model(e).Where("action = ?", action).Order("id DESC").Limit(1).Scan(ctx); err != nil {
		f.t.Fatalf("no audit entry %s: %v", action, err)
	}
	return e
}

func names(rows []customers.Row) string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s:%d", r.Name, r.JobCount))
	}
	return strings.Join(out, ",")
}

func TestList(t *testing.T) {
	d := dbtest.New(t)
	f := newFixture(t, d)
	acme := f.Customer("Acme")
	beta := f.Customer("beta_corp")
	f.Customer("Gamma 100%")
	f.AddCustomer(dbtest.Customer{Name: "Zeta", Inactive: true})
	jobs(acme, 2, false)
	jobs(acme, 3, true) // archived jobs are not counted
	jobs(beta, 1, false)

	for _, tc := range []struct {
		name   string
		filter customers.Filter
		want   string
		total  int
	}{
		{"active only, by name", customers.Filter{}, "Acme:2,beta_corp:1,Gamma 100%:0", 3},
		{"inactive too", customers.Filter{IncludeInactive: true}, "Acme:2,beta_corp:1,Gamma 100%:0,Zeta:0", 4},
		{"substring any case", customers.Filter{Query: "ETA", IncludeInactive: true}, "beta_corp:1,Zeta:0", 2},
		{"inactive hidden from a search", customers.Filter{Query: "eta"}, "beta_corp:1", 1},
		{"like wildcards are literal", customers.Filter{Query: "_"}, "beta_corp:1", 1},
		{"percent is literal", customers.Filter{Query: "0%"}, "Gamma 100%:0", 1},
		{"page 2", customers.Filter{Page: 2, PerPage: 2}, "Gamma 100%:0", 3},
		{"no match", customers.Filter{Query: "nothing"}, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := customers.List(ctx, d.Bun, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(p.Rows); got != tc.want || p.Total != tc.total {
				t.Fatalf("List = %q (total %d), want %q (total %d)", got, p.Total, tc.want, tc.total)
			}
		})
	}

	r, err := customers.GetRow(ctx, d.Bun, acme.ID)
	if err != nil || r.Name != "Acme" || r.JobCount != 2 || !r.Active {
		t.Fatalf("GetRow = %+v, %v", r, err)
	}
	if _, err := customers.GetRow(ctx, d.Bun, 999999); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("GetRow of an unknown id: %v, want ErrNotFound", err)
	}
}

func TestAdd(t *testing.T) {
	d := dbtest.New(t)
	f := newFixture(t, d)
	f.Customer("Acme")
	c, err := customers.Add(ctx, d.Bun, actor, "  Inactive Ltd ", false)
	if err != nil || c.Name != "Inactive Ltd" || c.Active || c.ID == 0 {
		t.Fatalf("Add = %+v, %v", c, err)
	}
	for _, tc := range []struct{ name, want string }{
		{"ACME", "already exists"},
		{"   ", "enter the customer's name"},
		{strings.Repeat("é", customers.MaxNameLength+1), "at most 200"},
	} {
		_, err := customers.Add(ctx, d.Bun, actor, tc.name, true)
		errs, ok := validation.As(err)
		if !ok || !strings.Contains(errs["customer_name"], tc.want) {
			t.Errorf("Add(%.20q) = %v, want a customer_name error with %q", tc.name, err, tc.want)
		}
	}
	if _, err := customers.Add(ctx, d.Bun, actor, strings.Repeat("é", customers.MaxNameLength), true); err != nil {
		t.Errorf("a name of exactly %d characters: %v", customers.MaxNameLength, err)
	}
}

func TestUpdate(t *testing.T) {
	d := dbtest.New(t)
	f := newFixture(t, d)
	acme := f.Customer("Acme").ID
	f.Customer("Beta")

	c, err := customers.Update(ctx, d.Bun, actor, acme, " Acme Corp ", false)
	if err != nil || c.Name != "Acme Corp" || c.Active {
		t.Fatalf("Update = %+v, %v", c, err)
	}
	e := f.lastAudit(customers.ActionUpdated)
	if e.Target != "customer:Acme Corp" || fmt.Sprint(e.Details["name"]) != "map[new:Acme Corp old:Acme]" ||
		fmt.Sprint(e.Details["active"]) != "map[new:false old:true]" {
		t.Fatalf("audit = %s %v", e.Target, e.Details)
	}

	// Only the case of its own name changes: allowed.
	if c, err = customers.Update(ctx, d.Bun, actor, acme, "ACME CORP", false); err != nil || c.Name != "ACME CORP" {
		t.Fatalf("case-only rename = %+v, %v", c, err)
	}
	// Nothing changes: no audit entry.
	before := f.count("audit_log WHERE action = ?", customers.ActionUpdated)
	if _, err = customers.Update(ctx, d.Bun, actor, acme, "ACME CORP", false); err != nil {
		t.Fatal(err)
	}
	if after := f.count("audit_log WHERE action = ?", customers.ActionUpdated); after != before {
		t.Fatalf("an update without changes was audited (%d → %d entries)", before, after)
	}

	for _, tc := range []struct{ name, want string }{
		{"beta", `another customer is already named "Beta"`},
		{"", "enter the customer's name"},
		{strings.Repeat("x", 201), "at most 200"},
	} {
		_, err := customers.Update(ctx, d.Bun, actor, acme, tc.name, true)
		if errs, ok := validation.As(err); !ok || errs["name"] != tc.want && !strings.Contains(errs["name"], tc.want) {
			t.Errorf("Update(%.20q) = %v, want a name error %q", tc.name, err, tc.want)
		}
	}
	if r, _ := customers.GetRow(ctx, d.Bun, acme); r.Name != "ACME CORP" || r.Active {
		t.Fatalf("a refused update changed the customer: %+v", r)
	}
	if _, err := customers.Update(ctx, d.Bun, actor, 999999, "X", true); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("Update of an unknown id: %v", err)
	}
}

func TestDelete(t *testing.T) {
	d := dbtest.New(t)
	f := newFixture(t, d)
	withJobs := f.Customer("With Jobs")
	onlyArchived := f.Customer("Only Archived")
	emptyRef := f.Customer("Empty")
	jobs(withJobs, 2, false)
	jobs(withJobs, 1, true)
	jobs(onlyArchived, 1, true)
	emptyRef.Object("vm01", "")
	emptyRef.Object("vm02", "")
	empty := emptyRef.ID

	for _, tc := range []struct {
		id             int64
		jobs, archived int
	}{{withJobs.ID, 3, 1}, {onlyArchived.ID, 1, 1}} {
		_, err := customers.Delete(ctx, d.Bun, actor, tc.id)
		var he *customers.HasJobsError
		if !errors.As(err, &he) || he.Jobs != tc.jobs || he.Archived != tc.archived {
			t.Fatalf("Delete of a customer with jobs: %v, want HasJobsError{%d, %d}", err, tc.jobs, tc.archived)
		}
		if !strings.Contains(he.Error(), "delete its jobs first") {
			t.Fatalf("message %q", he.Error())
		}
	}

	c, err := customers.Delete(ctx, d.Bun, actor, empty)
	if err != nil || c.Name != "Empty" {
		t.Fatalf("Delete = %+v, %v", c, err)
	}
	if n := f.count("customers WHERE id = ?", empty); n != 0 {
		t.Fatal("customer still there")
	}
	if n := f.count("customer_objects WHERE customer_id = ?", empty); n != 0 {
		t.Fatalf("%d objects left behind", n)
	}
	if e := f.lastAudit(customers.ActionDeleted); e.Target != "customer:Empty" {
		t.Fatalf("audit target %q", e.Target)
	}
	if _, err := customers.Delete(ctx, d.Bun, actor, empty); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
}

func TestExportCSV(t *testing.T) {
	d := dbtest.New(t)
	f := newFixture(t, d)
	acme := f.Customer("Acme")
	jobs(acme, 2, false)
	f.AddCustomer(dbtest.Customer{Name: `Quote "Q" BV`, Inactive: true})
	f.Customer("Comma, Inc")
	f.Customer("Zürich AG")
	f.Customer("line\nbreak")
	// More than one keyset page.
	if _, err := d.Bun.NewRaw("INSERT INTO customers (name) SELECT 'bulk ' || lpad(g::text, 4, '0') FROM generate_series(1, 1100) g").Exec(ctx); err != nil {
		t.Fatal(err)
	}

	var buf bytes.Buffer
	if err := customers.ExportCSV(ctx, d.Bun, &buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, "name,active,jobs\nAcme,true,2\nbulk 0001,true,0\n") {
		t.Fatalf("export starts %q", out[:80])
	}
	for _, want := range []string{"\"Comma, Inc\",true,0\n", "\"Quote \"\"Q\"\" BV\",false,0\n", "Zürich AG,true,0\n", "\"line\nbreak\",true,0\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("export lacks %q", want)
		}
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+5+1100 {
		t.Fatalf("%d records, want %d", len(recs), 1+5+1100)
	}
	seen := map[string]bool{}
	for _, r := range recs[1:] {
		if seen[r[0]] {
			t.Fatalf("%q exported twice", r[0])
		}
		seen[r[0]] = true
	}

	// The export imports back without changes.
	res, err := customers.ImportCSV(ctx, d.Bun, actor, strings.NewReader(out))
	if err != nil || res != (customers.ImportResult{Unchanged: 1105}) {
		t.Fatalf("re-import = %+v, %v", res, err)
	}
}

func TestImportCSV(t *testing.T) {
	d := dbtest.New(t)
	f := newFixture(t, d)
	f.Customer("Acme")
	f.AddCustomer(dbtest.Customer{Name: "Beta", Inactive: true})
	f.Customer("Gamma")

	in := "\xef\xbb\xbfName,Active,notes\n" +
		"acme,nee,x\n" + // updated (name kept)
		"Beta,,\n" + // no active given: unchanged
		"Gamma,yes\n" + // same value: unchanged
		"\"New, One\",0\n" + // created inactive
		"New Two\n" + // created active (short row)
		",,\n" // a blank row is skipped
	res, err := customers.ImportCSV(ctx, d.Bun, actor, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if want := (customers.ImportResult{Created: 2, Updated: 1, Unchanged: 2}); res != want {
		t.Fatalf("result = %+v, want %+v", res, want)
	}
	p, _ := customers.List(ctx, d.Bun, customers.Filter{IncludeInactive: true})
	var got []string
	for _, r := range p.Rows {
		got = append(got, fmt.Sprintf("%s=%v", r.Name, r.Active))
	}
	slices.Sort(got) // the database's collation orders "New, One" and "New Two" its own way
	if s := strings.Join(got, " "); s != "Acme=false Beta=false Gamma=true New Two=true New, One=false" {
		t.Fatalf("after import: %s", s)
	}
	e := f.lastAudit(customers.ActionImported)
	if fmt.Sprint(e.Details["created"], e.Details["updated"], e.Details["unchanged"]) != "2 1 2" ||
		fmt.Sprint(e.Details["active_changes"]) != "map[Acme:map[new:false old:true]]" {
		t.Fatalf("audit details %v", e.Details)
	}

	t.Run("semicolons", func(t *testing.T) {
		res, err := customers.ImportCSV(ctx, d.Bun, actor, strings.NewReader("name;active\r\nDelta; JA \r\nAcme;true\r\n"))
		if err != nil || res != (customers.ImportResult{Created: 1, Updated: 1}) {
			t.Fatalf("= %+v, %v", res, err)
		}
	})

	for _, tc := range []struct {
		name, in string
		want     []string // LineError strings
	}{
		{"bad lines reject all", "name,active\nOmega,true\n,true\nPsi,maybe\nomega,false\n" + strings.Repeat("x", 201) + "\n",
			[]string{"line 3: the name is empty", `line 4: active is "maybe": use true/false, yes/no, 1/0 or ja/nee`,
				`line 5: "omega" is already on line 2`, "line 6: the name is longer than 200 characters"}},
		{"line numbers count quoted newlines", "name,active\n\"Multi\nLine\",1\n\"\",1\n", []string{"line 4: the name is empty"}},
		{"no name column", "customer,active\nOmega,1\n", []string{"line 1: the header row needs a column called name (found: customer, active)"}},
		{"empty file", "", []string{"the file is empty: it needs a header row with a name column and one customer per line"}},
		{"header only", "name,active\n", []string{"the file has no customers below the header row"}},
		{"broken quote", "name\nOmega\n\"Psi\n", []string{`line 3: not valid CSV (extraneous or missing " in quoted-field)`}},
		{"not UTF-8", "name\nOm\xe9ga\n", []string{"line 2: the text is not UTF-8: save the file as CSV UTF-8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := f.count("customers")
			_, err := customers.ImportCSV(ctx, d.Bun, actor, strings.NewReader(tc.in))
			var ie customers.ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want ImportError", err)
			}
			var got []string
			for _, le := range ie {
				got = append(got, le.String())
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("errors:\n got %q\nwant %q", got, tc.want)
			}
			if after := f.count("customers"); after != before {
				t.Fatalf("a rejected file changed customers: %d → %d", before, after)
			}
		})
	}

	t.Run("too large", func(t *testing.T) {
		big := "name\n" + strings.Repeat("a\n", customers.MaxImportBytes/2+1)
		_, err := customers.ImportCSV(ctx, d.Bun, actor, strings.NewReader(big))
		var ie customers.ImportError
		if !errors.As(err, &ie) || !strings.Contains(ie[0].Message, "larger than 10 MB") {
			t.Fatalf("err = %v", err)
		}
	})
}
