package app

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/logctx"
	"github.com/backupchecks/backupchecks/app/metrics"
)

// requestTimeout bounds the work of one request: a database that stops answering (a
// restart, a failover) fails the request with an error page instead of holding it
// open. It matches the server's WriteTimeout, past which the answer could not be sent
// anyway. Live streams (/events) are exempt: they last as long as the page.
const requestTimeout = 60 * time.Second

// observeRequests gives the request a context that carries its request id for the
// logs and its deadline, and records its duration under its route pattern.
func (a *App) observeRequests(c *fiber.Ctx) error {
	start := time.Now()
	ctx := logctx.With(c.UserContext(), slog.String("request_id", requestID(c)))
	var cancel context.CancelFunc = func() {}
	if c.Path() != "/events" {
		ctx, cancel = context.WithTimeout(ctx, requestTimeout)
	}
	// A streamed body (an export) is written after the handler returns, within the
	// deadline (which releases the context); anything else is done with it now.
	defer func() {
		if !c.Response().IsBodyStream() {
			cancel()
		}
	}()
	c.SetUserContext(ctx)
	err := c.Next()
	if err != nil {
		// Let the error handler set the status before it is recorded.
		if herr := c.App().Config().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	metrics.ObserveRequest(c.Method(), routeLabel(c), c.Response().StatusCode(), time.Since(start))
	return nil
}

// routeLabel is the route table's pattern of the route that answered, so that ids in
// paths never make new series; requests that matched no route share one label.
func routeLabel(c *fiber.Ctx) string {
	if name := c.Route().Name; name != "" {
		_, pattern, _ := strings.Cut(name, " ")
		return pattern
	}
	if strings.HasPrefix(c.Path(), "/assets/") {
		return "/assets/*"
	}
	return "unmatched"
}

// logUser adds the signed-in user to the request's log attributes (after the session
// is known).
func (a *App) logUser(c *fiber.Ctx) error {
	if u := currentUser(c); u != nil {
		c.SetUserContext(logctx.With(c.UserContext(), slog.String("user", u.Username)))
	}
	return c.Next()
}
