package metrics_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/metrics"
)

func TestProtect(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef"
	h := metrics.Protect(metrics.Handler(metrics.Process{LiveClients: func() int { return 3 }}), token)
	for auth, want := range map[string]int{
		"":                               http.StatusUnauthorized,
		"Bearer " + token + "x":          http.StatusUnauthorized,
		"bearer " + token:                http.StatusUnauthorized,
		token:                            http.StatusUnauthorized,
		"Bearer " + token:                http.StatusOK,
		"Bearer " + token[:len(token)-1]: http.StatusUnauthorized,
	} {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Authorization %q: %d, want %d", auth, rec.Code, want)
		}
	}
	if metrics.Authorized("Bearer ", "") {
		t.Error("an empty token authorizes")
	}
}

// TestObserve: the event counters show up with their labels; the per-source series
// exist before the first pass.
func TestObserve(t *testing.T) {
	metrics.ObserveRequest("GET", "/inbox/:id", 200, 20*time.Millisecond)
	metrics.ObserveJob("mail_import", metrics.OutcomeFailed, time.Second)
	metrics.ObserveImport("imap", 7, nil)
	metrics.ObserveImport("graph", 0, errors.New("refused"))
	rec := httptest.NewRecorder()
	metrics.Handler(metrics.Process{LiveClients: func() int { return 3 }}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`backupchecks_http_request_duration_seconds_count{code="200",method="GET",route="/inbox/:id"} 1`,
		`backupchecks_river_job_duration_seconds_count{kind="mail_import",outcome="failed"} 1`,
		`backupchecks_imports_total{result="ok",source="imap"} 1`,
		`backupchecks_imported_items_total{source="imap"} 7`,
		`backupchecks_imports_total{result="error",source="graph"} 1`,
		`backupchecks_imports_total{result="ok",source="autotask"} 0`,
		`backupchecks_imports_total{result="error",source="cove"} 0`,
		`backupchecks_live_clients 3`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("missing %s", want)
		}
	}
}
