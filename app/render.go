package app

import (
	"encoding/base64"
	"encoding/json"
	"strconv"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/components/layout"
	"github.com/backupchecks/backupchecks/components/view"
)

// isHTMX reports whether the request wants a fragment: an htmx request that is not a
// boosted navigation and not a history restore (those need the whole page).
func isHTMX(c *fiber.Ctx) bool {
	return c.Get("HX-Request") == "true" && c.Get("HX-Boosted") != "true" && c.Get("HX-History-Restore-Request") != "true"
}

// view builds the view context for the current request.
func (a *App) view(c *fiber.Ctx) view.Ctx {
	st := state(c)
	v := view.Ctx{
		Path:      c.Path(),
		Version:   a.version,
		RequestID: requestID(c),
		// A visitor not signed in may open the public routes only (role "" is in no list).
		Allowed: a.allowed(""),
	}
	if st.csrfSeed != "" {
		v.CSRFToken = auth.CSRFToken(a.keys, st.csrfSeed)
	}
	if st.settings != nil {
		v.Location = settings.Location(st.settings)
		v.Sandbox = st.settings.SandboxEnabled
		v.CoveEnabled = st.settings.CoveEnabled
	}
	if d, ok := c.Locals(dialogKey).(openDialog); ok {
		v.Dialog, v.DialogBack = d.body, d.back
	}
	if u := currentUser(c); u != nil {
		v.User = &view.User{ID: u.ID, Username: u.Username, Name: u.Name(), Roles: u.Roles, ActiveRole: u.ActiveRole, Theme: u.Theme}
		v.Allowed = a.allowed(u.ActiveRole)
	}
	return v
}

// render answers a full navigation with page and an htmx request with fragment, plus
// any flash messages (out of band for htmx, in the page otherwise).
func (a *App) render(c *fiber.Ctx, status int, page func(view.Ctx) templ.Component, fragment templ.Component, flashes ...view.Flash) error {
	c.Status(status)
	c.Type("html", "utf-8")
	ctx := c.UserContext()
	w := c.Response().BodyWriter()
	if isHTMX(c) && fragment != nil {
		if err := fragment.Render(ctx, w); err != nil {
			return err
		}
		if len(flashes) > 0 {
			return layout.FlashOOB(flashes...).Render(ctx, w)
		}
		return nil
	}
	v := a.view(c)
	v.Flashes = append(a.takeFlashes(c), flashes...)
	return page(v).Render(ctx, w)
}

// renderPage renders a full page (no fragment form).
func (a *App) renderPage(c *fiber.Ctx, page func(view.Ctx) templ.Component, flashes ...view.Flash) error {
	return a.render(c, fiber.StatusOK, page, nil, flashes...)
}

// renderFragment renders a component alone, with flashes out of band.
func (a *App) renderFragment(c *fiber.Ctx, status int, fragment templ.Component, flashes ...view.Flash) error {
	c.Status(status)
	c.Type("html", "utf-8")
	w := c.Response().BodyWriter()
	if err := fragment.Render(c.UserContext(), w); err != nil {
		return err
	}
	if len(flashes) > 0 {
		return layout.FlashOOB(flashes...).Render(c.UserContext(), w)
	}
	return nil
}

// redirectWithFlash stores flashes for the next page and redirects there. For htmx
// requests the redirect is done by htmx (HX-Redirect) so the browser loads a page.
func (a *App) redirectWithFlash(c *fiber.Ctx, to string, flashes ...view.Flash) error {
	a.keepFlashes(c, flashes...)
	if c.Get("HX-Request") == "true" {
		c.Set("HX-Redirect", to)
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// keepFlashes stores flashes for the next page this browser loads.
func (a *App) keepFlashes(c *fiber.Ctx, flashes ...view.Flash) {
	if len(flashes) > 0 {
		b, _ := json.Marshal(flashes)
		a.setCookie(c, flashCookie, base64.RawURLEncoding.EncodeToString(b), 0)
	}
}

// takeFlashes reads and clears the flash cookie.
func (a *App) takeFlashes(c *fiber.Ctx) []view.Flash {
	raw := c.Cookies(flashCookie)
	if raw == "" {
		return nil
	}
	a.clearCookie(c, flashCookie)
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return nil
	}
	var fs []view.Flash
	if json.Unmarshal(b, &fs) != nil {
		return nil
	}
	return fs
}

func success(msg string) view.Flash { return view.Flash{Kind: "success", Message: msg} }
func warning(msg string) view.Flash { return view.Flash{Kind: "warning", Message: msg} }

// trigger sets an HX-Trigger event for the browser (closeModal, themeChanged, …).
func trigger(c *fiber.Ctx, events map[string]any) {
	b, _ := json.Marshal(events)
	c.Set("HX-Trigger", string(b))
}

// retarget tells htmx to put the response somewhere other than the request's target.
func retarget(c *fiber.Ctx, selector, swap string) {
	c.Set("HX-Retarget", selector)
	c.Set("HX-Reswap", swap)
}

func itoa(n int) string { return strconv.Itoa(n) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
