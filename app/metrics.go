package app

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"github.com/backupchecks/backupchecks/app/metrics"
)

// metricsEndpoint serves GET /metrics on the app's own address to a Prometheus that
// sends METRICS_TOKEN as a bearer token. Without the token configured it does not
// exist (404); with a wrong or missing token it answers 401.
func (a *App) metricsEndpoint(c *fiber.Ctx) error {
	if a.metricsHandler == nil {
		return fiber.ErrNotFound
	}
	return a.metricsHandler(c)
}

// newMetricsHandler is the /metrics handler when METRICS_TOKEN is set, else nil.
func (a *App) newMetricsHandler(liveClients func() int) fiber.Handler {
	if a.cfg.MetricsToken == "" {
		return nil
	}
	h := metrics.Protect(metrics.Handler(metrics.Process{Pool: a.db.Pool, LiveClients: liveClients}), a.cfg.MetricsToken)
	return adaptor.HTTPHandler(h)
}
