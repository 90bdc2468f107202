package app

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/backupchecks/backupchecks/db"
)

// searchFixture: 12 customers "Zeta NN", each with one daily job "Zeta job NN" with
// a run to review, Inbox mails, tickets, remarks, overrides, reports (one by its name,
// one by its customer), Cove accounts and Cloud Connect accounts (one by its user, one
// by its job) that mention zeta, and one of each that does not ("Other").
func searchFixture(t *testing.T) *harness {
	t.Helper()
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	h := newHarness(t, Options{Now: func() time.Time { return now }})
	for _, q := range []string{
		`INSERT INTO customers (name) SELECT format('Zeta %s', lpad(g::text, 2, '0')) FROM generate_series(1, 12) g`,
		`INSERT INTO customers (name) VALUES ('Other')`,
		`INSERT INTO jobs (customer_id, job_name, backup_software, backup_type, from_address, learned_schedule, created_at)
		 SELECT id, replace(name, 'Zeta', 'Zeta job'), 'Veeam', 'Backup Job', 'veeam@' || lower(replace(name, ' ', '')) || '.example',
		        '{"kind":"daily","time":"07:00"}', '2026-01-01'
		 FROM customers`,
		`UPDATE jobs SET job_name = 'Other nightly' WHERE job_name = 'Other'`,
		`INSERT INTO job_runs (job_id, status, source_type, external_id, run_at, message)
		 SELECT id, 'Failed', 'email', 'r1', '2026-03-09 06:05Z', 'target unreachable' FROM jobs`,
		`UPDATE jobs SET unreviewed_count = 1, worst_unreviewed_status = 'Failed', last_run_at = '2026-03-09 06:05Z', last_run_status = 'Failed'`,
		`INSERT INTO mail_messages (source, size, raw_mime, from_address, subject, received_at)
		 SELECT 'upload', 1, 'x', 'nas@zeta.example', 'Zeta NAS report ' || g, '2026-03-08' FROM generate_series(1, 3) g`,
		`INSERT INTO mail_messages (source, size, raw_mime, from_address, subject, received_at) VALUES ('upload', 1, 'x', 'x@other.example', 'Other', '2026-03-08')`,
		`INSERT INTO tickets (ticket_code, description) VALUES ('ZETA-1', 'Disk full'), ('OTHER-1', 'Tape')`,
		`INSERT INTO remarks (body) VALUES ('Zeta moves to the new NAS'), ('Other remark')`,
		`INSERT INTO overrides (level, job_id, match_status, comment) SELECT 'object', id, 'Failed', 'known issue' FROM jobs WHERE job_name = 'Zeta job 01'`,
		`INSERT INTO overrides (level, backup_software, match_status) VALUES ('global', 'Other software', 'Warning')`,
		`INSERT INTO report_definitions (name, all_customers, period) VALUES ('Zeta monthly', true, 'previous_month'), ('Other report', true, 'yesterday')`,
		`INSERT INTO report_definitions (name, customer_ids, period) SELECT 'Customer report', ARRAY[id], 'last_7_days' FROM customers WHERE name = 'Zeta 03'`,
		`INSERT INTO cove_accounts (account_id, account_name, computer_name, partner_name) VALUES
		 (101, 'ZETA-PC-01', 'zeta-pc-01', 'Zeta 01'), (102, 'srv-backup', NULL, 'Zeta 02'), (103, 'other-device', 'other-pc', 'Other')`,
		`INSERT INTO cloud_connect_accounts (user_name, repo_name) VALUES ('zeta-tenant', 'Cloud repo'), ('other-user', 'Other repo')`,
		`INSERT INTO cloud_connect_accounts (user_name, repo_name, job_id) SELECT 'acme-tenant', 'Cloud repo', id FROM jobs WHERE job_name = 'Zeta job 05'`,
	} {
		if _, err := h.db.Bun.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return h
}

// TestSearchGroups: every section the admin may open is a group with its total and
// at most 10 hits; each group pages on its own and keeps the others' pages (in its
// links, and htmx gets that group alone); "Open <section>" shows the same rows on the
// section's own page, filtered by q.
func TestSearchGroups(t *testing.T) {
	h := searchFixture(t)
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")

	r := c.get("/search?q=zeta")
	wantStatus(t, r, http.StatusOK)
	want := map[string]int{"inbox": 3, "customers": 12, "jobs": 12, "daily_jobs": 12, "run_checks": 12, "tickets": 1, "remarks": 1, "overrides": 1,
		"reports": 2, "cove_accounts": 2, "cloud_connect": 2,
		"docs": 0} // the documentation says nothing of "zeta"
	for key, n := range want {
		g := r.doc.Find("#search-" + key)
		if g.Length() != 1 {
			t.Errorf("no %s group", key)
			continue
		}
		if got := strings.TrimSpace(g.Find(".search-total").Text()); got != fmt.Sprint(n) {
			t.Errorf("%s: total %s, want %d", key, got, n)
		}
		if hits := g.Find(".search-hit").Length(); hits != min(n, 10) {
			t.Errorf("%s: %d hits, want %d", key, hits, min(n, 10))
		}
		if strings.Contains(g.Text(), "Other") {
			t.Errorf("%s lists what does not match:\n%s", key, g.Text())
		}
	}
	if n := r.doc.Find(".search-group").Length(); n != len(want) {
		t.Errorf("%d groups, want %d", n, len(want))
	}
	// Daily Jobs: the expected time, the status and the day's runs; opens the dialog.
	day := r.doc.Find("#search-daily_jobs .search-hit").First()
	if !strings.Contains(day.Text(), "expected 07:00") || !strings.Contains(day.Text(), "1 run today") || day.Find(".badge").Text() != "Failed" {
		t.Errorf("Daily Jobs hit: %q", strings.Join(strings.Fields(day.Text()), " "))
	}
	if href := day.Find("a").AttrOr("href", ""); !strings.HasPrefix(href, "/daily?open_job_id=") {
		t.Errorf("Daily Jobs hit opens %q", href)
	}

	// The Jobs group's page 2 keeps the customers on page 1, and its links keep p_jobs.
	r = c.get("/search?q=zeta&p_jobs=2")
	if n := r.doc.Find("#search-jobs .search-hit").Length(); n != 2 {
		t.Fatalf("jobs page 2: %d hits", n)
	}
	if n := r.doc.Find("#search-customers .search-hit").Length(); n != 10 {
		t.Fatalf("customers on page 1: %d hits", n)
	}
	next := r.doc.Find("#search-customers a.search-page").AttrOr("href", "")
	u, _ := url.Parse(next)
	if u.Query().Get("p_customers") != "2" || u.Query().Get("p_jobs") != "2" || u.Query().Get("q") != "zeta" {
		t.Fatalf("customers' Next is %q", next)
	}
	r = c.get(next)
	if r.doc.Find("#search-customers .search-hit").Length() != 2 || r.doc.Find("#search-jobs .search-hit").Length() != 2 ||
		r.doc.Find("#search-inbox .search-hit").Length() != 3 {
		t.Fatal("paging customers lost the other groups' pages")
	}
	// htmx pages one group: that group comes back alone.
	req, _ := http.NewRequest("GET", h.url+next, nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Target", "search-customers")
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	frag := c.parse(resp, string(body))
	resp.Body.Close()
	if frag.doc.Find(".search-group").Length() != 1 || frag.doc.Find("#search-customers .search-hit").Length() != 2 || strings.Contains(frag.body, "<html") {
		t.Fatalf("htmx paging answered:\n%.500s", frag.body)
	}

	// "Open <section>" passes q on: the section's page shows the group's hits and
	// nothing that does not match.
	r = c.get("/search?q=zeta")
	r.doc.Find(".search-group").Each(func(_ int, g *goquery.Selection) {
		key := strings.TrimPrefix(g.AttrOr("id", ""), "search-")
		if want[key] == 0 {
			return // nothing found: nothing to open
		}
		open := g.Find("a.search-open").AttrOr("href", "")
		u, err := url.Parse(open)
		if err != nil || u.Query().Get("q") != "zeta" {
			t.Errorf("%s: Open link %q does not pass q", key, open)
			return
		}
		page := c.get(open)
		if page.StatusCode != http.StatusOK {
			t.Errorf("%s: %s answered %d", key, open, page.StatusCode)
			return
		}
		main := page.doc.Find("main").Text()
		g.Find(".search-hit").Each(func(_ int, hit *goquery.Selection) {
			title := strings.TrimSpace(hit.Find("a").First().Text())
			if key == "overrides" {
				title = "Zeta job 01"
			}
			if !strings.Contains(main, title) {
				t.Errorf("%s: %s does not show %q", key, open, title)
			}
		})
		for _, other := range []string{"Other nightly", "OTHER-1", "Other remark", "Other software", "x@other.example", "Other report", "other-device", "other-user"} {
			if strings.Contains(main, other) {
				t.Errorf("%s: %s shows %q, which does not match", key, open, other)
			}
		}
	})
}

// TestSearchTerms: the terms' rules through the page: several words are ANDed, * is
// a wildcard, % and _ are literal, and a query of only wildcards searches nothing.
func TestSearchTerms(t *testing.T) {
	h := searchFixture(t)
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")
	total := func(q, key string) string {
		r := c.get("/search?" + url.Values{"q": {q}}.Encode())
		return strings.TrimSpace(r.doc.Find("#search-" + key + " .search-total").Text())
	}
	for _, tc := range []struct{ q, key, want string }{
		{"zeta 07", "jobs", "1"},              // both words, in name and customer
		{"zeta veeam", "jobs", "12"},          // a word in the software
		{"zeta tape", "jobs", "0"},            // a word nowhere
		{"zeta*", "customers", "12"},          // starts with
		{"*01", "customers", "1"},             // ends with
		{"zeta_job", "jobs", "0"},             // _ is no wildcard
		{"zeta%", "customers", "0"},           // nor is %
		{"ZETA-1", "tickets", "1"},            // a ticket code
		{"unreachable", "run_checks", "13"},   // a run's message
		{"zeta 03", "reports", "1"},           // a report's customer
		{"monthly", "reports", "1"},           // a report's name
		{"zeta-pc*", "cove_accounts", "1"},    // a device (and computer) name starting so
		{"*backup", "cove_accounts", "1"},     // a device name ending so
		{"backup*", "cove_accounts", "0"},     // none starts so
		{"tenant zeta", "cloud_connect", "2"}, // by user, and by user and job
		{"zeta_tenant", "cloud_connect", "0"},
		{"cloud 05", "cloud_connect", "1"}, // the repo and the linked job
	} {
		if got := total(tc.q, tc.key); got != tc.want {
			t.Errorf("%q in %s: %s, want %s", tc.q, tc.key, got, tc.want)
		}
	}
	r := c.get("/search?q=" + url.QueryEscape(" * "))
	if r.doc.Find(".search-group").Length() != 0 || r.doc.Find("#search-empty").Length() != 1 {
		t.Fatal("a query of wildcards only searched")
	}
}

// TestSearchRoles: a section whose page the role may not open is not searched: Run
// Checks is for admins and operators, and so are the Cove and Cloud Connect accounts.
// A reporter searches Reports and the documentation alone, and "Open Reports" shows
// the reports the group counted.
func TestSearchRoles(t *testing.T) {
	h := searchFixture(t)
	h.user("vic", db.RoleViewer)
	h.user("oli", db.RoleOperator)
	h.user("rita", db.RoleReporter)
	for _, tc := range []struct {
		user   string
		groups []string
	}{
		{"vic", []string{"inbox", "customers", "jobs", "daily_jobs", "tickets", "remarks", "overrides", "reports", "docs"}},
		{"oli", []string{"inbox", "customers", "jobs", "daily_jobs", "run_checks", "tickets", "remarks", "overrides", "reports", "cove_accounts", "cloud_connect", "docs"}},
		{"rita", []string{"reports", "docs"}},
	} {
		c := h.client()
		c.login(tc.user)
		r := c.get("/search?q=zeta")
		wantStatus(t, r, http.StatusOK)
		var got []string
		r.doc.Find(".search-group").Each(func(_ int, g *goquery.Selection) {
			got = append(got, strings.TrimPrefix(g.AttrOr("id", ""), "search-"))
		})
		if strings.Join(got, " ") != strings.Join(tc.groups, " ") {
			t.Errorf("%s: groups %v, want %v", tc.user, got, tc.groups)
		}
		if nav := c.get("/").doc.Find("#nav-search").Length(); nav != 1 {
			t.Errorf("%s: no search box in the navbar", tc.user)
		}
		if tc.user != "rita" {
			continue
		}
		g := r.doc.Find("#search-reports")
		if total := strings.TrimSpace(g.Find(".search-total").Text()); total != "2" {
			t.Errorf("rita: %s reports, want 2", total)
		}
		open := g.Find("a.search-open").AttrOr("href", "")
		page := c.get(open)
		wantStatus(t, page, http.StatusOK)
		if u, _ := url.Parse(open); u.Query().Get("q") != "zeta" {
			t.Errorf("rita: Open Reports is %q", open)
		}
		if rows := page.doc.Find("#reports-table tbody tr"); rows.Length() != 2 || strings.Contains(rows.Text(), "Other report") ||
			page.doc.Find("#reports-q").AttrOr("value", "") != "zeta" {
			t.Errorf("rita: %s shows %q", open, strings.Join(strings.Fields(rows.Text()), " "))
		}
		if hit := g.Find(".search-hit a").First().AttrOr("href", ""); c.get(hit).StatusCode != http.StatusOK {
			t.Errorf("rita: the report hit %q does not open", hit)
		}
	}
}
