package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/backupchecks/backupchecks/app/config"
	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// onePixelPNG is a valid 1×1 PNG, base64 as a mail carries it.
const onePixelPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="

// htmlReportMail is a report of the test format as vendors send them: an HTML body
// styled by a <style> block and style attributes, with an inline (cid:) logo, plus a
// script that the sanitiser must drop.
func htmlReportMail(n int, status, job string) []byte {
	html := `<html><head><style>td.status { font-weight: bold; }</style></head><body>` +
		`<script>parent.document.title = "owned"</script>` +
		`<table style="border-collapse: collapse"><tr><td class="status" style="background-color: #00B050; color: white">` + status + `</td>` +
		`<td><img id="logo" alt="Logo" src="cid:logo@report"></td></tr></table></body></html>`
	return []byte(fmt.Sprintf("From: Backup <nas@backup.example.net>\r\nTo: reports@msp.example.com\r\n"+
		"Subject: [%s] %s (1 objects)\r\nDate: Mon, 02 Mar 2026 22:%02d:00 +0100\r\nMessage-ID: <html-report-%d@backup.example.net>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n"+
		"--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n%s\r\n"+
		"--rel\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <logo@report>\r\n"+
		"Content-Disposition: inline; filename=\"logo.png\"\r\n\r\n%s\r\n--rel--\r\n",
		status, job, n%60, n, html, onePixelPNG))
}

// getWith is a GET with extra request headers.
func (c *client) getWith(path string, header map[string]string) *response {
	c.h.t.Helper()
	req, err := http.NewRequest("GET", c.h.url+path, nil)
	if err != nil {
		c.h.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.h.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return c.parse(resp, string(b))
}

// cspDirectives splits a Content-Security-Policy header into directive → value.
func cspDirectives(header string) map[string]string {
	out := map[string]string{}
	for _, d := range strings.Split(header, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		if name != "" {
			out[name] = strings.TrimSpace(value)
		}
	}
	return out
}

// TestSecurityHeaders: every response carries the CSP and the framing, sniffing and
// referrer headers; HSTS only over HTTPS (directly or as a trusted proxy reports it);
// no-store on whatever a signed-in user is sent, except static assets.
func TestSecurityHeaders(t *testing.T) {
	trustLoopback := func(cfg *config.Config) {
		_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
		cfg.TrustedProxies = []*net.IPNet{loopback}
	}
	trustElsewhere := func(cfg *config.Config) {
		_, other, _ := net.ParseCIDR("10.0.0.0/8")
		cfg.TrustedProxies = []*net.IPNet{other}
	}
	for _, setup := range []struct {
		name      string
		configure func(*config.Config)
		header    map[string]string
		https     bool
	}{
		{name: "http", configure: trustLoopback},
		{name: "https from a trusted proxy", configure: trustLoopback, header: map[string]string{"X-Forwarded-Proto": "https"}, https: true},
		{name: "https claimed by an untrusted client", configure: trustElsewhere, header: map[string]string{"X-Forwarded-Proto": "https"}},
	} {
		t.Run(setup.name, func(t *testing.T) {
			h := newHarness(t, Options{Registry: parserstest.Registry()}, setup.configure)
			h.user("admin", db.RoleAdmin)
			admin := h.client()
			admin.login("admin")
			anon := h.client()

			for _, tc := range []struct {
				path     string
				as       *client
				htmx     bool
				noStore  bool
				wantCode int
			}{
				{path: "/login", as: anon, wantCode: http.StatusOK},
				{path: "/health", as: anon, wantCode: http.StatusOK},
				{path: "/customers", as: anon, wantCode: http.StatusSeeOther},
				{path: "/assets/app.js", as: anon, wantCode: http.StatusOK},
				{path: "/", as: admin, noStore: true, wantCode: http.StatusOK},
				{path: "/inbox", as: admin, noStore: true, wantCode: http.StatusOK},
				{path: "/runchecks", as: admin, noStore: true, wantCode: http.StatusOK},
				{path: "/customers", as: admin, htmx: true, noStore: true, wantCode: http.StatusOK},
				{path: "/settings/general/edit", as: admin, htmx: true, noStore: true, wantCode: http.StatusOK},
				{path: "/no-such-page", as: admin, noStore: true, wantCode: http.StatusNotFound},
				{path: "/assets/app.js", as: admin, wantCode: http.StatusOK},
				{path: "/assets/vendor/bootstrap/bootstrap.min.css", as: admin, wantCode: http.StatusOK},
			} {
				who := "anonymous"
				if tc.as == admin {
					who = "admin"
				}
				t.Run(who+" "+tc.path, func(t *testing.T) {
					hdr := map[string]string{}
					for k, v := range setup.header {
						hdr[k] = v
					}
					if tc.htmx {
						hdr["HX-Request"] = "true"
					}
					r := tc.as.getWith(tc.path, hdr)
					wantStatus(t, r, tc.wantCode)
					csp := cspDirectives(r.Header.Get("Content-Security-Policy"))
					for name, want := range map[string]string{
						"default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self' data:",
						"object-src": "'none'", "base-uri": "'none'", "form-action": "'self'", "frame-ancestors": "'none'",
					} {
						if csp[name] != want {
							t.Errorf("CSP %s = %q, want %q (header %q)", name, csp[name], want, r.Header.Get("Content-Security-Policy"))
						}
					}
					for name, want := range map[string]string{
						"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
					} {
						if got := r.Header.Get(name); got != want {
							t.Errorf("%s = %q, want %q", name, got, want)
						}
					}
					if hsts := r.Header.Get("Strict-Transport-Security"); (hsts != "") != setup.https {
						t.Errorf("Strict-Transport-Security = %q over https=%v", hsts, setup.https)
					} else if setup.https && !strings.HasPrefix(hsts, "max-age=31536000") {
						t.Errorf("Strict-Transport-Security = %q", hsts)
					}
					cc := r.Header.Get("Cache-Control")
					switch {
					case tc.noStore && cc != "no-store":
						t.Errorf("Cache-Control = %q for a signed-in user, want no-store", cc)
					case !tc.noStore && strings.Contains(cc, "no-store") && tc.path != "/health":
						t.Errorf("Cache-Control = %q: assets and anonymous pages may be cached", cc)
					case strings.HasPrefix(tc.path, "/assets/") && !strings.Contains(cc, "max-age"):
						t.Errorf("asset Cache-Control = %q, want it cached", cc)
					}
				})
			}
		})
	}
}

// TestSecurityHTTPSBaseURL: with an https BASE_URL every response asks for HTTPS, as
// the cookies are Secure.
func TestSecurityHTTPSBaseURL(t *testing.T) {
	h := newHarness(t, Options{}, func(cfg *config.Config) { cfg.BaseURL.Scheme = "https" })
	r := h.client().get("/login")
	if got := r.Header.Get("Strict-Transport-Security"); got != hstsValue {
		t.Fatalf("Strict-Transport-Security = %q with an https BASE_URL", got)
	}
}

// TestSecurityMailBodyFrame: the mail body is a document of its own with a stricter
// policy than the page (no script, no remote anything, sandboxed even when opened
// directly) that still lets its styles and inline images through; the dialogs frame it.
func TestSecurityMailBodyFrame(t *testing.T) {
	h := newHarness(t, Options{Registry: parserstest.Registry()})
	h.user("ops", db.RoleOperator)
	c := h.client()
	c.login("ops")
	wantStatus(t, c.upload(map[string][]byte{
		"html.eml":  htmlReportMail(1, "Failed", "Html"),
		"plain.eml": parserstest.Mail(2, "Failed", "Plain", "object: vm01 Failed"),
	}), http.StatusOK)
	htmlID := mailIDs(t, h, "parsed_job_name = 'Html'")[0]
	plainID := mailIDs(t, h, "parsed_job_name = 'Plain'")[0]

	r := c.hx("GET", fmt.Sprintf("/inbox/%d", htmlID), nil)
	wantStatus(t, r, http.StatusOK)
	if src, _ := r.doc.Find("iframe.mail-body").Attr("src"); src != mailBodyURL(htmlID) {
		t.Fatalf("mail dialog frame src = %q, want %s\n%s", src, mailBodyURL(htmlID), r.body)
	}
	if sandbox, _ := r.doc.Find("iframe.mail-body").Attr("sandbox"); strings.Contains(sandbox, "allow-scripts") || sandbox == "" {
		t.Fatalf("mail frame sandbox = %q", sandbox)
	}
	if strings.Contains(r.body, "srcdoc") {
		t.Fatal("the dialog still inlines the mail (srcdoc inherits the page's CSP)")
	}

	r = c.get(mailBodyURL(htmlID))
	wantStatus(t, r, http.StatusOK)
	csp := cspDirectives(r.Header.Get("Content-Security-Policy"))
	for name, want := range map[string]string{
		"default-src": "'none'", "img-src": "'self' data:", "style-src": "'unsafe-inline'", "frame-ancestors": "'self'",
		"form-action": "'none'", "sandbox": "allow-same-origin allow-popups allow-popups-to-escape-sandbox",
	} {
		if csp[name] != want {
			t.Errorf("mail body CSP %s = %q, want %q", name, csp[name], want)
		}
	}
	if _, ok := csp["script-src"]; ok {
		t.Errorf("mail body CSP names script-src (default-src 'none' must cover it): %q", r.Header.Get("Content-Security-Policy"))
	}
	if got := r.Header.Get("X-Frame-Options"); got != "SAMEORIGIN" {
		t.Errorf("mail body X-Frame-Options = %q, want SAMEORIGIN", got)
	}
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("mail body Cache-Control = %q", got)
	}
	if strings.Contains(r.body, "<script") || strings.Contains(r.body, "owned") {
		t.Errorf("mail body keeps the script:\n%s", r.body)
	}
	if !strings.Contains(r.body, "background-color") || !strings.Contains(r.body, "td.status") {
		t.Errorf("mail body lost its styles:\n%s", r.body)
	}
	img, _ := r.doc.Find("img#logo").Attr("src")
	if img != mailCIDURL(htmlID, "logo@report") {
		t.Fatalf("inline image src = %q\n%s", img, r.body)
	}
	if r := c.get(img); r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "image/png") {
		t.Fatalf("inline image: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}

	// The run made from the mail frames the same document in its dialog.
	wantStatus(t, c.hx("POST", fmt.Sprintf("/inbox/%d/approve", htmlID), url.Values{"customer_id": {"new"}, "customer_name": {"Acme"}}), http.StatusOK)
	var runID int64
	if err := h.db.Bun.NewRaw("SELECT id FROM job_runs WHERE mail_message_id = ?", htmlID).Scan(t.Context(), &runID); err != nil {
		t.Fatal(err)
	}
	r = c.hx("GET", fmt.Sprintf("/runchecks/runs/%d", runID), nil)
	wantStatus(t, r, http.StatusOK)
	if src, _ := r.doc.Find("iframe.mail-body").Attr("src"); src != mailBodyURL(htmlID) {
		t.Fatalf("run dialog frame src = %q, want %s", src, mailBodyURL(htmlID))
	}

	// A plain-text mail has no body document; a viewer of nothing gets a 404.
	wantStatus(t, c.get(mailBodyURL(plainID)), http.StatusNotFound)
	wantStatus(t, c.get(mailBodyURL(999999)), http.StatusNotFound)
}

// TestSecurityHealthHidesDatabaseError: /health tells anonymous callers only that the
// database is unreachable; the reason goes to the log.
func TestSecurityHealthHidesDatabaseError(t *testing.T) {
	h := newHarness(t, Options{})
	gone := dbtest.New(t)
	gone.Close()
	var logged bytes.Buffer
	saved := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	t.Cleanup(func() { slog.SetDefault(saved) })

	resp, err := New(h.app.cfg, gone, Options{}).Fiber().Test(httptest.NewRequest("GET", "/health", nil), 10000)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	var body map[string]string
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("health is not JSON: %v\n%s", err, raw)
	}
	want := map[string]string{"status": "unavailable", "database": "unreachable"}
	if resp.StatusCode != http.StatusServiceUnavailable || !maps.Equal(body, want) {
		t.Fatalf("health without a database: %d %s, want 503 %v and nothing more", resp.StatusCode, raw, want)
	}
	if !strings.Contains(logged.String(), "health: database unreachable") || !strings.Contains(logged.String(), "closed") {
		t.Fatalf("the database's error was not logged:\n%s", logged.String())
	}
}
