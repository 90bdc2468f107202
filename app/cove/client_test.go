package cove_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/cove"
	"github.com/backupchecks/backupchecks/app/cove/covetest"
)

// sleeps records the client's waits instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// clock is a test clock shared by the client and the fake.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClient(t *testing.T, fake *covetest.Server, mod func(*cove.Config)) (*cove.Client, *sleeps) {
	t.Helper()
	sl := &sleeps{}
	cfg := cove.Config{URL: fake.URL, Username: covetest.Username, Password: covetest.Password, Sleep: sl.sleep}
	if mod != nil {
		mod(&cfg)
	}
	c, err := cove.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, sl
}

func readAll(t *testing.T, c *cove.Client, cols []string) ([]cove.Account, int, error) {
	t.Helper()
	var all []cove.Account
	pages := 0
	err := c.Accounts(context.Background(), cols, func(p cove.Page) error {
		pages++
		all = append(all, p.Accounts...)
		if len(p.Invalid) > 0 {
			return errors.New(strings.Join(p.Invalid, "; "))
		}
		return nil
	})
	return all, pages, err
}

// The visa chain: Login with lower-case keys answers the visa at the top level and the
// partner inside result; every call sends the visa of the answer before it; pages of
// 250 (RecordsCount, in a lower-case query) until a short page; Settings flattened.
func TestClientPagesWithTheVisaChain(t *testing.T) {
	for _, tc := range []struct {
		name      string
		accounts  int
		wantCalls int
	}{
		{"none", 0, 1},
		{"one short page", 3, 1},
		{"three pages", 600, 3},
		{"an exact multiple ends with an empty page", 500, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := covetest.New(t)
			last := time.Date(2026, 3, 9, 22, 0, 0, 0, time.UTC)
			fake.SetAccounts(covetest.Fleet(tc.accounts, last))
			c, _ := newClient(t, fake, nil)
			all, pages, err := readAll(t, c, cove.Columns())
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != tc.accounts || pages != tc.wantCalls {
				t.Fatalf("got %d accounts in %d pages, want %d in %d", len(all), pages, tc.accounts, tc.wantCalls)
			}
			if tc.accounts > 0 {
				a := all[len(all)-1]
				if a.ID != int64(100000+tc.accounts-1) || a.PartnerID != covetest.PartnerID || a.Settings["I18"] == "" ||
					a.Settings["D09F15"] != "1773093600" || a.Settings["D01F00"] != "5" {
					t.Fatalf("last account read as %+v", a)
				}
			}
			reqs := fake.Requests()
			if fake.Calls("Login") != 1 || len(reqs) != tc.wantCalls+1 {
				t.Fatalf("%d logins, %d requests", fake.Calls("Login"), len(reqs))
			}
			var login map[string]any
			_ = json.Unmarshal(reqs[0].Raw, &login)
			if login["username"] != covetest.Username || login["password"] != covetest.Password || reqs[0].Visa != "" {
				t.Fatalf("Login sent %s with visa %q", reqs[0].Raw, reqs[0].Visa)
			}
			seen := map[string]bool{}
			for i, r := range reqs[1:] {
				if r.Visa == "" || seen[r.Visa] {
					t.Fatalf("call %d sent visa %q (empty or used before: the chain must move on)", i+1, r.Visa)
				}
				seen[r.Visa] = true
				var p struct {
					Query map[string]any `json:"query"`
				}
				_ = json.Unmarshal(r.Raw, &p)
				if p.Query["RecordsCount"] != float64(cove.PageSize) || p.Query["StartRecordNumber"] != float64(i*cove.PageSize) ||
					p.Query["PartnerId"] != float64(covetest.PartnerID) {
					t.Fatalf("call %d asked %s", i+1, r.Raw)
				}
			}
		})
	}
}

// An expired visa is renewed by logging in again without the caller noticing, both
// when Cove refuses it and when it is older than Cove keeps visas.
func TestClientRenewsAnExpiredVisa(t *testing.T) {
	fake := covetest.New(t)
	fake.SetAccounts(covetest.Fleet(600, time.Now()))
	clk := &clock{t: time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC)}
	fake.SetClock(clk.now)
	c, _ := newClient(t, fake, func(cfg *cove.Config) { cfg.Now = clk.now })

	pages := 0
	err := c.Accounts(context.Background(), cove.Columns(), func(cove.Page) error {
		pages++
		switch pages {
		case 1:
			fake.ExpireVisas() // refused: Cove says so, the client logs in again
		case 2:
			clk.add(16 * time.Minute) // too old: renewed before the call
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pages != 3 || fake.Calls("Login") != 3 {
		t.Fatalf("%d pages, %d logins; want 3 and 3", pages, fake.Calls("Login"))
	}

	// A visa refused right after a new Login is not retried for ever.
	fake.Inject(covetest.FaultVisaExpired, covetest.FaultVisaExpired)
	if _, err := c.AccountsPage(context.Background(), cove.Columns(), 0, 10); err == nil || !strings.Contains(err.Error(), "Visa") {
		t.Fatalf("a visa refused twice: %v", err)
	}
}

// Cove refuses the whole call when one column is a legacy D02/D03 one: error 13501, as
// ErrSecurity, with the reason in words. The import never asks for them.
func TestClientSecurityError13501(t *testing.T) {
	fake := covetest.New(t)
	c, _ := newClient(t, fake, nil)
	for _, col := range []string{"D02F00", "D3F15"} {
		_, err := c.AccountsPage(context.Background(), []string{"I1", col}, 0, 10)
		if !errors.Is(err, cove.ErrSecurity) || !strings.Contains(err.Error(), "13501") {
			t.Fatalf("asking for %s: %v", col, err)
		}
	}
	for _, col := range cove.Columns() {
		if strings.HasPrefix(col, "D02") || strings.HasPrefix(col, "D03") {
			t.Fatalf("the import asks for legacy column %s", col)
		}
	}
	if _, _, err := readAll(t, c, cove.Columns()); err != nil {
		t.Fatalf("the import's columns: %v", err)
	}
}

func TestClientWrongPassword(t *testing.T) {
	fake := covetest.New(t)
	c, _ := newClient(t, fake, func(cfg *cove.Config) { cfg.Password = "wrong" })
	_, err := c.Login(context.Background())
	if !errors.Is(err, cove.ErrCredentials) || !strings.Contains(err.Error(), "incorrect") {
		t.Fatalf("wrong password: %v", err)
	}
	if _, _, err := readAll(t, c, cove.Columns()); !errors.Is(err, cove.ErrCredentials) {
		t.Fatalf("reading accounts with a wrong password: %v", err)
	}
	if fake.Calls("EnumerateAccountStatistics") != 0 {
		t.Fatal("enumerated without a login")
	}
	if _, err := cove.New(cove.Config{URL: fake.URL, Username: covetest.Username}); err == nil {
		t.Fatal("a client without a password")
	}
}

// 5xx, answers that are not JSON-RPC, rate limits and slow answers are tried again
// with backoff (the server's Retry-After when it gives one), then fail with a clear
// message.
func TestClientRetriesTransientFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		faults    []covetest.Fault
		wantErr   string // "" = succeeds
		wantSleep []time.Duration
	}{
		{"a 500", []covetest.Fault{covetest.FaultHTTP500}, "", []time.Duration{time.Second}},
		{"a 503 with Retry-After", []covetest.Fault{covetest.FaultHTTP503}, "", []time.Duration{time.Second}},
		{"garbage", []covetest.Fault{covetest.FaultGarbage, covetest.FaultGarbage}, "", []time.Duration{time.Second, 2 * time.Second}},
		{"rate limit", []covetest.Fault{covetest.FaultRateLimit}, "", []time.Duration{2 * time.Second}},
		{"slow", []covetest.Fault{covetest.FaultSlow}, "", []time.Duration{time.Second}},
		{"500s all along", repeat(covetest.FaultHTTP500, 5), "failed after 5 attempts: Cove answered HTTP 500",
			[]time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}},
		{"garbage all along", repeat(covetest.FaultGarbage, 5), "the answer is not JSON-RPC", nil},
		{"too slow all along", repeat(covetest.FaultSlow, 5), "Cove did not answer in time", nil},
		{"rate limited all along", repeat(covetest.FaultRateLimit, 5), "rate limit", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := covetest.New(t)
			fake.SlowFor = 2 * time.Second
			fake.SetAccounts(covetest.Fleet(3, time.Now()))
			c, sl := newClient(t, fake, func(cfg *cove.Config) { cfg.HTTPClient = &http.Client{Timeout: 200 * time.Millisecond} })
			if _, err := c.Login(context.Background()); err != nil {
				t.Fatal(err)
			}
			fake.Inject(tc.faults...)
			all, _, err := readAll(t, c, cove.Columns())
			switch {
			case tc.wantErr == "" && (err != nil || len(all) != 3):
				t.Fatalf("got %d accounts, %v", len(all), err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if tc.wantSleep != nil && !equal(sl.all(), tc.wantSleep) {
				t.Fatalf("waited %v, want %v", sl.all(), tc.wantSleep)
			}
		})
	}
}

func repeat(f covetest.Fault, n int) []covetest.Fault {
	out := make([]covetest.Fault, n)
	for i := range out {
		out[i] = f
	}
	return out
}

func equal(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// What Cove sends is bounded before it is believed: long values are cut, an account
// without an id fails the page with a message saying where.
func TestClientHostileAnswers(t *testing.T) {
	fake := covetest.New(t)
	fake.SetAccounts([]covetest.Account{{ID: 7, Settings: map[string]string{"I1": strings.Repeat("x", 100000), "I18": "PC\x00\xff"}}})
	c, _ := newClient(t, fake, nil)
	all, _, err := readAll(t, c, cove.Columns())
	if err != nil {
		t.Fatal(err)
	}
	if n := len([]rune(all[0].Settings["I1"])); n > 2001 {
		t.Fatalf("a 100,000-character name kept %d characters", n)
	}
	fake.SetAccounts([]covetest.Account{{ID: 0, Settings: map[string]string{}}, {ID: 8, Settings: map[string]string{"I1": "ok"}}})
	p, err := c.AccountsPage(context.Background(), cove.Columns(), 0, 10)
	if err != nil || p.Records != 2 || len(p.Accounts) != 1 || len(p.Invalid) != 1 || !strings.Contains(p.Invalid[0], "AccountId") {
		t.Fatalf("an account without an id beside a good one: %+v, %v", p, err)
	}
}
