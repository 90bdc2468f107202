package reports_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/backupchecks/backupchecks/app/reports"
)

func TestBuild(t *testing.T) {
	f := newFixture(t)

	all := f.build(t, f.scope())
	var names []string
	for _, r := range all {
		names = append(names, r.Customer.Name)
	}
	// Active customers with a job (the archived-before-February job still counts as
	// a job of Šťastný only if archived after the start: it is not), by name.
	if got := fmtList(names); got != "Łódź Logistics, Müller GmbH" && got != "Müller GmbH, Łódź Logistics" {
		t.Fatalf("all customers: %s", got)
	}

	rs := f.build(t, f.scope(f.muller))
	if len(rs) != 1 {
		t.Fatalf("%d reports, want 1", len(rs))
	}
	r := rs[0]
	if len(r.Days) != 28 || len(r.Trend) != 28 {
		t.Fatalf("%d days, %d trend points, want 28", len(r.Days), len(r.Trend))
	}
	// 28 nightly runs (one Missed) + 14 Exchange runs; the runs just outside February do not count.
	want := reports.Counts{Runs: 42, Successful: 40, Overridden: 1, Failed: 1, Missed: 1}
	if r.KPI != want {
		t.Errorf("KPI %+v, want %+v", r.KPI, want)
	}
	if rate := r.KPI.SuccessRate(); rate < 95.2 || rate > 95.3 {
		t.Errorf("success rate %.2f, want 95.24", rate)
	}
	if len(r.Jobs) != 3 || r.Jobs[0].Name != "Exchange Online" || r.Jobs[2].Name != "Nightly VMs" {
		t.Fatalf("jobs %+v", r.Jobs)
	}
	nightly := r.Jobs[2]
	if nightly.Counts.Runs != 28 || nightly.Schedule != "Daily at 22:00" || nightly.LastFailure == nil {
		t.Errorf("nightly %+v", nightly)
	}
	if got := nightly.LastFailure.In(f.loc).Format("2006-01-02"); got != "2026-02-11" {
		t.Errorf("last failure %s, want the missed run of 2026-02-11", got)
	}
	for day, want := range map[int]reports.Cell{
		0:  {Status: "Success", Runs: 1},
		9:  {Status: "Failed", Runs: 1},
		10: {Status: "Missed", Runs: 1},
		11: {Status: "Success", Runs: 1, Overridden: true},
	} {
		if got := nightly.Cells[day]; got != want {
			t.Errorf("cell of day %d: %+v, want %+v", day+1, got, want)
		}
	}
	if nas := r.Jobs[1]; nas.Counts.Runs != 0 || nas.Cells[0].Status != "" {
		t.Errorf("NAS job without runs: %+v", nas)
	}
	// The 1st: Exchange's two runs (UTC 08:00 and 20:00 on Feb 1) and the nightly run.
	if tp := r.Trend[0]; tp.Counts.Runs != 3 || tp.Counts.SuccessRate() != 100 {
		t.Errorf("trend of Feb 1: %+v", tp)
	}
	if tp := r.Trend[9]; tp.Counts.SuccessRate() != 0 {
		t.Errorf("trend of Feb 10 (only the failed run): %.1f%%, want 0", tp.Counts.SuccessRate())
	}
	// Failures: the missed and the failed run (the overridden warning is not one).
	if r.FailuresTotal != 2 || len(r.Failures) != 2 || r.Failures[0].Status != "Missed" || r.Failures[1].Message != "Disk full on repository „Zürich“" {
		t.Errorf("failures %d %+v", r.FailuresTotal, r.Failures)
	}

	lodz := f.build(t, f.scope(f.lodz))[0]
	if len(lodz.Failures) != 1 || fmtList(lodz.Failures[0].Tickets) != "T20260205.0001" || fmtList(lodz.Failures[0].Remarks) != "Klient wymienia dysk" {
		t.Errorf("Łódź failures %+v", lodz.Failures)
	}
	if lodz.Jobs[0].OpenTickets != 1 {
		t.Errorf("open tickets %d, want 1", lodz.Jobs[0].OpenTickets)
	}

	// Filters and the failure cap.
	s := f.scope(f.muller)
	s.Software = []string{"Synology"}
	if r := f.build(t, s)[0]; len(r.Jobs) != 1 || r.KPI.Runs != 0 {
		t.Errorf("software filter: %d jobs, %d runs", len(r.Jobs), r.KPI.Runs)
	}
	s = f.scope(f.muller)
	s.MaxFailures = 1
	if r := f.build(t, s)[0]; len(r.Failures) != 1 || r.FailuresTotal != 2 {
		t.Errorf("capped failures: %d listed of %d", len(r.Failures), r.FailuresTotal)
	}
}

func fmtList(xs []string) string {
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

func TestWriteCSV(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.d.Bun.ExecContext(ctx, `UPDATE job_runs SET message = '=HYPERLINK("http://x")' WHERE id = ?`, f.overriddenRun); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	n, err := reports.WriteCSV(ctx, f.d.Bun, f.scope(), &b)
	if err != nil {
		t.Fatal(err)
	}
	// Müller: 28 + 14 runs; Łódź: 1.
	if n != 43 {
		t.Errorf("%d rows, want 43", n)
	}
	raw := b.String()
	if !strings.HasPrefix(raw, "\uFEFFCustomer,Job,") || !strings.Contains(raw, "\r\n") {
		t.Fatalf("no BOM or no CRLF: %.80q", raw)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(raw, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 44 {
		t.Fatalf("%d records, want a header and 43", len(recs))
	}
	var lodz []string
	for _, r := range recs {
		if r[0] == "Łódź Logistics" {
			lodz = r
		}
	}
	if got := strings.Join(lodz[:6], "|"); got != "Łódź Logistics|Serwer plików Łódź|Acronis Cyber Protect|Backup|2026-02-05 02:00|Failed" {
		t.Errorf("Łódź's run: %s", got)
	}
	if lodz[9] != "T20260205.0001" || lodz[10] != "Klient wymienia dysk" {
		t.Errorf("tickets %q remarks %q", lodz[9], lodz[10])
	}
	var overridden []string
	for _, r := range recs {
		if r[7] == "yes" {
			overridden = r
		}
	}
	if overridden == nil || overridden[5] != "Success" || overridden[6] != "Warning" || overridden[8] != `'=HYPERLINK("http://x")` || overridden[10] != "Known warning" {
		t.Errorf("overridden run: %q", overridden)
	}
	// The runs just outside February (local time) are not in it.
	if strings.Contains(raw, "2026-01-31") || strings.Contains(raw, "2026-03-01") {
		t.Error("runs outside the range exported")
	}
}
