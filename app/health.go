package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
)

// health answers load balancers and the container HEALTHCHECK: 200 when the database
// answers, 503 when it does not. Callers are anonymous, so why the database failed goes
// to the log, not into the answer.
func (a *App) health(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	c.Set(fiber.HeaderCacheControl, "no-store")
	if err := a.db.Ping(ctx); err != nil {
		slog.Error("health: database unreachable", "err", err, "request_id", requestID(c))
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "database": "unreachable"})
	}
	return c.JSON(fiber.Map{"status": "ok", "database": "ok", "version": a.version})
}
