package app

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/auth"
	usersview "github.com/backupchecks/backupchecks/components/users"
	"github.com/backupchecks/backupchecks/db"
)

// TestUserLockoutAndUnlock: failed logins lock an account; the login page says until
// when (UI time, once), Users shows the lock with an Unlock action only admins may use,
// and after it the user signs in at once.
func TestUserLockoutAndUnlock(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC) // 13:00 in Amsterdam
	th := auth.Throttle{Window: 15 * time.Minute, PerAccount: 3, PerIP: 50}
	h := newHarness(t, Options{Now: func() time.Time { return now }, Throttle: &th})
	h.user("admin", db.RoleAdmin)
	h.user("ops", db.RoleOperator)
	victim := h.user("victim", db.RoleViewer)

	v := h.client()
	v.get("/login")
	for range th.PerAccount {
		wantStatus(t, v.post("/login", url.Values{"username": {"victim"}, "password": {"guess guess guess"}}), http.StatusUnauthorized)
	}
	r := v.post("/login", url.Values{"username": {"victim"}, "password": {testPassword}})
	wantStatus(t, r, http.StatusTooManyRequests)
	msg := r.text("#login-error")
	if want := "Too many failed logins: try again after 13:15 CET. An admin can unlock the account under Users."; msg != want {
		t.Errorf("lockout message %q, want %q", msg, want)
	}
	if n := len(regexp.MustCompile(`(?i)too many failed logins`).FindAllString(msg, -1)); n != 1 {
		t.Errorf("the message says it %d times: %q", n, msg)
	}

	row := fmt.Sprintf("#user-%d", victim.ID)
	o := h.client()
	o.login("ops")
	wantStatus(t, o.hx("POST", fmt.Sprintf("/users/%d/unlock", victim.ID), nil), http.StatusForbidden)

	a := h.client()
	a.login("admin")
	r = a.get("/users")
	if got := r.text(row + " .user-locked"); got != "locked until 13:15" {
		t.Errorf("Users shows %q for the locked user", got)
	}
	if r.doc.Find(row+" .user-unlock").Length() != 1 || r.doc.Find(".user-unlock").Length() != 1 {
		t.Errorf("Unlock offered %d times, want once (victim's row)", r.doc.Find(".user-unlock").Length())
	}
	// Without the CSRF token the unlock is refused.
	wantStatus(t, a.do("POST", fmt.Sprintf("/users/%d/unlock", victim.ID), url.Values{}, false), http.StatusForbidden)
	r = a.hx("POST", fmt.Sprintf("/users/%d/unlock", victim.ID), nil)
	wantStatus(t, r, http.StatusOK)
	// The answer is the row alone (a <tr>, which the HTML parser keeps only in a table).
	if !strings.HasPrefix(r.body, fmt.Sprintf(`<tr id="user-%d"`, victim.ID)) || strings.Contains(r.body, "user-locked") ||
		strings.Contains(r.body, "user-unlock") || !strings.Contains(r.text("#flash"), "victim unlocked") {
		t.Fatalf("unlock answer:\n%s", r.body)
	}
	v.login("victim")
	if r := a.get("/audit"); !strings.Contains(r.body, "user.unlocked") {
		t.Error("unlock not audited")
	}
}

// TestUsersPageLastLoginAndRoles: the Users page shows each user's last login, the
// admin's own login before this one, and a line on each role.
func TestUsersPageLastLoginAndRoles(t *testing.T) {
	h := newHarness(t, Options{})
	admin := h.user("admin", db.RoleAdmin)
	ops := h.user("ops", db.RoleOperator)
	h.user("never", db.RoleViewer)
	h.client().login("ops")
	h.client().login("admin")
	c := h.client()
	c.login("admin")
	r := c.get("/users")
	for id, want := range map[int64]bool{admin.ID: true, ops.ID: true} {
		if got := r.text(fmt.Sprintf("#user-%d td:nth-child(6)", id)); (got != "—") != want {
			t.Errorf("user %d last login %q", id, got)
		}
	}
	if got := r.text(fmt.Sprintf("#user-%d .user-previous-login", admin.ID)); !strings.HasPrefix(got, "before that: 20") {
		t.Errorf("the admin's previous login: %q", got)
	}
	if r.doc.Find(fmt.Sprintf("#user-%d .user-previous-login", ops.ID)).Length() != 0 {
		t.Error("another user's previous login shown")
	}
	for _, role := range usersview.AllRoles {
		if got := r.text(fmt.Sprintf(`#role-descriptions dt[data-role="%s"] + dd`, role)); got != usersview.RoleDescriptions[role] || got == "" {
			t.Errorf("role %s described as %q", role, got)
		}
	}
}

// TestRoleDescriptionsMatchRoutes keeps the one-line role descriptions on the Users
// page true to the route table.
func TestRoleDescriptionsMatchRoutes(t *testing.T) {
	a := &App{}
	can := func(role, method, path string) bool {
		for _, r := range a.routeTable() {
			if r.Method == method && r.Path == path {
				return r.Roles == nil || slices.Contains(r.Roles, role)
			}
		}
		t.Fatalf("no route %s %s", method, path)
		return false
	}
	for _, tc := range []struct {
		role, method, path string
		want               bool
	}{
		// reporter: "Sees the dashboard and the feedback board, and builds, schedules, searches and downloads customer reports; nothing else."
		{db.RoleReporter, "GET", "/", true},
		{db.RoleReporter, "GET", "/profile", true},
		{db.RoleReporter, "POST", "/reports", true},
		{db.RoleReporter, "GET", "/reports/:id/pdf", true},
		{db.RoleReporter, "GET", "/customers", false},
		{db.RoleViewer, "GET", "/reports/:id/pdf", true},
		{db.RoleViewer, "POST", "/reports", false},
		{db.RoleReporter, "POST", "/feedback", true},
		{db.RoleReporter, "GET", "/search", true}, // finds Reports (and the documentation) alone
		{db.RoleReporter, "GET", "/cove/accounts", false},
		{db.RoleViewer, "GET", "/search", true},
		// viewer: "Reads the Inbox, Daily Jobs, Tickets, Customers, Jobs and Overrides; ... cannot open Run Checks."
		{db.RoleViewer, "GET", "/inbox", true},
		{db.RoleViewer, "GET", "/daily", true},
		{db.RoleViewer, "GET", "/tickets", true},
		{db.RoleViewer, "GET", "/customers", true},
		{db.RoleViewer, "GET", "/jobs", true},
		{db.RoleViewer, "GET", "/overrides", true},
		{db.RoleViewer, "GET", "/runchecks", false},
		// operator: "Reviews runs ..., approves Inbox mails, and manages customers, tickets, remarks and overrides."
		{db.RoleOperator, "POST", "/runchecks/review", true},
		{db.RoleOperator, "POST", "/inbox/:id/approve", true},
		{db.RoleOperator, "PUT", "/customers/:id", true},
		{db.RoleOperator, "POST", "/tickets", true},
		{db.RoleOperator, "POST", "/overrides", true},
		{db.RoleOperator, "GET", "/settings", false},
		// admin: "... settings, users, parsers, the audit log, job schedules, archiving and deleting jobs, and importing and deleting customers."
		{db.RoleAdmin, "PUT", "/settings/general", true},
		{db.RoleAdmin, "POST", "/users", true},
		{db.RoleAdmin, "GET", "/parsers", true},
		{db.RoleAdmin, "GET", "/audit", true},
		{db.RoleAdmin, "POST", "/settings/maintenance/delete-jobs", true},
		{db.RoleAdmin, "POST", "/feedback/:id/purge", true},
		{db.RoleOperator, "POST", "/feedback/:id/purge", false},
		{db.RoleAdmin, "PUT", "/jobs/:id/schedule", true},
		{db.RoleAdmin, "POST", "/jobs/:id/archive", true},
		{db.RoleAdmin, "POST", "/jobs/:id/delete", true},
		{db.RoleAdmin, "POST", "/customers/import", true},
		{db.RoleAdmin, "POST", "/customers/:id/delete", true},
	} {
		if got := can(tc.role, tc.method, tc.path); got != tc.want {
			t.Errorf("%s may %s %s: %v, the description says %v", tc.role, tc.method, tc.path, got, tc.want)
		}
	}
	// "changes nothing but their own feedback posts" (viewer) and "nothing else"
	// (reporter): nothing else but their own profile, logging out, the feedback board
	// and (reporter) the reports.
	own := func(r route) bool {
		return strings.HasPrefix(r.Path, "/profile") || r.Path == "/logout" || r.Path == "/feedback" || strings.HasPrefix(r.Path, "/feedback/") ||
			// The documentation is every role's, like its own profile.
			r.Method == "GET" && strings.HasPrefix(r.Path, "/documentation")
	}
	// "searches ... customer reports": the global search, which finds a reporter the
	// reports (and the documentation) alone (TestSearchRoles).
	reportRoute := func(r route) bool {
		return strings.HasPrefix(r.Path, "/reports") || strings.HasPrefix(r.Path, "/report-") || r.Method == "GET" && r.Path == "/search"
	}
	for _, r := range a.routeTable() {
		if r.Roles == nil || own(r) {
			continue
		}
		if slices.Contains(r.Roles, db.RoleReporter) && !(r.Method == "GET" && (r.Path == "/" || r.Path == "/events")) && !reportRoute(r) {
			t.Errorf("a reporter may %s %s", r.Method, r.Path)
		}
		if slices.Contains(r.Roles, db.RoleViewer) && r.Method != "GET" {
			t.Errorf("a viewer may %s %s", r.Method, r.Path)
		}
	}
}
