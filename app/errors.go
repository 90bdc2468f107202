package app

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	errorpageview "github.com/backupchecks/backupchecks/components/errorpage"
	"github.com/backupchecks/backupchecks/components/view"
	"github.com/backupchecks/backupchecks/db"
)

// errorWords are, per status, the heading of the error page and the message when the
// error carries none of its own: words a person uses, not the HTTP reason phrase
// ("Unprocessable Entity"). The status and request id go to the page's details line.
var errorWords = map[int][2]string{
	fiber.StatusBadRequest:            {"This request cannot be handled", "Something in the address or the form is not right. Go back and try again."},
	fiber.StatusUnauthorized:          {"Sign in first", "Your session has ended. Sign in again."},
	fiber.StatusForbidden:             {"Not allowed", "Your role may not do this."},
	fiber.StatusNotFound:              {"Not found", "There is no page at this address."},
	fiber.StatusMethodNotAllowed:      {"Not allowed", "This address does not take that kind of request."},
	fiber.StatusConflict:              {"Not done", "This changed meanwhile. Reload the page and try again."},
	fiber.StatusRequestEntityTooLarge: {"Too large", "What you sent is larger than the server takes."},
	fiber.StatusUnprocessableEntity:   {"Not saved", "Check what you entered and try again."},
	fiber.StatusTooManyRequests:       {"Too many attempts", "Wait a moment and try again."},
	fiber.StatusInternalServerError:   {"Something went wrong", "The server could not complete this request. It has been logged; try again in a moment."},
	fiber.StatusServiceUnavailable:    {"Not available right now", "Try again in a moment."},
}

// describeError turns err into what the person who made the request reads.
func describeError(err error) errorpageview.Error {
	status, msg := fiber.StatusInternalServerError, ""
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		status = fe.Code
		if fe.Message != http.StatusText(fe.Code) {
			msg = fe.Message // written for a person; Fiber's defaults repeat the reason phrase
		}
	case errors.Is(err, db.ErrNotFound):
		status, msg = fiber.StatusNotFound, "What you asked for does not exist (any more)."
	}
	words, ok := errorWords[status]
	if !ok {
		words = [2]string{"The request failed", "Try again in a moment."}
		if status >= 500 {
			words = errorWords[fiber.StatusInternalServerError]
		}
	}
	if msg == "" {
		msg = words[1]
	}
	return errorpageview.Error{Status: status, Title: words[0], Message: msg}
}

// handleError is Fiber's ErrorHandler: a full error page for a navigation, an error
// message in the flash area for an htmx request, JSON for /health.
func (a *App) handleError(c *fiber.Ctx, err error) error {
	e := describeError(err)
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
		return a.renderFragment(c, e.Status, errorpageview.Fragment(a.view(c), e))
	}
	return a.render(c, e.Status, func(v view.Ctx) templ.Component { return errorpageview.Page(v, e) }, nil)
}
