package app

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/backupchecks/backupchecks/db"
)

// TestLoggingPage: the Logging page filters by event type, user and dates (a bad date
// is named beside its field), pages keep the filter, and the CSV export holds exactly
// the filtered entries; only admins open either.
func TestLoggingPage(t *testing.T) {
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	h := newHarness(t, Options{Now: func() time.Time { return now }})
	h.user("ada", db.RoleAdmin)
	h.user("oli", db.RoleOperator)
	c := h.client()
	c.login("ada")
	mallory := h.client()
	mallory.get("/login")
	wantStatus(t, mallory.post("/login", url.Values{"username": {"mallory"}, "password": {"guess"}}), http.StatusUnauthorized)
	// An old entry, for the date filter.
	if _, err := h.db.Bun.ExecContext(t.Context(), `INSERT INTO audit_log (at, actor_name, action, target) VALUES ('2026-01-15 10:00Z', 'ada', 'settings.updated', 'settings:general')`); err != nil {
		t.Fatal(err)
	}

	rows := func(r *response) []string {
		var out []string
		r.doc.Find("#audit-table tbody tr").Each(func(_ int, s *goquery.Selection) {
			if s.Find("td").Length() == 6 {
				out = append(out, strings.TrimSpace(s.Find("td").Eq(1).Text())+" "+strings.TrimSpace(s.Find("td").Eq(2).Text()))
			}
		})
		return out
	}
	r := c.get("/audit?type=login.")
	if got := rows(r); len(got) != 2 || !slices.Contains(got, "ada login.success") || !slices.Contains(got, "mallory login.failure") {
		t.Fatalf("logins: %v", got)
	}
	if r.doc.Find(`#audit-type option[value="login."][selected]`).Length() != 1 {
		t.Fatal("the chosen type is not shown as chosen")
	}
	if got := rows(c.get("/audit?user=MALLORY")); len(got) != 1 || got[0] != "mallory login.failure" {
		t.Fatalf("mallory's: %v", got)
	}
	if got := rows(c.get("/audit?from=2026-01-01&to=2026-01-31")); len(got) != 1 || got[0] != "ada settings.updated" {
		t.Fatalf("January: %v", got)
	}
	r = c.get("/audit?from=31-01-2026")
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.text("#audit-from-error"), "2026-03-31") {
		t.Fatal("a bad date is not named beside its field")
	}
	if href := r.doc.Find("#audit-export").AttrOr("href", ""); href != "/audit/export.csv?from=31-01-2026" {
		t.Fatalf("export link %q", href)
	}

	// The export of a filter holds its entries and no others.
	exp := c.get("/audit/export.csv?type=login.&user=mallory")
	wantStatus(t, exp, http.StatusOK)
	if !strings.HasPrefix(exp.Header.Get("Content-Type"), "text/csv") || !strings.Contains(exp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export headers %v", exp.Header)
	}
	recs, err := csv.NewReader(strings.NewReader(exp.body)).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][1] != "mallory" || recs[1][2] != "login.failure" {
		t.Fatalf("export: %q %v", recs, err)
	}

	oli := h.client()
	oli.login("oli")
	wantStatus(t, oli.get("/audit"), http.StatusForbidden)
	wantStatus(t, oli.get("/audit/export.csv"), http.StatusForbidden)
}
