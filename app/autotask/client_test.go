package autotask_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/autotask"
	"github.com/backupchecks/backupchecks/app/autotask/autotasktest"
)

func newClient(t *testing.T, srv *autotasktest.Server, edit ...func(*autotask.Config)) *autotask.Client {
	t.Helper()
	cfg := srv.Config()
	for _, e := range edit {
		e(&cfg)
	}
	c, err := autotask.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestZoneFallbackAndCache(t *testing.T) {
	srv := autotasktest.NewServer(t)
	srv.FailFirstZone = true
	srv.AddCompany("Acme", true)
	c := newClient(t, srv)

	zone, err := c.TestConnection(context.Background())
	if err != nil || zone != "Fake Zone" {
		t.Fatalf("TestConnection = %q, %v", zone, err)
	}
	if _, err := autotask.SearchCompanies(context.Background(), c, "acme", 5); err != nil {
		t.Fatal(err)
	}
	if n1, n2 := len(srv.Calls("/zone1/")), len(srv.Calls("/zone2/")); n1 != 1 || n2 != 1 {
		t.Errorf("zone lookups: zone1=%d zone2=%d, want 1 each (fallback once, then cached)", n1, n2)
	}
	if got := srv.Calls("/zone2/")[0].Query; got != "user=api%40example.com" {
		t.Errorf("zone query = %q", got)
	}
}

func TestHeaders(t *testing.T) {
	srv := autotasktest.NewServer(t)
	srv.AddCompany("Acme", true)
	c := newClient(t, srv)
	if _, err := autotask.SearchCompanies(context.Background(), c, "Acme", 1); err != nil {
		t.Fatal(err)
	}
	calls := srv.Calls("POST /ATServicesRest/v1.0/Companies/query")
	if len(calls) != 1 {
		t.Fatalf("got %d query calls", len(calls))
	}
	h := calls[0].Header
	for k, want := range map[string]string{
		"ApiIntegrationCode": autotasktest.IntegrationCode,
		"UserName":           autotasktest.Username,
		"Secret":             autotasktest.Secret,
		"Content-Type":       "application/json",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if _, ok := h["Impersonationresourceid"]; ok {
		t.Error("ImpersonationResourceId sent though not configured")
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(calls[0].Body), &body); err != nil {
		t.Fatal(err)
	}
	if body["MaxRecords"] != float64(1) {
		t.Errorf("body = %s", calls[0].Body)
	}
}

func TestQueryPaging(t *testing.T) {
	srv := autotasktest.NewServer(t)
	srv.PageSize = 2
	for i := range 5 {
		srv.AddTicket(7, fmt.Sprintf("T%d", i), 1)
	}
	srv.AddTicket(8, "other company", 1)
	c := newClient(t, srv)
	ctx := context.Background()
	filter := []autotask.Filter{{Op: "eq", Field: "companyID", Value: 7}}

	for _, tc := range []struct {
		name  string
		max   int
		want  int
		pages int
	}{
		{"all across 3 pages", 0, 5, 3},
		{"max stops paging", 3, 3, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(srv.Calls("Tickets/query"))
			got, err := autotask.Query[autotask.Ticket](ctx, c, "Tickets", filter, tc.max)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.want {
				t.Fatalf("got %d tickets, want %d", len(got), tc.want)
			}
			for _, tk := range got {
				if tk.CompanyID != 7 || tk.TicketNumber == "" || tk.LastActivityDate.IsZero() {
					t.Errorf("unexpected ticket %+v", tk)
				}
			}
			if pages := len(srv.Calls("Tickets/query")) - before; pages != tc.pages {
				t.Errorf("%d requests, want %d", pages, tc.pages)
			}
		})
	}
}

func TestGetByIDsChunksAndFallsBack(t *testing.T) {
	srv := autotasktest.NewServer(t)
	var ids []int64
	for i := range 450 {
		ids = append(ids, srv.AddCompany(fmt.Sprintf("C%d", i), true))
	}
	c := newClient(t, srv)
	ctx := context.Background()

	got, err := autotask.GetByIDs[autotask.Company](ctx, c, "Companies", ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 450 {
		t.Fatalf("got %d companies, want 450", len(got))
	}
	queries := srv.Calls("Companies/query")
	if len(queries) != 3 {
		t.Fatalf("%d queries, want 3", len(queries))
	}
	for i, q := range queries {
		var body struct{ Filter []autotask.Filter }
		_ = json.Unmarshal([]byte(q.Body), &body)
		n := len(body.Filter[0].Value.([]any))
		if want := []int{200, 200, 50}[i]; body.Filter[0].Op != "in" || n != want {
			t.Errorf("query %d: op %s with %d ids, want in with %d", i, body.Filter[0].Op, n, want)
		}
	}

	// One invalid id in the second chunk: that chunk is read id by id and the bad id skipped.
	srv.BadIDs[ids[250]] = true
	before := len(srv.Calls("GET "))
	got, err = autotask.GetByIDs[autotask.Company](ctx, c, "Companies", ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 449 || slices.ContainsFunc(got, func(co autotask.Company) bool { return co.ID == ids[250] }) {
		t.Fatalf("got %d companies (bad id skipped?), want 449", len(got))
	}
	if gets := len(srv.Calls("GET ")) - before; gets != 200 {
		t.Errorf("%d single GETs, want 200 (only the failing chunk)", gets)
	}
}

func TestCreateTicket(t *testing.T) {
	srv := autotasktest.NewServer(t)
	co := srv.AddCompany("Acme", true)
	c := newClient(t, srv)
	id, number, err := autotask.CreateTicket(context.Background(), c, autotask.TicketInput{
		CompanyID: co, Title: "Backup failed: Daily VM", Description: "3 objects in error", QueueID: 5, Priority: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	if id == 0 || !strings.HasPrefix(number, "T") {
		t.Fatalf("id %d number %q", id, number)
	}
	rec := srv.Record("Tickets", id)
	if rec["description"] != "3 objects in error" || rec["queueID"] != float64(5) {
		t.Errorf("stored %v", rec)
	}
	if _, ok := rec["status"]; ok {
		t.Error("zero status should be omitted")
	}
}

func TestRetries(t *testing.T) {
	for _, tc := range []struct {
		name       string
		faults     int
		status     int
		retryAfter string
		wantErr    bool
		wantSleeps []time.Duration
	}{
		{"429 honours Retry-After", 2, http.StatusTooManyRequests, "7", false, []time.Duration{7 * time.Second, 7 * time.Second}},
		{"500 backs off", 2, http.StatusInternalServerError, "", false, []time.Duration{time.Second, 2 * time.Second}},
		{"gives up after MaxRetries", 4, http.StatusServiceUnavailable, "", true, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := autotasktest.NewServer(t)
			srv.AddCompany("Acme", true)
			c := newClient(t, srv)
			srv.FailNext(tc.faults, tc.status, tc.retryAfter)
			got, err := autotask.SearchCompanies(context.Background(), c, "Acme", 10)
			if tc.wantErr {
				var ae *autotask.APIError
				if !errors.As(err, &ae) || ae.Status != tc.status || !strings.HasPrefix(err.Error(), "autotask: query companies:") {
					t.Fatalf("err = %v", err)
				}
			} else if err != nil || len(got) != 1 {
				t.Fatalf("got %v, %v", got, err)
			}
			if !slices.Equal(srv.Sleeps, tc.wantSleeps) {
				t.Errorf("sleeps %v, want %v", srv.Sleeps, tc.wantSleeps)
			}
		})
	}
}

func TestClientErrors(t *testing.T) {
	srv := autotasktest.NewServer(t)
	ctx := context.Background()

	bad := newClient(t, srv, func(c *autotask.Config) { c.Secret = "wrong" })
	_, err := bad.TestConnection(ctx)
	if !errors.Is(err, autotask.ErrUnauthorized) || !strings.Contains(err.Error(), "credentials rejected") {
		t.Errorf("wrong secret: %v", err)
	}
	if len(srv.Sleeps) != 0 {
		t.Error("401 must not be retried")
	}

	unknown := newClient(t, srv, func(c *autotask.Config) { c.Username = "nobody@example.com" })
	_, err = unknown.TestConnection(ctx)
	if !errors.Is(err, autotask.ErrUnknownUser) || errors.Is(err, autotask.ErrUnauthorized) {
		t.Errorf("unknown user: %v", err)
	}

	c := newClient(t, srv)
	_, err = autotask.Query[autotask.Ticket](ctx, c, "Tickets", []autotask.Filter{{Op: "bogus", Field: "id", Value: 1}}, 0)
	if err == nil || !strings.Contains(err.Error(), `operator "bogus"`) || len(srv.Sleeps) != 0 {
		t.Errorf("400: %v (sleeps %v)", err, srv.Sleeps)
	}
}

func TestSearchCompanies(t *testing.T) {
	srv := autotasktest.NewServer(t)
	srv.AddCompany("Acme Corp", true)
	srv.AddCompany("ACME Holdings", false)
	srv.AddCompany("Globex", true)
	c := newClient(t, srv)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		max  int
		want []string
	}{
		{"acme", 10, []string{"Acme Corp", "ACME Holdings"}},
		{"acme", 1, []string{"Acme Corp"}},
		{"initech", 10, nil},
	} {
		got, err := autotask.SearchCompanies(ctx, c, tc.name, tc.max)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, co := range got {
			names = append(names, co.CompanyName)
		}
		if !slices.Equal(names, tc.want) {
			t.Errorf("SearchCompanies(%q, %d) = %v, want %v", tc.name, tc.max, names, tc.want)
		}
	}
}

func TestTicketPicklists(t *testing.T) {
	srv := autotasktest.NewServer(t)
	c := newClient(t, srv)
	p, err := autotask.TicketPicklists(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if q := p["queueID"]; len(q) != 2 || q[0].Label != "Monitoring Alert" || q[1].Label != "Client Portal" {
		t.Fatalf("queues (active, sorted): %+v", q)
	}
	if _, ok := p["title"]; ok {
		t.Fatal("a plain field is listed as a picklist")
	}
	if len(p["status"]) != 3 || len(p["priority"]) != 3 || len(p["source"]) != 2 {
		t.Fatalf("picklists: %+v", p)
	}
}
