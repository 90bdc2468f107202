package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/backupchecks/backupchecks/db"
)

// An admin adds a Teams channel (the URL hidden once saved), sends a test that the
// receiver gets as an Adaptive Card, adds a rule, and sees both deliveries' outcomes;
// a failing channel is flagged on the dashboard; a viewer may not open the section
// but subscribes on the profile page.
func TestNotificationsSettings(t *testing.T) {
	var mu sync.Mutex
	var got [][]byte
	fail := false
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if fail {
			http.Error(w, "flow disabled", http.StatusForbidden)
			return
		}
		got = append(got, b)
	}))
	defer rcv.Close()
	h := newHarness(t, Options{})
	h.user("admin", db.RoleAdmin)
	viewer := h.user("vic", db.RoleViewer)
	c := h.client()
	c.login("admin")

	r := c.get("/settings/notifications")
	wantStatus(t, r, http.StatusOK)
	if r.doc.Find("#notify-channels-empty").Length() != 1 || r.doc.Find(`a[href="/settings/notifications"].active`).Length() != 1 {
		t.Fatalf("empty page:\n%.1500s", r.body)
	}
	wantStatus(t, c.get("/settings/notifications/channel?kind=teams"), http.StatusOK)
	// A bad URL comes back beside its field.
	r = c.post("/settings/notifications/channel", url.Values{"kind": {"teams"}, "name": {"On call"}, "url": {"javascript:alert(1)"}, "enabled": {"on"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if r.text("#f-url-error") == "" || r.doc.Find("#f-name").AttrOr("value", "") != "On call" {
		t.Fatalf("form:\n%.1500s", r.body)
	}
	r = c.post("/settings/notifications/channel", url.Values{"kind": {"teams"}, "name": {"On call"}, "url": {rcv.URL + "/flow?sig=SECRET"},
		"digest_time": {"07:30"}, "enabled": {"on"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/settings/notifications" {
		t.Fatalf("save: %d %s\n%.800s", r.StatusCode, r.Header.Get("Location"), r.body)
	}
	r = c.get("/settings/notifications")
	if strings.Contains(r.body, "sig=SECRET") || r.text("#notify-channels tbody tr td") != "On call" {
		t.Fatalf("the URL is shown, or the channel is missing:\n%.2000s", r.body)
	}
	var id string
	if err := h.db.Bun.NewRaw("SELECT id::text FROM notify_channels").Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	edit := c.get("/settings/notifications/channel?id=" + id)
	if strings.Contains(edit.body, "sig=SECRET") || edit.doc.Find("#f-url").AttrOr("value", "x") != "" {
		t.Fatal("the edit form shows the stored URL")
	}

	r = c.hx("POST", "/settings/notifications/channel/test", url.Values{"id": {id}})
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.body, "Test message sent.") || r.text("#notify-deliveries tbody tr") == "" {
		t.Fatalf("test:\n%.2000s", r.body)
	}
	mu.Lock()
	if len(got) != 1 || !strings.Contains(string(got[0]), "application/vnd.microsoft.card.adaptive") {
		t.Fatalf("receiver got %d: %s", len(got), got)
	}
	var card map[string]any
	if err := json.Unmarshal(got[0], &card); err != nil {
		t.Fatal(err)
	}
	fail = true
	mu.Unlock()
	r = c.hx("POST", "/settings/notifications/channel/test", url.Values{"id": {id}})
	if !strings.Contains(r.body, "The test failed") || !strings.Contains(r.body, "403") || strings.Contains(r.body, "sig=SECRET") {
		t.Fatalf("failed test:\n%.2000s", r.body)
	}
	if home := c.get("/"); !strings.Contains(home.text("#notify-failing"), "On call") {
		t.Errorf("the dashboard does not flag the failing channel: %q", home.text("#notify-failing"))
	}

	wantStatus(t, c.get("/settings/notifications/rule"), http.StatusOK)
	r = c.post("/settings/notifications/rule", url.Values{"name": {"Key customers"}, "channel_id": {id}, "group_minutes": {"0"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	for _, f := range []string{"group_minutes"} {
		if r.text("#f-"+f+"-error") == "" {
			t.Errorf("no error beside %s", f)
		}
	}
	if !strings.Contains(r.body, "choose at least one status") || !strings.Contains(r.body, "choose at least one day") {
		t.Errorf("rule errors missing:\n%.2000s", r.body)
	}
	r = c.post("/settings/notifications/rule", url.Values{"name": {"Key customers"}, "channel_id": {id}, "group_minutes": {"10"},
		"statuses": {"Failed", "Missed"}, "quiet_from": {"22:00"}, "quiet_to": {"07:00"}, "working_days": {"1", "2", "3", "4", "5"}, "enabled": {"on"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("rule save: %d\n%.1500s", r.StatusCode, r.body)
	}
	r = c.get("/settings/notifications")
	if row := r.text("#notify-rules tbody tr"); !strings.Contains(row, "Failed, Missed") || !strings.Contains(row, "22:00–07:00") || !strings.Contains(row, "Mon, Tue, Wed, Thu, Fri") {
		t.Errorf("rule row %q", row)
	}
	var audits int
	if err := h.db.Bun.NewRaw("SELECT count(*) FROM audit_log WHERE action LIKE 'notify.%'").Scan(context.Background(), &audits); err != nil || audits != 4 {
		t.Errorf("%d audit entries (%v), want channel, 2 tests, rule", audits, err)
	}

	// A viewer: no settings, but their own subscription.
	v := h.client()
	v.login("vic")
	wantStatus(t, v.get("/settings/notifications"), http.StatusForbidden)
	p := v.get("/profile")
	if p.doc.Find("#profile-notifications").Length() != 1 {
		t.Fatal("no notifications on the profile page")
	}
	r = v.hx("POST", "/profile/notifications", url.Values{"alerts": {"on"}, "statuses": {"Failed"}, "digest": {"on"}, "digest_time": {"08:15"}})
	wantStatus(t, r, http.StatusUnprocessableEntity) // no mail address yet
	if !strings.Contains(r.body, "no mail address") {
		t.Fatalf("%.1500s", r.body)
	}
	if _, err := h.db.Bun.ExecContext(context.Background(), "UPDATE users SET email = 'vic@msp.example' WHERE id = ?", viewer.ID); err != nil {
		t.Fatal(err)
	}
	v2 := h.client()
	v2.login("vic")
	v2.get("/profile")
	r = v2.hx("POST", "/profile/notifications", url.Values{"alerts": {"on"}, "statuses": {"Failed"}, "digest": {"on"}, "digest_time": {"08:15"}})
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.body, "Notifications saved.") || r.doc.Find(`#f-digest_time`).AttrOr("value", "") != "08:15" {
		t.Fatalf("%.1500s", r.body)
	}
}
