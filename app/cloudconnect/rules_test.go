package cloudconnect

import (
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/parsers"
)

func intp(n int) *int       { return &n }
func bytesp(n int64) *int64 { return &n }

func TestEvaluate(t *testing.T) {
	report := time.Date(2026, 3, 4, 6, 0, 0, 0, time.UTC)
	ago := func(days int) *time.Time { t := report.AddDate(0, 0, -days); return &t }
	gb := int64(1) << 30
	row := func(status string, used, quota int64, last string) parsers.CloudConnectRow {
		return parsers.CloudConnectRow{Status: status, UsedBytes: bytesp(used * gb), QuotaBytes: bytesp(quota * gb),
			UsedText: "used", QuotaText: "quota", LastActive: last}
	}
	on := Rules{QuotaPercent: intp(90), InactiveDays: intp(30)}
	for _, c := range []struct {
		name    string
		row     parsers.CloudConnectRow
		last    *time.Time
		rules   Rules
		status  string
		message string
	}{
		{"white", row("Success", 10, 100, "x"), ago(1), on, "Success", ""},
		{"red", row("Failed", 10, 100, "x"), ago(1), on, "Failed", "Veeam marks this tenant red in the Cloud Connect report"},
		{"yellow", row("Warning", 10, 100, "x"), ago(1), on, "Warning", "Veeam marks this tenant yellow in the Cloud Connect report"},
		{"quota at the threshold", row("Success", 90, 100, "x"), ago(1), on, "Warning", "90% of the quota used (used of quota; alert at 90%)"},
		{"quota just below", parsers.CloudConnectRow{Status: "Success", UsedBytes: bytesp(8999), QuotaBytes: bytesp(10000)}, nil, on, "Success", ""},
		{"quota rule off", row("Success", 99, 100, "x"), nil, Rules{}, "Success", ""},
		{"quota over, red stays red", row("Failed", 95, 100, "x"), nil, on, "Failed",
			"Veeam marks this tenant red in the Cloud Connect report; 95% of the quota used (used of quota; alert at 90%)"},
		{"quota unknown", parsers.CloudConnectRow{Status: "Success", UsedBytes: bytesp(5)}, nil, on, "Success", ""},
		{"quota zero", row("Success", 5, 0, "x"), nil, on, "Success", ""},
		{"inactive", row("Success", 1, 100, "03.02.2026"), ago(31), on, "Warning", "Last active 31 days before the report (03.02.2026; alert after 30 days)"},
		{"active enough", row("Success", 1, 100, "x"), ago(29), on, "Success", ""},
		{"never active", row("Success", 1, 100, "Never"), nil, on, "Warning", "Never active"},
		{"never active, rule off", row("Success", 1, 100, "Never"), nil, Rules{QuotaPercent: intp(90)}, "Success", ""},
		{"unreadable date", row("Success", 1, 100, "yesterday"), nil, on, "Success", ""},
	} {
		v := Evaluate(c.row, c.last, report, c.rules)
		if v.Status != c.status || v.Message != c.message {
			t.Errorf("%s: %+v, want %s %q", c.name, v, c.status, c.message)
		}
	}
}

func TestParseLastActive(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	report := time.Date(2026, 3, 4, 6, 0, 0, 0, ams)
	at := func(y, m, d, h, min, s int) string {
		return time.Date(y, time.Month(m), d, h, min, s, 0, ams).Format(time.DateTime)
	}
	for in, want := range map[string]string{
		"03.03.2026 22:14":        at(2026, 3, 3, 22, 14, 0),
		"3.2.2026 9:05:30":        at(2026, 2, 3, 9, 5, 30),
		"2026-03-01 21:00":        at(2026, 3, 1, 21, 0, 0),
		"2026-03-01T21:00:05":     at(2026, 3, 1, 21, 0, 5),
		"2/3/2026 11:02:00 PM":    at(2026, 2, 3, 23, 2, 0), // AM/PM: month first
		"12/31/2025 12:15 AM":     at(2025, 12, 31, 0, 15, 0),
		"31/01/2026 22:00":        at(2026, 1, 31, 22, 0, 0), // only day first fits
		"01/31/2026 22:00":        at(2026, 1, 31, 22, 0, 0), // only month first fits
		"02/03/2026 10:00":        at(2026, 3, 2, 10, 0, 0),  // either: the later before the report
		"04/03/2026":              at(2026, 3, 4, 0, 0, 0),   // 3 April is after the report: 4 March
		"15-01-2026 10:00":        at(2026, 1, 15, 10, 0, 0),
		"Never":                   "",
		"":                        "",
		"31.02.2026 10:00":        "",
		"99/99/2026":              "",
		"Tenant 3 on 1.3.26 8:00": at(2026, 3, 1, 8, 0, 0),
	} {
		got := ParseLastActive(in, ams, report)
		switch {
		case want == "" && got != nil:
			t.Errorf("%q: %v, want none", in, got)
		case want != "" && (got == nil || got.Format(time.DateTime) != want):
			t.Errorf("%q: %v, want %s", in, got, want)
		}
	}
}

func TestExternalID(t *testing.T) {
	day := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct{ user, section, repo, want string }{
		{"tenant-a", "Backup", "Cloud Repo 01", "vcc-tenant-a-backup-cloud-repo-01-2026-03-04"},
		{"tenant-a", "Agent", "", "vcc-tenant-a-agent--2026-03-04"},
		{"ACME\\backup", "Replication", "  Plan (Gold) ", "vcc-ACME\\backup-replication-plan-gold-2026-03-04"},
		{"t", "Backup", "Répo Ünïcode", "vcc-t-backup-répo-ünïcode-2026-03-04"},
	} {
		if got := ExternalID(c.user, c.section, c.repo, day); got != c.want {
			t.Errorf("ExternalID(%q, %q, %q) = %q, want %q", c.user, c.section, c.repo, got, c.want)
		}
	}
}

func TestParseRules(t *testing.T) {
	r, err := ParseRules(RulesInput{QuotaPercent: " 85% ", InactiveDays: ""})
	if err != nil || *r.QuotaPercent != 85 || r.InactiveDays != nil {
		t.Fatalf("%+v %v", r, err)
	}
	for _, in := range []RulesInput{{QuotaPercent: "0"}, {QuotaPercent: "101"}, {QuotaPercent: "9x"}, {InactiveDays: "-1"}, {InactiveDays: "4000"}} {
		if _, err := ParseRules(in); err == nil {
			t.Errorf("%+v accepted", in)
		}
	}
}
