package app

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// redirectToLogin sends an anonymous visitor to the login page, remembering the page
// asked for in next when it is a plain local path (the raw request line is the
// visitor's to choose, so it passes the same check as a next given to /login).
func (a *App) redirectToLogin(c *fiber.Ctx) error {
	next := c.OriginalURL()
	target := "/login"
	if c.Method() == fiber.MethodGet && next != "/" && !strings.HasPrefix(next, "/login") && isLocalPath(next) {
		target += "?next=" + urlQueryEscape(next)
	}
	if isHTMX(c) {
		c.Set("HX-Redirect", target)
		return c.SendStatus(fiber.StatusUnauthorized)
	}
	return c.Redirect(target, fiber.StatusSeeOther)
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// safeNext keeps a post-login redirect on this site: it returns next only when it is
// plainly a path on this host, else "/". Nothing is removed to make a value fit (a
// browser strips tabs and newlines and reads "\" as "/", so "/\t/evil" or "/\\evil"
// is "//evil", another host): any doubt is a refusal.
func safeNext(next string) string {
	if !isLocalPath(next) {
		return "/"
	}
	return next
}

// maxNextLength bounds a redirect target; no page of the app needs more.
const maxNextLength = 2048

func isLocalPath(next string) bool {
	if next == "" || len(next) > maxNextLength || next[0] != '/' || !utf8.ValidString(next) {
		return false
	}
	if strings.Contains(next, "\\") || !plainRunes(next) {
		return false
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return false
	}
	// The decoded path too: something down the line may decode "%2F%2F" or "%5C" before
	// it redirects again.
	for _, p := range []string{u.EscapedPath(), u.Path} {
		if strings.Contains(p, "//") || strings.Contains(p, "\\") || !plainRunes(p) {
			return false
		}
	}
	return true
}

// plainRunes reports whether s has no control, space or invisible formatting
// characters (tab, CR/LF, NUL, NBSP, U+2028, zero-width space, bidi overrides …).
func plainRunes(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}
