package app

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/db"
)

// TestSecurityCSRFTokenOnlyInHeaderOrBody: the CSRF token was also taken from the
// query string, where it leaks through logs, history and Referer. Only the
// X-CSRF-Token header and the _csrf field of a form body count now.
func TestSecurityCSRFTokenOnlyInHeaderOrBody(t *testing.T) {
	h := newHarness(t, Options{})
	admin := h.user("admin", db.RoleAdmin)
	c := h.client()
	c.login("admin")
	token := c.csrf
	if token == "" {
		t.Fatal("no CSRF token on the page")
	}

	urlencoded := func(v url.Values) (io.Reader, string) {
		return strings.NewReader(v.Encode()), "application/x-www-form-urlencoded"
	}
	multipartForm := func(v url.Values) (io.Reader, string) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		for k, vs := range v {
			for _, x := range vs {
				_ = w.WriteField(k, x)
			}
		}
		_ = w.Close()
		return &b, w.FormDataContentType()
	}
	send := func(path string, body io.Reader, contentType, header string) int {
		t.Helper()
		req, err := http.NewRequest("POST", h.url+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		if header != "" {
			req.Header.Set("X-CSRF-Token", header)
		}
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	theme := func() string {
		t.Helper()
		u, err := auth.GetUser(context.Background(), h.db.Bun, admin.ID)
		if err != nil {
			t.Fatal(err)
		}
		return u.Theme
	}

	inQuery := "/profile/theme?_csrf=" + url.QueryEscape(token)
	for _, tc := range []struct {
		name   string
		path   string
		body   func(url.Values) (io.Reader, string)
		form   url.Values
		header string
		want   int
	}{
		{"query only, urlencoded body", inQuery, urlencoded, url.Values{"theme": {"dark"}}, "", http.StatusForbidden},
		{"query only, multipart body", inQuery, multipartForm, url.Values{"theme": {"dark"}}, "", http.StatusForbidden},
		{"query only, no body", "/logout?_csrf=" + url.QueryEscape(token), urlencoded, url.Values{}, "", http.StatusForbidden},
		{"query right, body wrong", inQuery, urlencoded, url.Values{"theme": {"dark"}, "_csrf": {"forged"}}, "", http.StatusForbidden},
		{"urlencoded body", "/profile/theme", urlencoded, url.Values{"theme": {"light"}, "_csrf": {token}}, "", http.StatusOK},
		{"multipart body", "/profile/theme", multipartForm, url.Values{"theme": {"dark"}, "_csrf": {token}}, "", http.StatusOK},
		{"header", "/profile/theme", urlencoded, url.Values{"theme": {"auto"}}, token, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := theme()
			body, ct := tc.body(tc.form)
			if got := send(tc.path, body, ct, tc.header); got != tc.want {
				t.Fatalf("status %d, want %d", got, tc.want)
			}
			switch after := theme(); {
			case tc.want == http.StatusForbidden && after != before:
				t.Fatalf("a refused request changed the theme from %s to %s", before, after)
			case tc.want == http.StatusOK && after != tc.form.Get("theme"):
				t.Fatalf("theme = %s after an accepted request, want %s", after, tc.form.Get("theme"))
			}
		})
	}
	// The refused logout left the session alive.
	wantStatus(t, c.get("/profile"), http.StatusOK)
}

// An anonymous multipart POST is refused at the CSRF check without its body being
// read: reading it would spool the files to disk before the login check refused it.
func TestSecurityAnonymousMultipartNotRead(t *testing.T) {
	h := newHarness(t, Options{})
	h.user("admin", db.RoleAdmin)
	anon := h.client()
	anon.get("/login") // a CSRF cookie and a valid token for this visitor
	if anon.csrf == "" {
		t.Fatal("no CSRF token on the login page")
	}
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	_ = w.WriteField("_csrf", anon.csrf)
	part, _ := w.CreateFormFile("files", "big.eml")
	_, _ = part.Write(bytes.Repeat([]byte("x"), 32<<10))
	_ = w.Close()
	req, err := http.NewRequest("POST", h.url+"/inbox/upload", &b)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := anon.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("anonymous multipart upload with a body token: %d, want 403 before the body is read", resp.StatusCode)
	}
}
