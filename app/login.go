package app

import (
	"errors"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/app/sso"
	authview "github.com/backupchecks/backupchecks/components/auth"
	"github.com/backupchecks/backupchecks/components/view"
)

func (a *App) loginPage(c *fiber.Ctx) error {
	if currentUser(c) != nil {
		return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
	}
	return a.renderLogin(c, fiber.StatusOK, authview.Login{Next: formNext(c.Query("next"))})
}

// formNext is the next the login form carries on: only a safe one, so the form never
// round-trips a crafted value.
func formNext(next string) string {
	if !isLocalPath(next) {
		return ""
	}
	return next
}

func (a *App) renderLogin(c *fiber.Ctx, status int, m authview.Login) error {
	es, err := sso.LoadSettings(c.UserContext(), a.db.Bun)
	if err != nil {
		return err
	}
	m.EntraEnabled, m.LocalAdminsOnly = es.Enabled, es.Enabled && es.LocalAdminsOnly
	if state(c).settings.LoginCaptchaEnabled {
		cp := auth.NewCaptcha(a.keys, a.now())
		m.CaptchaQuestion, m.CaptchaToken = cp.Question, cp.Token
	}
	return a.render(c, status, func(v view.Ctx) templ.Component { return authview.LoginPage(v, m) }, nil)
}

func (a *App) login(c *fiber.Ctx) error {
	m := authview.Login{Username: c.FormValue("username"), Next: formNext(c.FormValue("next"))}
	if state(c).settings.LoginCaptchaEnabled &&
		!auth.CheckCaptcha(a.keys, c.FormValue("captcha_token"), c.FormValue("captcha_answer"), a.now()) {
		m.CaptchaError = "wrong answer or the question expired; try the new one"
		return a.renderLogin(c, fiber.StatusUnprocessableEntity, m)
	}
	ctx := c.UserContext()
	es, err := sso.LoadSettings(ctx, a.db.Bun)
	if err != nil {
		return err
	}
	user, err := auth.LoginWith(ctx, a.db.Bun, a.throttle, m.Username, c.FormValue("password"), c.IP(), a.now(),
		sso.LocalSignInAllowed(es))
	var throttled *auth.ThrottledError
	switch {
	case errors.Is(err, sso.ErrLocalAdminsOnly):
		m.Error = "Password sign-in is for administrators only. Use Sign in with Microsoft."
		return a.renderLogin(c, fiber.StatusForbidden, m)
	case errors.As(err, &throttled):
		m.Error = lockoutMessage(throttled, settings.Location(state(c).settings))
		c.Set(fiber.HeaderRetryAfter, itoa(int(throttled.RetryAfter.Seconds())+1))
		return a.renderLogin(c, fiber.StatusTooManyRequests, m)
	case errors.Is(err, auth.ErrBadCredentials):
		m.Error = "Unknown username or wrong password."
		return a.renderLogin(c, fiber.StatusUnauthorized, m)
	case err != nil:
		return err
	}
	// A new session and a new CSRF seed at login: nothing chosen before login survives it.
	if old := c.Cookies(sessionCookie); old != "" {
		_ = auth.DeleteSession(ctx, a.db.Bun, old)
	}
	token, err := auth.CreateSession(ctx, a.db.Bun, a.sessions, user.ID, c.IP(), c.Get(fiber.HeaderUserAgent), a.now())
	if err != nil {
		return err
	}
	a.setCookie(c, sessionCookie, token, a.sessions.MaxAge)
	a.setCookie(c, csrfCookie, auth.NewCSRFSeed(), 0)
	return c.Redirect(safeNext(m.Next), fiber.StatusSeeOther)
}

// lockoutMessage says until when logins are refused, in the UI timezone, and who can
// lift an account's lock.
func lockoutMessage(e *auth.ThrottledError, loc *time.Location) string {
	msg := "Too many failed logins: try again after " + ceilMinute(e.Until).In(loc).Format("15:04 MST") + "."
	if e.Account {
		msg += " An admin can unlock the account under Users."
	}
	return msg
}

// ceilMinute rounds t up to the minute: a lock shown as "until 14:33" must be over at
// 14:33:00.
func ceilMinute(t time.Time) time.Time {
	m := t.Truncate(time.Minute)
	if m.Before(t) {
		return m.Add(time.Minute)
	}
	return m
}
