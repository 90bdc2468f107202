package app

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/backupchecks/backupchecks/app/config"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/jobs"
)

const testMetricsToken = "metrics-token-metrics-token-0123456789"

func scrape(t *testing.T, h *harness, auth string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", h.url+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMetricsBehindToken: /metrics answers only the bearer token; it labels requests by
// route pattern (never the raw path with its ids) and reports River's queues, the
// database pool and the live streams.
func TestMetricsBehindToken(t *testing.T) {
	h := newHarness(t, Options{}, func(c *config.Config) { c.MetricsToken = testMetricsToken })
	h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")
	wantStatus(t, c.get("/inbox/987654321"), http.StatusNotFound)
	wantStatus(t, c.get("/no/such/page"), http.StatusNotFound)

	for _, auth := range []string{"", "Bearer wrong-token-wrong-token-wrong-token", "Basic " + testMetricsToken, testMetricsToken} {
		if code, _ := scrape(t, h, auth); code != http.StatusUnauthorized {
			t.Errorf("Authorization %q: status %d, want 401", auth, code)
		}
	}
	// A signed-in admin's session is no way in either.
	if r := c.get("/metrics"); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("signed-in admin without the token: status %d, want 401", r.StatusCode)
	}

	// A job waiting in the queue.
	if _, err := h.app.queue.Client.Insert(t.Context(), jobs.MailReparseArgs{TaskID: 99}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	code, body := scrape(t, h, "Bearer "+testMetricsToken)
	if code != http.StatusOK {
		t.Fatalf("with the token: status %d\n%.500s", code, body)
	}
	for _, want := range []string{
		`backupchecks_http_request_duration_seconds_bucket{code="200",method="GET",route="/login"`,
		`backupchecks_http_request_duration_seconds_count{code="404",method="GET",route="/inbox/:id"}`,
		`route="unmatched"`,
		`backupchecks_db_pool_connections{state="max"}`,
		`backupchecks_db_pool_acquires_total{kind="all"}`,
		`backupchecks_live_clients 0`,
		`backupchecks_imports_total{result="error",source="graph"} `,
		`backupchecks_river_jobs{kind="mail_reparse",queue="default",state="scheduled"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "987654321") || strings.Contains(body, "/no/such/page") {
		t.Error("a raw path made its own series")
	}
}

// TestMetricsOff: without METRICS_TOKEN the app serves no /metrics at all.
func TestMetricsOff(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("admin", db.RoleAdmin) // past the first-run setup, which every path leads to
	if code, _ := scrape(t, h, "Bearer "+testMetricsToken); code != http.StatusNotFound {
		t.Fatalf("status %d, want 404", code)
	}
}
