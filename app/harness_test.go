package app

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"log/slog"

	"github.com/PuerkitoBio/goquery"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/app/config"
	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/app/mail/mailbox"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
	riverjobs "github.com/backupchecks/backupchecks/jobs"
)

const testPassword = "correct horse battery"

// harness runs the real application on a loopback listener against a fresh database.
type harness struct {
	t   *testing.T
	app *App
	db  *db.DB
	url string
}

func newHarness(t *testing.T, opt Options, configure ...func(*config.Config)) *harness {
	t.Helper()
	d := dbtest.New(t)
	base, _ := url.Parse("http://127.0.0.1")
	cfg := &config.Config{SecretKey: "test-secret-key-test-secret-key-0123", BaseURL: base,
		SessionMaxAge: 12 * time.Hour, SessionIdleTimeout: 2 * time.Hour, RiverMaxWorkers: 1}
	for _, f := range configure {
		f(cfg)
	}
	opt.Version = "test"
	ctx, cancel := context.WithCancel(context.Background())
	// The real live hub and River workers, as `serve` runs them.
	hub := live.NewHub(d.Pool)
	go hub.Run(ctx)
	opt.Hub = hub
	if opt.Registry == nil {
		opt.Registry = parsers.Default()
	}
	river, err := riverjobs.NewClient(d, riverjobs.Config{MaxWorkers: 2, Registry: opt.Registry,
		Keys: secrets.NewKeyring(cfg.SecretKey), Sessions: auth.SessionPolicy{MaxAge: time.Hour, IdleTimeout: time.Hour},
		Logger: slog.Default(), Sources: mailbox.Options{GraphLoginURL: cfg.GraphLoginURL, GraphURL: cfg.GraphURL},
		AutotaskZoneURLs: cfg.AutotaskZoneURLs,
		// One clock for the app and its workers: sessions made at a test's fixed time
		// must not look expired to the session cleanup running on the real clock.
		Now: opt.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := river.Start(ctx); err != nil {
		t.Fatal(err)
	}
	opt.Queue = &riverjobs.Queue{DB: d, Client: river}
	a := New(cfg, d, opt)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		riverjobs.Stop(river, 10*time.Second)
	})
	return &harness{t: t, app: a, db: d, url: "http://" + ln.Addr().String()}
}

// user creates a user directly through the capability.
func (h *harness) user(name string, roles ...string) *db.User {
	h.t.Helper()
	u, err := auth.CreateUser(context.Background(), h.db.Bun, audit.Actor{Name: "test"},
		auth.NewUser{Username: name, DisplayName: strings.ToUpper(name[:1]) + name[1:], Roles: roles, Password: testPassword})
	if err != nil {
		h.t.Fatalf("create user %s: %v", name, err)
	}
	return u
}

// client is a browser-like HTTP client: cookies, no automatic redirects, and the CSRF
// token picked up from the last page it saw.
type client struct {
	h    *harness
	http *http.Client
	csrf string
}

func (h *harness) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{h: h, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type response struct {
	*http.Response
	body string
	doc  *goquery.Document
}

// text is the whitespace-normalised text of the first element matching sel.
func (r *response) text(sel string) string {
	return strings.Join(strings.Fields(r.doc.Find(sel).First().Text()), " ")
}

func (c *client) do(method, path string, form url.Values, htmx bool) *response {
	c.h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.h.url+path, body)
	if err != nil {
		c.h.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if htmx {
		req.Header.Set("HX-Request", "true")
		if c.csrf != "" {
			req.Header.Set("X-CSRF-Token", c.csrf)
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return c.parse(resp, string(b))
}

func (c *client) parse(resp *http.Response, body string) *response {
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		c.h.t.Fatal(err)
	}
	r := &response{Response: resp, body: body, doc: doc}
	c.pickCSRF(r)
	return r
}

// pickCSRF remembers the token a page carries (form field or hx-headers).
func (c *client) pickCSRF(r *response) {
	if v, ok := r.doc.Find(`input[name="_csrf"]`).First().Attr("value"); ok && v != "" {
		c.csrf = v
		return
	}
	if v, ok := r.doc.Find("body").Attr("hx-headers"); ok {
		var m map[string]string
		if json.Unmarshal([]byte(v), &m) == nil && m["X-CSRF-Token"] != "" {
			c.csrf = m["X-CSRF-Token"]
		}
	}
}

func (c *client) get(path string) *response { return c.do("GET", path, nil, false) }

// post submits a plain form with the CSRF field, as a browser form does.
func (c *client) post(path string, form url.Values) *response {
	if form == nil {
		form = url.Values{}
	}
	if form.Get("_csrf") == "" && c.csrf != "" {
		form.Set("_csrf", c.csrf)
	}
	return c.do("POST", path, form, false)
}

// hx sends an htmx request (CSRF in the header, as hx-headers makes htmx do).
func (c *client) hx(method, path string, form url.Values) *response {
	if form == nil && method != "GET" {
		form = url.Values{}
	}
	return c.do(method, path, form, true)
}

// login signs in through the login form and fails the test if that does not work.
func (c *client) login(username string) {
	c.h.t.Helper()
	c.get("/login")
	r := c.post("/login", url.Values{"username": {username}, "password": {testPassword}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		c.h.t.Fatalf("login as %s: %d %s\n%s", username, r.StatusCode, r.Header.Get("Location"), r.body)
	}
	c.get("/") // pick up the new CSRF token
}

func wantStatus(t *testing.T, r *response, want int) {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d\n%.2000s", r.Request.Method, r.Request.URL.Path, r.StatusCode, want, r.body)
	}
}

// headersOnly opens a streaming GET (SSE) and returns once the status and headers
// are in, closing the stream.
func (c *client) headersOnly(path string) *response {
	c.h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.h.url+path, nil)
	resp, err := c.http.Do(req)
	if err != nil {
		c.h.t.Fatalf("GET %s: %v", path, err)
	}
	resp.Body.Close()
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(""))
	return &response{Response: resp, doc: doc}
}
