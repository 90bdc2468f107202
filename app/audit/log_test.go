package audit_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// TestSearchFilters: the Logging page's filters, alone and together.
func TestSearchFilters(t *testing.T) {
	d := dbtest.New(t)
	ctx := t.Context()
	day := func(n int) time.Time { return time.Date(2026, 3, n, 10, 0, 0, 0, time.UTC) }
	for _, e := range []struct {
		at     time.Time
		actor  string
		action string
	}{
		{day(1), "alice", audit.LoginSuccess},
		{day(2), "Alice", audit.UserCreated},
		{day(3), "bob", audit.LoginFailure},
		{day(4), "bob", audit.SettingsUpdated},
		{day(5), "alice", audit.UserDeactivated},
		{day(6), "", "user_x.y"}, // not of kind "user."
	} {
		if _, err := d.Bun.ExecContext(ctx, "INSERT INTO audit_log (at, actor_name, action) VALUES (?, ?, ?)", e.at, e.actor, e.action); err != nil {
			t.Fatal(err)
		}
	}
	from, to := day(2), day(5)
	for _, tc := range []struct {
		name string
		f    audit.Filter
		want []string // actions, newest first
	}{
		{"all", audit.Filter{}, []string{"user_x.y", audit.UserDeactivated, audit.SettingsUpdated, audit.LoginFailure, audit.UserCreated, audit.LoginSuccess}},
		{"one action", audit.Filter{Type: audit.LoginFailure}, []string{audit.LoginFailure}},
		{"a kind", audit.Filter{Type: "user."}, []string{audit.UserDeactivated, audit.UserCreated}},
		{"a user in any case", audit.Filter{User: "ALICE"}, []string{audit.UserDeactivated, audit.UserCreated, audit.LoginSuccess}},
		{"a date range, end excluded", audit.Filter{From: &from, To: &to}, []string{audit.SettingsUpdated, audit.LoginFailure, audit.UserCreated}},
		{"everything at once", audit.Filter{Type: "user.", User: "alice", From: &from, To: &to}, []string{audit.UserCreated}},
		{"a kind with LIKE characters is literal", audit.Filter{Type: "user_."}, nil},
	} {
		p, err := audit.Search(ctx, d.Bun, tc.f, 1, 50)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range p.Entries {
			got = append(got, e.Action)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") || p.Total != len(tc.want) {
			t.Errorf("%s: %v (total %d), want %v", tc.name, got, p.Total, tc.want)
		}
	}
	p, err := audit.Search(ctx, d.Bun, audit.Filter{}, 2, 4)
	if err != nil || len(p.Entries) != 2 || p.Total != 6 || p.Entries[0].Action != audit.UserCreated {
		t.Fatalf("page 2 of 4: %+v %v", p, err)
	}
	kinds, err := audit.Kinds(ctx, d.Bun)
	if err != nil || strings.Join(kinds, ",") != "login,settings,user,user_x" {
		t.Fatalf("kinds = %v %v", kinds, err)
	}
}

// TestWriteCSV: the export holds exactly the filtered entries across several reads,
// and no cell starts a formula.
func TestWriteCSV(t *testing.T) {
	d := dbtest.New(t)
	ctx := t.Context()
	// 2,500 logins of carol (three reads of the export) and one of a hostile name.
	if _, err := d.Bun.ExecContext(ctx, `INSERT INTO audit_log (at, actor_name, action, target, details)
		SELECT timestamptz '2026-01-01 00:00Z' + g * interval '1 minute', 'carol', 'login.success', 'user:carol', '{"n": 1}'
		FROM generate_series(1, 2500) g`); err != nil {
		t.Fatal(err)
	}
	if err := audit.Record(ctx, d.Bun, audit.Actor{Name: "=HYPERLINK(\"http://x\")"}, audit.LoginFailure, "+cmd", map[string]any{"reason": "wrong password"}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := audit.WriteCSV(ctx, d.Bun, audit.Filter{User: "carol"}, time.UTC, &buf)
	if err != nil || n != 2500 {
		t.Fatalf("carol's export: %d rows, %v", n, err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 2501 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	if strings.Join(recs[0], ",") != "time,user,action,target,ip,details" || recs[1][0] != "2026-01-02T17:40:00Z" || recs[2500][0] != "2026-01-01T00:01:00Z" {
		t.Fatalf("header or order: %v … %v … %v", recs[0], recs[1], recs[2500])
	}
	seen := map[string]bool{}
	for _, r := range recs[1:] {
		if seen[r[0]] {
			t.Fatalf("entry at %s exported twice", r[0])
		}
		seen[r[0]] = true
	}
	buf.Reset()
	if _, err := audit.WriteCSV(ctx, d.Bun, audit.Filter{Type: audit.LoginFailure}, time.UTC, &buf); err != nil {
		t.Fatal(err)
	}
	recs, _ = csv.NewReader(&buf).ReadAll()
	if len(recs) != 2 || recs[1][1] != `'=HYPERLINK("http://x")` || recs[1][3] != "'+cmd" || recs[1][5] != `{"reason":"wrong password"}` {
		t.Fatalf("hostile entry exported as %q", recs)
	}
}

// TestRetentionAndCleanup: the default is two years; the cleanup deletes what is older
// (in batches), nothing younger; a retention out of bounds is refused beside its field.
func TestRetentionAndCleanup(t *testing.T) {
	d := dbtest.New(t)
	ctx := t.Context()
	if days, err := audit.Retention(ctx, d.Bun); err != nil || days != audit.DefaultRetentionDays {
		t.Fatalf("default retention %d %v", days, err)
	}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	// 12,000 entries past two years (more than two batches of the cleanup) and 3 younger.
	if _, err := d.Bun.ExecContext(ctx, `INSERT INTO audit_log (at, action)
		SELECT ?::timestamptz - interval '731 days' - g * interval '1 second', 'old' FROM generate_series(1, 12000) g`, now); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Bun.ExecContext(ctx, `INSERT INTO audit_log (at, action)
		SELECT ?::timestamptz - interval '700 days' - g * interval '1 day', 'recent' FROM generate_series(0, 2) g`, now); err != nil {
		t.Fatal(err)
	}
	n, err := audit.Cleanup(ctx, d.Bun, now)
	if err != nil || n != 12000 {
		t.Fatalf("cleanup deleted %d, %v", n, err)
	}
	var left []string
	_ = d.Bun.NewRaw("SELECT DISTINCT action FROM audit_log").Scan(ctx, &left)
	if strings.Join(left, ",") != "recent" {
		t.Fatalf("left %v", left)
	}

	err = audit.SetRetention(ctx, d.Bun, audit.Actor{Name: "admin"}, 7)
	var verr validation.Errors
	if !errors.As(err, &verr) || verr["audit_retention_days"] == "" {
		t.Fatalf("a week's retention: %v", err)
	}
	if err := audit.SetRetention(ctx, d.Bun, audit.Actor{Name: "admin"}, 365); err != nil {
		t.Fatal(err)
	}
	p, _ := audit.Search(ctx, d.Bun, audit.Filter{Type: audit.SettingsUpdated}, 1, 5)
	if len(p.Entries) != 1 || p.Entries[0].Target != "settings:maintenance" {
		t.Fatalf("retention change not audited: %+v", p.Entries)
	}
	// Now a year: the two recent entries older than a year go too.
	if n, err := audit.Cleanup(ctx, d.Bun, now); err != nil || n != 3 {
		t.Fatalf("second cleanup deleted %d, %v", n, err)
	}
}
