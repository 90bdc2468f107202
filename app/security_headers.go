package app

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/helmet"
)

// pageCSP is the policy of every response: the app's own scripts, styles, images
// (Bootstrap draws its icons as data: SVG), frames (the mail body, see mailBodyCSP) and
// fetches (htmx, SSE) only; no inline script or style, no eval, no plugins, no <base>,
// forms post only here and no other site may frame a page. A handler that serves
// something else (a mail's body or parts) replaces it with its own, stricter policy.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// hstsValue is sent on HTTPS only: a year, for this host alone (the app may live beside
// other sites of the same domain that are not ours to decide for).
const hstsValue = "max-age=31536000"

// securityHeaders sets the headers every response carries (helmet's set, with this
// app's CSP), HSTS when the request came over HTTPS, and Cache-Control: no-store on
// every response to a signed-in user so that nothing they saw stays in the browser's
// cache (Back after logout must not show customer data), even where a handler asked
// for caching (a mail's inline image is customer data too). Static assets keep their
// caching: they hold no customer data.
func (a *App) securityHeaders() fiber.Handler {
	set := helmet.New(helmet.Config{
		ContentSecurityPolicy: pageCSP,
		XFrameOptions:         "DENY",
		ReferrerPolicy:        "same-origin",
		PermissionPolicy:      "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
		// HSTSMaxAge stays 0: helmet would trust the protocol alone; a.secure also knows
		// an https BASE_URL.
	})
	return func(c *fiber.Ctx) error {
		if a.secure(c) {
			c.Set(fiber.HeaderStrictTransportSecurity, hstsValue)
		}
		// Handlers run inside set (it calls c.Next) and may override its headers.
		err := set(c)
		if currentUser(c) != nil && !strings.HasPrefix(c.Path(), "/assets/") {
			c.Set(fiber.HeaderCacheControl, "no-store")
		}
		return err
	}
}
