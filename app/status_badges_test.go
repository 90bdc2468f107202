package app

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/backupchecks/backupchecks/app/review"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// statusBadges checks every badge of doc that names a status (optionally "(override)")
// against the one mapping, ui.StatusClass: its colour classes must be exactly the
// mapping's. Returns the statuses seen.
func statusBadges(t *testing.T, page string, doc *goquery.Document) []string {
	t.Helper()
	var seen []string
	doc.Find(".badge").Each(func(_ int, s *goquery.Selection) {
		status := strings.TrimSuffix(strings.Join(strings.Fields(s.Text()), " "), " (override)")
		if !slices.Contains(ui.Statuses, status) {
			return
		}
		seen = append(seen, status)
		want := strings.Fields(ui.StatusClass(status))
		class, _ := s.Attr("class")
		var colour []string
		for _, c := range strings.Fields(class) {
			if strings.HasPrefix(c, "text-") || strings.HasPrefix(c, "bg-") || strings.HasPrefix(c, "border") {
				colour = append(colour, c)
			}
		}
		slices.Sort(colour)
		slices.Sort(want)
		if !slices.Equal(colour, want) {
			t.Errorf("%s: %q badge has colour classes %v, want %v (ui.StatusClass)", page, status, colour, want)
		}
	})
	return seen
}

// TestStatusBadgesOneColour renders every page that shows run statuses, with runs of
// each status, and checks that each status has the same colour everywhere.
func TestStatusBadgesOneColour(t *testing.T) {
	h, c, id := dailyFixture(t)
	approvedJob(t, h, c, "Globex", "Weekly", 10, "Success", "Warning")
	// A missed run, an informational one and a failure made a success by an override.
	dbtest.Fixture(t, h.db).JobByID(id).Runs(
		dbtest.Run{Status: "Missed", Source: "missed", ExternalID: "missed-x", At: time.Date(2026, 3, 3, 21, 0, 0, 0, time.UTC)},
		dbtest.Run{Status: "Info", At: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), Message: "note"},
		dbtest.Run{Status: "Failed", Overridden: "Success", At: time.Date(2026, 2, 28, 21, 0, 0, 0, time.UTC)})
	if err := review.RecountJobSummaries(t.Context(), h.db.Bun, []int64{id}); err != nil {
		t.Fatal(err)
	}
	var runs []int64
	if err := h.db.Bun.NewRaw("SELECT id FROM job_runs WHERE job_id = ? ORDER BY id", id).Scan(t.Context(), &runs); err != nil {
		t.Fatal(err)
	}

	seen := map[string]bool{}
	check := func(page string, r *response) {
		t.Helper()
		wantStatus(t, r, http.StatusOK)
		for _, s := range statusBadges(t, page, r.doc) {
			seen[s] = true
		}
	}
	for _, page := range []string{"/", "/runchecks", "/runchecks?include_reviewed=on", "/daily?date=2026-03-02",
		"/daily?date=2026-03-03", "/daily?date=2026-03-04", "/jobs", fmt.Sprintf("/jobs/%d", id), "/overrides"} {
		check(page, c.get(page))
	}
	for _, run := range runs {
		page := fmt.Sprintf("/runchecks/runs/%d", run)
		check(page, c.hx("GET", page, nil))
	}
	for _, date := range []string{"2026-03-02", "2026-03-03"} {
		page := fmt.Sprintf("/daily/%d?date=%s", id, date)
		check(page, c.hx("GET", page, nil))
	}
	for _, s := range ui.Statuses {
		if !seen[s] {
			t.Errorf("no %s badge on any page: the check saw too little", s)
		}
	}
}
