package app

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/components/errorpage"
	"github.com/backupchecks/backupchecks/components/view"
	"github.com/backupchecks/backupchecks/db"
)

// handleError is Fiber's ErrorHandler: a full error page for a navigation, an error
// message in the flash area for an htmx request, JSON for /health.
func (a *App) handleError(c *fiber.Ctx, err error) error {
	e := errorpage.Error{Status: fiber.StatusInternalServerError, Title: "Something went wrong",
		Message: "The server could not complete this request. It has been logged; try again in a moment."}
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		e.Status = fe.Code
		e.Title = http.StatusText(fe.Code)
		e.Message = fe.Message
		if fe.Code == fiber.StatusNotFound && fe.Message == "Not Found" {
			e.Message = "There is no page at this address."
		}
	case errors.Is(err, db.ErrNotFound):
		e.Status, e.Title, e.Message = fiber.StatusNotFound, "Not Found", "What you asked for does not exist (any more)."
	}
	if e.Status >= 500 {
		slog.Error("web: request failed", "method", c.Method(), "path", c.Path(), "err", err, "request_id", requestID(c))
	}
	c.Status(e.Status)
	if c.Path() == "/health" {
		return c.JSON(fiber.Map{"status": "error", "error": e.Message})
	}
	c.Response().ResetBody()
	if isHTMX(c) {
		// Errors go to the flash area, whatever the request targeted.
		c.Set("HX-Retarget", "#flash")
		c.Set("HX-Reswap", "beforeend")
		return a.renderFragment(c, e.Status, errorpage.Fragment(a.view(c), e))
	}
	return a.render(c, e.Status, func(v view.Ctx) templ.Component { return errorpage.Page(v, e) }, nil)
}
