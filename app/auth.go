package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/app/sso"
	authview "github.com/backupchecks/backupchecks/components/auth"
	"github.com/backupchecks/backupchecks/components/view"
	"github.com/backupchecks/backupchecks/db"
)

// entraCookie binds a sign-in with Entra to the browser that started it; only the
// callback's path receives it.
const (
	entraCookie     = "bc_entra"
	entraCookiePath = "/auth/entra/"
)

// site is this installation's public address as the Entra sign-in needs it.
func (a *App) site() sso.Site { return sso.Site{BaseURL: a.cfg.BaseURL, Set: a.cfg.BaseURLSet} }

// entraLogin starts a sign-in with Microsoft: the browser goes to Entra with a state,
// a nonce and a PKCE challenge (kept in the database), and keeps a cookie that binds
// the sign-in to it.
func (a *App) entraLogin(c *fiber.Ctx) error {
	next := formNext(c.Query("next"))
	if currentUser(c) != nil {
		return c.Redirect(safeNext(next), fiber.StatusSeeOther)
	}
	started, err := a.entra.Begin(c.UserContext(), a.db.Bun, a.keys, a.site(), next, c.IP())
	if err != nil {
		return a.entraRefused(c, err)
	}
	c.Cookie(&fiber.Cookie{Name: entraCookie, Value: started.Browser, Path: entraCookiePath, HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Secure: a.secure(c), Expires: time.Now().Add(sso.FlowLifetime)})
	return c.Redirect(started.AuthURL, fiber.StatusSeeOther)
}

// entraCallback completes the sign-in Entra sends the browser back with and starts the
// app's own session, as a password login does.
func (a *App) entraCallback(c *fiber.Ctx) error {
	browser := c.Cookies(entraCookie)
	c.Cookie(&fiber.Cookie{Name: entraCookie, Value: "", Path: entraCookiePath, HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Secure: a.secure(c), Expires: time.Unix(1, 0)})
	ctx, cancel := context.WithTimeout(c.UserContext(), 45*time.Second)
	defer cancel()
	params := sso.CallbackParams{State: c.Query("state"), Code: c.Query("code"),
		Error: c.Query("error"), ErrorDescription: c.Query("error_description")}
	signed, err := a.entra.Complete(ctx, a.db.Bun, a.keys, a.site(), params, browser, c.IP())
	if err != nil {
		return a.entraRefused(c, err)
	}
	// A new session and a new CSRF seed, as at a password login.
	if old := c.Cookies(sessionCookie); old != "" {
		_ = auth.DeleteSession(ctx, a.db.Bun, old)
	}
	var token string
	err = a.db.Bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if token, err = auth.CreateSession(ctx, tx, a.sessions, signed.User.ID, c.IP(), c.Get(fiber.HeaderUserAgent), a.now()); err != nil {
			return err
		}
		return sso.RememberSession(ctx, tx, auth.HashToken(token), signed.Identity)
	})
	if err != nil {
		return err
	}
	a.setCookie(c, sessionCookie, token, a.sessions.MaxAge)
	a.setCookie(c, csrfCookie, auth.NewCSRFSeed(), 0)
	return c.Redirect(safeNext(signed.Next), fiber.StatusSeeOther)
}

// entraRefused shows a refused sign-in: which check refused it and what an admin can
// do. Sign-in being off sends the visitor back to the login page.
func (a *App) entraRefused(c *fiber.Ctx, err error) error {
	var r *sso.Refusal
	if !errors.As(err, &r) {
		return err
	}
	if r.Gate == sso.GateDisabled {
		return a.redirectWithFlash(c, "/login", view.Flash{Kind: "warning", Message: r.Message + " " + r.Fix})
	}
	m := authview.EntraRefusal{Gate: r.Gate, Title: r.Title, Message: r.Message, Fix: r.Fix, Detail: r.Detail}
	switch r.Gate {
	case sso.GateState, sso.GateEntra, sso.GateExchange, sso.GateToken:
		m.Retry = true
	}
	return a.render(c, r.Status, func(v view.Ctx) templ.Component { return authview.EntraRefusedPage(v, m) }, nil)
}

// entraLogout ends at Entra a session that began there: the page continues to Entra's
// sign-out (a Refresh header, not a redirect: the logout form's CSP allows it to post
// only here, and a redirect after it would be the form's navigation). Returns false
// when Entra's sign-out cannot be reached; the local session is over anyway.
func (a *App) entraLogout(c *fiber.Ctx, s *db.EntraSession) (bool, error) {
	target, err := a.entra.EndSessionURL(c.UserContext(), s, a.site().LogoutReturnURI())
	if err != nil {
		slog.Warn("web: Entra sign-out unavailable", "err", err)
		return false, nil
	}
	c.Set("Refresh", "0; url="+target)
	if err := a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return authview.EntraLogoutPage(v, target) }, nil); err != nil {
		return true, err
	}
	// For the login page Entra returns to (after render, which clears a pending flash).
	a.keepFlashes(c, view.Flash{Kind: "info", Message: "You are logged out."})
	return true, nil
}
