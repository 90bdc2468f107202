package graph_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/mail/graph"
	"github.com/backupchecks/backupchecks/app/mail/graph/graphtest"
)

var t0 = time.Date(2025, 3, 10, 6, 0, 0, 0, time.UTC)

func reportMail(i int) []byte {
	return fmt.Appendf(nil, "From: Veeam <veeam@customer.example>\r\n"+
		"To: backups@msp.example\r\n"+
		"Subject: [Success] Daily VM %d\r\n"+
		"Message-ID: <%d@customer.example>\r\n"+
		"Date: Mon, 10 Mar 2025 06:00:00 +0000\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\n"+
		"Job finished %d.\r\n", i, i, i)
}

func newSource(t *testing.T, cfg graph.Config) *graph.Source {
	t.Helper()
	s, err := graph.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// graphCalls leaves out the token endpoint.
func graphCalls(f *graphtest.FakeServer) []graphtest.FakeCall {
	return slices.DeleteFunc(f.Calls(), func(c graphtest.FakeCall) bool { return !strings.HasPrefix(c.Path, "/v1.0/") })
}

func TestNew(t *testing.T) {
	valid := graph.Config{TenantID: "t", ClientID: "c", ClientSecret: "s", Mailbox: "m@x", SourceFolder: "Inbox", ProcessedFolder: "Inbox/Done"}
	for _, tc := range []struct {
		name    string
		edit    func(*graph.Config)
		wantErr string
	}{
		{"valid", func(*graph.Config) {}, ""},
		{"no tenant", func(c *graph.Config) { c.TenantID = " " }, "tenant ID is required"},
		{"no client", func(c *graph.Config) { c.ClientID = "" }, "client ID is required"},
		{"no secret", func(c *graph.Config) { c.ClientSecret = "" }, "client secret is required"},
		{"no mailbox", func(c *graph.Config) { c.Mailbox = "" }, "mailbox is required"},
		{"no source", func(c *graph.Config) { c.SourceFolder = "/" }, "source folder is required"},
		{"no processed", func(c *graph.Config) { c.ProcessedFolder = "" }, "processed folder is required"},
		{"same folder", func(c *graph.Config) { c.SourceFolder, c.ProcessedFolder = " inbox / Reports/", "Inbox/reports" }, "must differ"},
		{"bad graph URL", func(c *graph.Config) { c.GraphURL = "graph.microsoft.com/v1.0" }, "graph URL"},
		{"bad login URL", func(c *graph.Config) { c.LoginURL = "ftp://login" }, "login URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid
			tc.edit(&cfg)
			s, err := graph.New(cfg)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				got := s.Config()
				if got.LoginURL != graph.DefaultLoginURL || got.GraphURL != graph.DefaultGraphURL ||
					got.MaxRetries != graph.DefaultMaxRetries || got.Limits != mail.DefaultLimits ||
					got.HTTPClient == nil || got.HTTPClient.Timeout == 0 || got.Sleep == nil {
					t.Errorf("defaults not filled in: %+v", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("graph.New error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}

	t.Run("every problem at once", func(t *testing.T) {
		_, err := graph.New(graph.Config{})
		for _, want := range []string{"tenant ID", "client ID", "client secret", "mailbox", "source folder", "processed folder"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("graph.New(graph.Config{}) = %v, want it to mention %s", err, want)
			}
		}
	})
}

func TestTokenEndpointAndScope(t *testing.T) {
	base := graph.Config{TenantID: "contoso.onmicrosoft.com", ClientID: "c", ClientSecret: "s", Mailbox: "m@x", SourceFolder: "Inbox", ProcessedFolder: "Archive"}
	for _, tc := range []struct {
		name, login, graph, wantTokenURL, wantScope string
	}{
		{"global", "", "", "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token", "https://graph.microsoft.com/.default"},
		{"US government", "https://login.microsoftonline.us/", "https://graph.microsoft.us/v1.0",
			"https://login.microsoftonline.us/contoso.onmicrosoft.com/oauth2/v2.0/token", "https://graph.microsoft.us/.default"},
		{"China", "https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn/v1.0/",
			"https://login.chinacloudapi.cn/contoso.onmicrosoft.com/oauth2/v2.0/token", "https://microsoftgraph.chinacloudapi.cn/.default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			cfg.LoginURL, cfg.GraphURL = tc.login, tc.graph
			s := newSource(t, cfg)
			tokenURL, scopes := s.TokenEndpoint()
			if tokenURL != tc.wantTokenURL {
				t.Errorf("token URL = %q, want %q", tokenURL, tc.wantTokenURL)
			}
			if !slices.Equal(scopes, []string{tc.wantScope}) {
				t.Errorf("scopes = %q, want [%q]", scopes, tc.wantScope)
			}
		})
	}
}

// TestImport runs a whole import: three pages of listing, download, move, a second
// fetch that finds nothing, and a check, all on one token.
func TestImport(t *testing.T) {
	f := graphtest.NewFakeServer(t)
	f.AddFolder("Inbox/Backup reports")
	f.AddFolder("Processed")
	f.SetPageSize(2)
	// Added out of order: Fetch must hand them over oldest first.
	var want []string
	for _, i := range []int{3, 1, 4, 0, 2} {
		f.AddMessage("Inbox/Backup reports", reportMail(i), t0.Add(time.Duration(i)*time.Hour))
	}
	want = f.Messages("Inbox/Backup reports")
	f.AddMessage("Inbox", reportMail(99), t0) // not in the source folder

	s := newSource(t, f.Config("inbox/backup REPORTS", "Processed"))
	msgs, err := s.Fetch(t.Context(), 10)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(msgs) != 5 {
		t.Fatalf("Fetch returned %d messages, want 5", len(msgs))
	}
	var got []string
	for i, m := range msgs {
		got = append(got, m.SourceID)
		if wantRaw := reportMail(i); !bytes.Equal(m.Raw, wantRaw) {
			t.Errorf("message %d Raw = %q, want %q", i, m.Raw, wantRaw)
		}
		if m.Size != int64(len(m.Raw)) {
			t.Errorf("message %d Size = %d, want %d", i, m.Size, len(m.Raw))
		}
		if wantAt := t0.Add(time.Duration(i) * time.Hour); !m.ReceivedAt.Equal(wantAt) {
			t.Errorf("message %d ReceivedAt = %v, want %v", i, m.ReceivedAt, wantAt)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("fetched ids %q, want %q", got, want)
	}

	var pages []graphtest.FakeCall
	for _, c := range graphCalls(f) {
		if strings.HasSuffix(c.Path, "/messages") {
			pages = append(pages, c)
		}
	}
	if len(pages) != 3 {
		t.Fatalf("listed %d pages, want 3", len(pages))
	}
	first := pages[0].Query
	if first.Get("$top") != "10" || first.Get("$orderby") != "receivedDateTime asc" ||
		first.Get("$select") != "id,receivedDateTime,internetMessageId,subject" || first.Has("$skiptoken") {
		t.Errorf("first page query = %v", first)
	}
	for _, p := range pages[1:] {
		// The nextLink is followed as given: the fake's own query comes back.
		if !p.Query.Has("$skiptoken") || p.Query.Get("$orderby") != "receivedDateTime asc" {
			t.Errorf("next page query = %v, want the nextLink's", p.Query)
		}
	}

	if err := s.MarkProcessed(t.Context(), got); err != nil {
		t.Fatalf("MarkProcessed: %v", err)
	}
	// Immutable ids: the moved messages keep the ids they were imported under.
	if moved := f.Messages("Processed"); !slices.Equal(moved, got) {
		t.Errorf("Processed holds %q, want %q", moved, got)
	}
	if left := f.Messages("Inbox/Backup reports"); len(left) != 0 {
		t.Errorf("source folder still holds %q", left)
	}
	again, err := s.Fetch(t.Context(), 10)
	if err != nil || len(again) != 0 {
		t.Errorf("second Fetch = %d messages, %v; want none", len(again), err)
	}
	res, err := s.Check(t.Context())
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if res.Waiting != 0 || res.SourceFolder != "Inbox/Backup reports" || res.ProcessedInto != "Processed" {
		t.Errorf("Check = %+v", res)
	}

	if n := f.TokenRequests(); n != 1 {
		t.Errorf("token endpoint hit %d times, want 1", n)
	}
	for _, c := range f.Calls() {
		if c.Status >= 300 {
			t.Errorf("%s %s answered %d", c.Method, c.Path, c.Status)
		}
		if strings.HasSuffix(c.Path, "/token") {
			form, _ := url.ParseQuery(string(c.Body))
			if wantScope := "https://" + strings.TrimPrefix(f.URL, "http://") + "/.default"; form.Get("scope") != wantScope {
				t.Errorf("token scope = %q, want %q", form.Get("scope"), wantScope)
			}
			continue
		}
		if p := c.Header.Get("Prefer"); p != `IdType="ImmutableId"` {
			t.Errorf("%s %s sent Prefer %q, want the immutable id header", c.Method, c.Path, p)
		}
	}
	if slept := f.Slept(); len(slept) != 0 {
		t.Errorf("slept %v in an import without faults", slept)
	}
}

func TestFetchStopsAtLimit(t *testing.T) {
	f := graphtest.NewFakeServer(t)
	f.AddFolder("Processed")
	f.SetPageSize(2)
	for i := range 5 {
		f.AddMessage("Inbox", reportMail(i), t0.Add(time.Duration(i)*time.Minute))
	}
	s := newSource(t, f.Config("Inbox", "Processed"))
	msgs, err := s.Fetch(t.Context(), 3)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if want := f.Messages("Inbox")[:3]; len(msgs) != 3 || msgs[0].SourceID != want[0] || msgs[2].SourceID != want[2] {
		t.Errorf("Fetch(3) returned %d messages, want the oldest 3", len(msgs))
	}
	var pages, values int
	for _, c := range graphCalls(f) {
		switch {
		case strings.HasSuffix(c.Path, "/messages"):
			pages++
		case strings.HasSuffix(c.Path, "/$value"):
			values++
		}
	}
	if pages != 2 || values != 3 {
		t.Errorf("listed %d pages and downloaded %d messages, want 2 and 3", pages, values)
	}
	if _, err := s.Fetch(t.Context(), 0); err == nil {
		t.Error("Fetch(0) did not fail")
	}
}

func TestRetries(t *testing.T) {
	inRange := func(lo, hi time.Duration) func(time.Duration) bool {
		return func(d time.Duration) bool { return d >= lo && d <= hi }
	}
	exactly := func(want time.Duration) func(time.Duration) bool {
		return func(d time.Duration) bool { return d == want }
	}
	for _, tc := range []struct {
		name       string
		fault      func(f *graphtest.FakeServer)
		maxRetries int
		wantSleeps []func(time.Duration) bool
		wantCalls  int // Graph calls; 0: do not check
		wantErr    []string
		partial    bool // the error is a FetchError naming the one message
	}{
		{
			name:       "429 honours Retry-After seconds",
			fault:      func(f *graphtest.FakeServer) { f.Throttle(2, "7") },
			wantSleeps: []func(time.Duration) bool{exactly(7 * time.Second), exactly(7 * time.Second)},
		},
		{
			name: "429 honours Retry-After as an HTTP date",
			fault: func(f *graphtest.FakeServer) {
				f.Throttle(1, time.Now().Add(30*time.Second).UTC().Format(http.TimeFormat))
			},
			wantSleeps: []func(time.Duration) bool{inRange(27*time.Second, 30*time.Second)},
		},
		{
			name:       "Retry-After is capped",
			fault:      func(f *graphtest.FakeServer) { f.Throttle(1, "86400") },
			wantSleeps: []func(time.Duration) bool{exactly(graph.MaxRetryAfter)},
		},
		{
			name:       "429 without Retry-After backs off",
			fault:      func(f *graphtest.FakeServer) { f.Throttle(1, "") },
			wantSleeps: []func(time.Duration) bool{inRange(time.Second, 1500*time.Millisecond)},
		},
		{
			name: "503 honours Retry-After",
			fault: func(f *graphtest.FakeServer) {
				f.Inject(graphtest.Fault{Times: 1, Status: http.StatusServiceUnavailable, RetryAfter: "3"})
			},
			wantSleeps: []func(time.Duration) bool{exactly(3 * time.Second)},
		},
		{
			name:  "500 is retried with growing backoff, then succeeds",
			fault: func(f *graphtest.FakeServer) { f.FailNext(3, http.StatusInternalServerError) },
			wantSleeps: []func(time.Duration) bool{
				inRange(time.Second, 1500*time.Millisecond),
				inRange(2*time.Second, 3*time.Second),
				inRange(4*time.Second, 6*time.Second),
			},
		},
		{
			name:       "persistent 500 fails after MaxRetries",
			fault:      func(f *graphtest.FakeServer) { f.FailNext(100, http.StatusInternalServerError) },
			maxRetries: 3,
			wantSleeps: []func(time.Duration) bool{
				inRange(time.Second, 1500*time.Millisecond),
				inRange(2*time.Second, 3*time.Second),
				inRange(4*time.Second, 6*time.Second),
			},
			wantCalls: 4,
			wantErr:   []string{"500 UnknownError", "gave up after 4 attempts"},
		},
		{
			name:      "403 fails at once with Graph's error",
			fault:     func(f *graphtest.FakeServer) { f.Inject(graphtest.Fault{Times: 1, Status: http.StatusForbidden}) },
			wantCalls: 1,
			wantErr:   []string{"ErrorAccessDenied", "Access is denied", "Mail.ReadWrite"},
		},
		{
			name: "a failing download is retried",
			fault: func(f *graphtest.FakeServer) {
				f.Inject(graphtest.Fault{Match: "/$value", Times: 1, Status: http.StatusBadGateway})
			},
			wantSleeps: []func(time.Duration) bool{
				inRange(time.Second, 1500*time.Millisecond),
			},
		},
		{
			name: "a download failing for good is reported",
			fault: func(f *graphtest.FakeServer) {
				f.Inject(graphtest.Fault{Match: "/$value", Times: 100, Status: http.StatusInternalServerError})
			},
			maxRetries: -1,
			wantErr:    []string{"download message", "500"},
			partial:    true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := graphtest.NewFakeServer(t)
			f.AddFolder("Processed")
			f.AddMessage("Inbox", reportMail(1), t0)
			cfg := f.Config("Inbox", "Processed")
			cfg.MaxRetries = tc.maxRetries
			s := newSource(t, cfg)
			tc.fault(f)

			msgs, err := s.Fetch(t.Context(), 10)
			if len(tc.wantErr) == 0 {
				if err != nil || len(msgs) != 1 {
					t.Fatalf("Fetch = %d messages, %v; want 1", len(msgs), err)
				}
			} else {
				if err == nil {
					t.Fatal("Fetch succeeded, want an error")
				}
				var fe *mail.FetchError
				if tc.partial && (!errors.As(err, &fe) || len(fe.Failed) != 1 || len(msgs) != 0) {
					t.Errorf("Fetch = %d messages, %v; want a FetchError naming the one message", len(msgs), err)
				}
				for _, want := range tc.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("Fetch error %q does not contain %q", err, want)
					}
				}
			}
			slept := f.Slept()
			if len(slept) != len(tc.wantSleeps) {
				t.Fatalf("slept %v, want %d waits", slept, len(tc.wantSleeps))
			}
			for i, ok := range tc.wantSleeps {
				if !ok(slept[i]) {
					t.Errorf("wait %d = %v, out of range", i, slept[i])
				}
			}
			if n := len(graphCalls(f)); tc.wantCalls > 0 && n != tc.wantCalls {
				t.Errorf("%d Graph calls, want %d", n, tc.wantCalls)
			}
		})
	}
}

func TestSlowResponseTimesOutAndIsRetried(t *testing.T) {
	for _, match := range []string{"/mailFolders", "/$value"} {
		t.Run(match, func(t *testing.T) {
			f := graphtest.NewFakeServer(t)
			f.AddFolder("Processed")
			f.AddMessage("Inbox", reportMail(1), t0)
			cfg := f.Config("Inbox", "Processed")
			cfg.HTTPClient = &http.Client{Timeout: 200 * time.Millisecond}
			s := newSource(t, cfg)
			f.Inject(graphtest.Fault{Match: match, Times: 1, Delay: 10 * time.Second})

			start := time.Now()
			msgs, err := s.Fetch(t.Context(), 10)
			if err != nil || len(msgs) != 1 {
				t.Fatalf("Fetch = %d messages, %v; want 1", len(msgs), err)
			}
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("Fetch took %v: the slow call was waited out", elapsed)
			}
			if slept := f.Slept(); len(slept) != 1 {
				t.Errorf("slept %v, want one backoff", slept)
			}
			calls := graphCalls(f)
			var timedOut int
			for _, c := range calls {
				if c.Status == 0 && strings.Contains(c.Path, match) {
					timedOut++
				}
			}
			if timedOut != 1 {
				t.Errorf("%d calls went unanswered, want 1", timedOut)
			}
		})
	}
}

func TestValueNotFoundIsSkipped(t *testing.T) {
	f := graphtest.NewFakeServer(t)
	f.AddFolder("Processed")
	a := f.AddMessage("Inbox", reportMail(0), t0)
	b := f.AddMessage("Inbox", reportMail(1), t0.Add(time.Minute))
	c := f.AddMessage("Inbox", reportMail(2), t0.Add(2*time.Minute))
	f.MissingValue(b)
	s := newSource(t, f.Config("Inbox", "Processed"))
	msgs, err := s.Fetch(t.Context(), 10)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(msgs) != 2 || msgs[0].SourceID != a || msgs[1].SourceID != c {
		t.Errorf("Fetch returned %d messages, want %s and %s", len(msgs), a, c)
	}
	if slept := f.Slept(); len(slept) != 0 {
		t.Errorf("a 404 was retried: slept %v", slept)
	}
}

func TestFetchReducesLargeAttachments(t *testing.T) {
	f := graphtest.NewFakeServer(t)
	f.AddFolder("Processed")
	blob := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xAB}, 16<<10))
	raw := []byte("From: nas@customer.example\r\nSubject: Backup log\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain\r\n\r\nBackup task finished.\r\n" +
		"--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"log.bin\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + blob + "\r\n--b1--\r\n")
	f.AddMessage("Inbox", raw, t0)
	cfg := f.Config("Inbox", "Processed")
	cfg.Limits = mail.Limits{MaxMessage: 1 << 20, MaxAttachment: 1 << 10}
	s := newSource(t, cfg)
	msgs, err := s.Fetch(t.Context(), 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Fetch = %d messages, %v; want 1", len(msgs), err)
	}
	m := msgs[0]
	if m.Size != int64(len(raw)) || len(m.Raw) >= len(raw) || len(m.Skipped) != 1 || m.Skipped[0].Filename != "log.bin" {
		t.Errorf("got Size %d, %d bytes kept, Skipped %+v; want the attachment left out of %d bytes", m.Size, len(m.Raw), m.Skipped, len(raw))
	}
}

func TestMarkProcessed(t *testing.T) {
	f := graphtest.NewFakeServer(t)
	f.AddFolder("Processed")
	var ids []string
	for i := range 5 {
		ids = append(ids, f.AddMessage("Inbox", reportMail(i), t0.Add(time.Duration(i)*time.Minute)))
	}
	s := newSource(t, f.Config("Inbox", "Processed"))

	t.Run("moves only the named messages", func(t *testing.T) {
		if err := s.MarkProcessed(t.Context(), []string{ids[0], ids[2]}); err != nil {
			t.Fatalf("MarkProcessed: %v", err)
		}
		if got := f.Messages("Processed"); !slices.Equal(got, []string{ids[0], ids[2]}) {
			t.Errorf("Processed holds %q", got)
		}
		if got := f.Messages("Inbox"); !slices.Equal(got, []string{ids[1], ids[3], ids[4]}) {
			t.Errorf("Inbox holds %q", got)
		}
		for _, c := range graphCalls(f) {
			if strings.HasSuffix(c.Path, "/move") && string(c.Body) != `{"destinationId":"`+f.FolderID("Processed")+`"}` {
				t.Errorf("move body = %s", c.Body)
			}
		}
	})

	t.Run("a message already gone counts as moved", func(t *testing.T) {
		f.RemoveMessage(ids[1])
		if err := s.MarkProcessed(t.Context(), []string{ids[1], ids[0]}); err != nil {
			t.Fatalf("MarkProcessed: %v", err)
		}
	})

	t.Run("tries every id and names the ones that failed", func(t *testing.T) {
		f.Inject(graphtest.Fault{Match: ids[3] + "/move", Times: 1, Status: http.StatusForbidden})
		f.Inject(graphtest.Fault{Match: ids[4] + "/move", Times: 1, Status: http.StatusInternalServerError})
		err := s.MarkProcessed(t.Context(), []string{ids[3], ids[4]})
		if err == nil || !strings.Contains(err.Error(), ids[3]) || strings.Contains(err.Error(), ids[4]) {
			t.Fatalf("MarkProcessed error = %v, want only %s named", err, ids[3])
		}
		if got := f.Messages("Processed"); !slices.Contains(got, ids[4]) || slices.Contains(got, ids[3]) {
			t.Errorf("Processed holds %q, want %s (retried) but not %s", got, ids[4], ids[3])
		}
		// The retried POST carried its body again.
		var bodies []string
		for _, c := range graphCalls(f) {
			if strings.HasSuffix(c.Path, ids[4]+"/move") {
				bodies = append(bodies, string(c.Body))
			}
		}
		if len(bodies) != 2 || bodies[0] != bodies[1] || bodies[0] == "" {
			t.Errorf("move bodies across the retry = %q", bodies)
		}
	})

	t.Run("a deleted processed folder is an error, not a success", func(t *testing.T) {
		f.RemoveFolder("Processed")
		err := s.MarkProcessed(t.Context(), []string{ids[3]})
		if err == nil || !strings.Contains(err.Error(), "processed folder not found") {
			t.Fatalf("MarkProcessed error = %v, want the missing folder", err)
		}
		if got := f.Messages("Inbox"); !slices.Contains(got, ids[3]) {
			t.Errorf("message left the Inbox: %q", got)
		}
		// The next call resolves the folders again and says what is missing.
		err = s.MarkProcessed(t.Context(), []string{ids[3]})
		if err == nil || !strings.Contains(err.Error(), `processed folder "Processed" does not exist`) {
			t.Errorf("second MarkProcessed error = %v", err)
		}
	})
}

func TestCheck(t *testing.T) {
	f := graphtest.NewFakeServer(t)
	f.AddFolder("Inbox/Backup reports")
	f.AddFolder("Inbox/Other")
	f.AddMessage("Inbox/Backup reports", reportMail(1), t0)
	f.AddMessage("Inbox/Backup reports", reportMail(2), t0)

	t.Run("reports what it finds", func(t *testing.T) {
		s := newSource(t, f.Config("INBOX/backup reports", "junkemail"))
		res, err := s.Check(t.Context())
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		wantFolders := []string{"Inbox", "Drafts", "Sent Items", "Deleted Items", "Archive", "Junk Email", "Inbox/Backup reports", "Inbox/Other"}
		if !slices.Equal(res.Folders, wantFolders) {
			t.Errorf("Folders = %q, want %q", res.Folders, wantFolders)
		}
		if res.SourceFolder != "Inbox/Backup reports" || res.Waiting != 2 || res.ProcessedInto != "Junk Email" ||
			!strings.Contains(res.ServerDetails, f.Mailbox) {
			t.Errorf("Check = %+v", res)
		}
		if n := len(f.Messages("Inbox/Backup reports")); n != 2 {
			t.Errorf("Check changed the mailbox: %d messages left", n)
		}
	})

	for _, tc := range []struct {
		name    string
		edit    func(*graph.Config)
		wantErr []string
		notErr  []string
	}{
		{
			name:    "wrong secret",
			edit:    func(c *graph.Config) { c.ClientSecret = "expired" },
			wantErr: []string{"graph: get token", "client secret", "invalid_client", "AADSTS7000215: Invalid client secret provided"},
			notErr:  []string{"Trace ID"},
		},
		{
			name:    "wrong tenant",
			edit:    func(c *graph.Config) { c.TenantID = "contoso.example" },
			wantErr: []string{"graph: get token", "tenant ID", "AADSTS90002", "contoso.example"},
		},
		{
			name:    "wrong client ID",
			edit:    func(c *graph.Config) { c.ClientID = "00000000-0000-0000-0000-000000000000" },
			wantErr: []string{"graph: get token", "AADSTS700016"},
		},
		{
			name:    "unknown mailbox",
			edit:    func(c *graph.Config) { c.Mailbox = "nobody@msp.example" },
			wantErr: []string{`mailbox "nobody@msp.example" not found`, "ErrorInvalidUser"},
		},
		{
			name:    "missing top-level folder",
			edit:    func(c *graph.Config) { c.SourceFolder = "Backups" },
			wantErr: []string{`source folder "Backups" does not exist in mailbox "backups@msp.example"`, "top-level folders: Inbox, Drafts, Sent Items, Deleted Items, Archive, Junk Email"},
		},
		{
			name:    "missing subfolder",
			edit:    func(c *graph.Config) { c.SourceFolder = "Inbox/Backup" },
			wantErr: []string{`source folder "Inbox/Backup" does not exist`, `"Inbox" contains: Backup reports, Other`},
		},
		{
			name:    "missing processed folder",
			edit:    func(c *graph.Config) { c.ProcessedFolder = "Inbox/Backup reports/Done" },
			wantErr: []string{`processed folder "Inbox/Backup reports/Done" does not exist`, `"Inbox/Backup reports" has no subfolders`},
		},
		{
			name:    "two names for one folder",
			edit:    func(c *graph.Config) { c.SourceFolder, c.ProcessedFolder = "Junk Email", "junkemail" },
			wantErr: []string{`processed folder "Junk Email" is the source folder`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := f.Config("Inbox/Backup reports", "Archive")
			tc.edit(&cfg)
			_, err := newSource(t, cfg).Check(t.Context())
			if err == nil {
				t.Fatal("Check succeeded, want an error")
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Check error %q does not contain %q", err, want)
				}
			}
			for _, not := range tc.notErr {
				if strings.Contains(err.Error(), not) {
					t.Errorf("Check error %q contains %q", err, not)
				}
			}
		})
	}
}

func TestWrongSecretFailsFetchWithoutRetries(t *testing.T) {
	f := graphtest.NewFakeServer(t)
	cfg := f.Config("Inbox", "Archive")
	cfg.ClientSecret = "wrong"
	_, err := newSource(t, cfg).Fetch(t.Context(), 10)
	if err == nil || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Fatalf("Fetch error = %v, want the sign-in refusal", err)
	}
	if n, slept := f.TokenRequests(), f.Slept(); n != 1 || len(slept) != 0 {
		t.Errorf("%d token requests, slept %v; a refused sign-in is not retried", n, slept)
	}
}

func TestRevokedTokenIsRenewedOnce(t *testing.T) {
	f := graphtest.NewFakeServer(t)
	f.AddMessage("Inbox", reportMail(1), t0)
	s := newSource(t, f.Config("Inbox", "Archive"))
	if _, err := s.Fetch(t.Context(), 10); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	f.RevokeTokens()
	if msgs, err := s.Fetch(t.Context(), 10); err != nil || len(msgs) != 1 {
		t.Fatalf("Fetch after revocation = %d messages, %v", len(msgs), err)
	}
	if n := f.TokenRequests(); n != 2 {
		t.Errorf("token endpoint hit %d times, want 2", n)
	}
}

func TestCheckLink(t *testing.T) {
	s := newSource(t, graph.Config{TenantID: "t", ClientID: "c", ClientSecret: "s", Mailbox: "m@x", SourceFolder: "Inbox", ProcessedFolder: "Archive"})
	for link, ok := range map[string]bool{
		"https://graph.microsoft.com/v1.0/users/m@x/mailFolders/A/messages?$skip=10": true,
		"https://GRAPH.microsoft.com/v1.0/users/m@x/messages?$skiptoken=abc":         true,
		"https://graph.microsoft.com.evil.example/v1.0/users/m@x/messages":           false,
		"http://graph.microsoft.com/v1.0/users/m@x/messages":                         false,
	} {
		if err := s.CheckLink(link); (err == nil) != ok {
			t.Errorf("checkLink(%q) = %v, want ok=%v", link, err, ok)
		}
	}
}

// A message that cannot be downloaded is left out and named; the others come through.
func TestFetchLeavesOutAFailingDownload(t *testing.T) {
	f := graphtest.NewFakeServer(t)
	f.AddFolder("Processed")
	a := f.AddMessage("Inbox", reportMail(0), t0)
	b := f.AddMessage("Inbox", reportMail(1), t0.Add(time.Minute))
	c := f.AddMessage("Inbox", reportMail(2), t0.Add(2*time.Minute))
	f.Inject(graphtest.Fault{Match: b + "/$value", Times: 100, Status: http.StatusServiceUnavailable})
	cfg := f.Config("Inbox", "Processed")
	cfg.MaxRetries = 1
	msgs, err := newSource(t, cfg).Fetch(t.Context(), 10)
	var fe *mail.FetchError
	if !errors.As(err, &fe) || len(fe.Failed) != 1 || fe.Failed[0].SourceID != b || !strings.Contains(err.Error(), "503") {
		t.Fatalf("Fetch error = %v; want a FetchError naming %s", err, b)
	}
	if len(msgs) != 2 || msgs[0].SourceID != a || msgs[1].SourceID != c {
		t.Fatalf("Fetch returned %d messages, want %s and %s", len(msgs), a, c)
	}
}

// An empty message ($value with no body) is handed over like any other.
func TestSecurityEmptyMessageIsFetched(t *testing.T) {
	f := graphtest.NewFakeServer(t)
	f.AddFolder("Processed")
	f.AddMessage("Inbox", reportMail(0), t0)
	empty := f.AddMessage("Inbox", nil, t0.Add(time.Minute))
	msgs, err := newSource(t, f.Config("Inbox", "Processed")).Fetch(t.Context(), 10)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("Fetch = %d messages, %v; want 2", len(msgs), err)
	}
	if m := msgs[1]; m.SourceID != empty || len(m.Raw) != 0 || m.Size != 0 || m.Truncated {
		t.Fatalf("empty message fetched as %+v", m)
	}
}

// A mail over MaxMessage even without its attachments is handed over cut off, and says so.
func TestFetchMarksAMailOverTheLimit(t *testing.T) {
	f := graphtest.NewFakeServer(t)
	f.AddFolder("Processed")
	raw := append(reportMail(0), bytes.Repeat([]byte("a long text body line\r\n"), 2000)...)
	f.AddMessage("Inbox", raw, t0)
	f.AddMessage("Inbox", reportMail(1), t0.Add(time.Minute))
	cfg := f.Config("Inbox", "Processed")
	cfg.Limits = mail.Limits{MaxMessage: 16 << 10, MaxAttachment: 8 << 10}
	msgs, err := newSource(t, cfg).Fetch(t.Context(), 10)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("Fetch = %d messages, %v; want 2", len(msgs), err)
	}
	if big := msgs[0]; !big.Truncated || len(big.Raw) > 16<<10 || big.Size != int64(len(raw)) {
		t.Errorf("big mail: truncated %v, %d bytes kept, size %d; want cut off at 16 KB of %d", big.Truncated, len(big.Raw), big.Size, len(raw))
	}
	if msgs[1].Truncated {
		t.Error("the small mail is marked cut off")
	}
}
