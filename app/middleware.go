package app

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/requestid"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/assets"
	"github.com/backupchecks/backupchecks/db"
)

// Cookie names.
const (
	sessionCookie = "bc_session"
	csrfCookie    = "bc_csrf"
	flashCookie   = "bc_flash"
)

// requestState is what the middleware learns about a request, kept in c.Locals.
type requestState struct {
	settings *db.SystemSettings
	session  *auth.CurrentSession
	csrfSeed string
}

const stateKey = "bc_state"

func state(c *fiber.Ctx) *requestState {
	if s, ok := c.Locals(stateKey).(*requestState); ok {
		return s
	}
	return &requestState{}
}

func currentUser(c *fiber.Ctx) *db.User {
	if s := state(c).session; s != nil {
		return s.User
	}
	return nil
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(requestid.ConfigDefault.ContextKey).(string)
	return id
}

// logRequests writes one slog line per request.
func (a *App) logRequests(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		// Let the error handler set the status before it is logged.
		if herr := c.App().Config().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	status := c.Response().StatusCode()
	if strings.HasPrefix(c.Path(), "/assets/") && status < 400 {
		return nil // static files would drown the log
	}
	attrs := []any{"method", c.Method(), "path", c.Path(), "status", status,
		"duration_ms", time.Since(start).Milliseconds(), "ip", c.IP(), "request_id", requestID(c)}
	if u := currentUser(c); u != nil {
		attrs = append(attrs, "user", u.Username)
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	slog.Log(c.UserContext(), level, "http", attrs...)
	return nil
}

// varyHTMX: the same URL answers with a page or a fragment, so caches must key on it.
func varyHTMX(c *fiber.Ctx) error {
	c.Vary("HX-Request")
	return c.Next()
}

// assets serves the embedded static files. They change only with a new binary; the
// version query string in links is not needed because they are revalidated hourly.
func (a *App) assets() fiber.Handler {
	return filesystem.New(filesystem.Config{
		Root:   http.FS(assets.FS),
		MaxAge: 3600,
	})
}

// loadRequestState reads the settings row and the session for every page request.
// Reading settings per request is one primary-key lookup and makes changes apply on
// every replica at once.
func (a *App) loadRequestState(c *fiber.Ctx) error {
	st := &requestState{}
	c.Locals(stateKey, st)
	if c.Path() == "/health" {
		return c.Next()
	}
	ctx := c.UserContext()
	s, err := settings.Load(ctx, a.db.Bun)
	if err != nil {
		return err
	}
	st.settings = s
	if token := c.Cookies(sessionCookie); token != "" {
		sess, err := auth.LookupSession(ctx, a.db.Bun, a.sessions, token, a.now())
		switch {
		case errors.Is(err, auth.ErrNoSession):
			a.clearCookie(c, sessionCookie)
		case err != nil:
			return err
		default:
			st.session = sess
		}
	}
	return c.Next()
}

// checkCSRF gives every visitor a CSRF seed cookie and rejects any state-changing
// request whose token does not match it.
func (a *App) checkCSRF(c *fiber.Ctx) error {
	st := state(c)
	st.csrfSeed = c.Cookies(csrfCookie)
	if st.csrfSeed == "" {
		st.csrfSeed = auth.NewCSRFSeed()
		a.setCookie(c, csrfCookie, st.csrfSeed, 0)
	}
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if !auth.CheckCSRF(a.keys, c.Cookies(csrfCookie), csrfToken(c)) {
		slog.Warn("web: CSRF check failed", "path", c.Path(), "ip", c.IP())
		return fiber.NewError(fiber.StatusForbidden, "The form's security token is missing or out of date. Reload the page and try again.")
	}
	return c.Next()
}

// csrfToken is the token a request sends: the X-CSRF-Token header (htmx) or the
// _csrf field of a urlencoded or multipart body. Never the query string (which
// c.FormValue also reads): a token in a URL leaks through logs, history and Referer,
// and a link could carry it.
func csrfToken(c *fiber.Ctx) string {
	if t := c.Get("X-CSRF-Token"); t != "" {
		return t
	}
	req := c.Request()
	if t := req.PostArgs().Peek("_csrf"); len(t) > 0 { // urlencoded bodies only
		return string(t)
	}
	// Reading a multipart body spools its files to disk: only for signed-in users (every
	// multipart form is behind a login), so an anonymous request cannot make the server
	// write up to the upload limit before it is refused.
	if currentUser(c) == nil {
		return ""
	}
	if form, err := req.MultipartForm(); err == nil && len(form.Value["_csrf"]) > 0 {
		return form.Value["_csrf"][0]
	}
	return ""
}

// requireSetup sends every request to /setup until the first user exists.
func (a *App) requireSetup(c *fiber.Ctx) error {
	// The documentation too: its public pages explain the setup (the others still need
	// a signed-in user, so they lead to the login page, and from there to /setup).
	if a.setupDone.Load() || c.Path() == "/health" || c.Path() == "/setup" || strings.HasPrefix(c.Path(), "/documentation") {
		return c.Next()
	}
	ok, err := auth.HasUsers(c.UserContext(), a.db.Bun)
	if err != nil {
		return err
	}
	if ok {
		a.setupDone.Store(true)
		return c.Next()
	}
	if isHTMX(c) {
		c.Set("HX-Redirect", "/setup")
		return c.SendStatus(fiber.StatusConflict)
	}
	return c.Redirect("/setup", fiber.StatusSeeOther)
}

// secure reports whether cookies must be Secure: BASE_URL is https, or a trusted proxy
// says the request came over https.
func (a *App) secure(c *fiber.Ctx) bool {
	return a.cfg.SecureCookies() || c.Protocol() == "https"
}

func (a *App) setCookie(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	ck := &fiber.Cookie{Name: name, Value: value, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: a.secure(c)}
	if maxAge > 0 {
		ck.Expires = time.Now().Add(maxAge) // the browser's clock, not the app's (tests fake that)
	}
	c.Cookie(ck)
}

func (a *App) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
		Secure: a.secure(c), Expires: time.Unix(1, 0)})
}

// actor is the current user as an audit actor.
func (a *App) actor(c *fiber.Ctx) audit.Actor {
	act := audit.Actor{IP: c.IP()}
	if u := currentUser(c); u != nil {
		act.ID, act.Name = u.ID, u.Username
	}
	return act
}
