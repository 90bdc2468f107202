// Package app is the web application: the Fiber app, every route, the middleware and
// the thin handlers that call the capabilities in app/<capability>.
package app

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"

	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/app/config"
	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/jobs"
)

// App is the web application.
type App struct {
	cfg      *config.Config
	db       *db.DB
	keys     *secrets.Keyring
	fiber    *fiber.App
	version  string
	now      func() time.Time
	throttle auth.Throttle
	sessions auth.SessionPolicy
	routes   []route
	getRoles map[string][]string // GET path → roles, for the navbar

	setupDone atomic.Bool // once a user exists it never goes back

	hub      *live.Hub
	jobs     *jobs.Enqueuer
	registry *parsers.Registry
	done     chan struct{} // closed when the server shuts down (ends SSE streams)

	rcOptions filterOptions // Run Checks filter choices, cached briefly
}

// Options are the parts of App that tests replace.
type Options struct {
	Version  string
	Now      func() time.Time
	Throttle *auth.Throttle
	Hub      *live.Hub      // live events; nil disables /events
	Jobs     *jobs.Enqueuer // background work; nil disables Import now / Re-parse
	Registry *parsers.Registry
}

// New builds the application and registers every route.
func New(cfg *config.Config, d *db.DB, opt Options) *App {
	a := &App{
		cfg:      cfg,
		db:       d,
		keys:     secrets.NewKeyring(cfg.SecretKey),
		version:  opt.Version,
		now:      opt.Now,
		throttle: auth.DefaultThrottle,
		sessions: auth.SessionPolicy{MaxAge: cfg.SessionMaxAge, IdleTimeout: cfg.SessionIdleTimeout},
		hub:      opt.Hub,
		jobs:     opt.Jobs,
		registry: opt.Registry,
		done:     make(chan struct{}),
	}
	if a.registry == nil {
		a.registry = parsers.Default()
	}
	if a.now == nil {
		a.now = time.Now
	}
	if opt.Throttle != nil {
		a.throttle = *opt.Throttle
	}
	var proxies []string
	for _, n := range cfg.TrustedProxies {
		proxies = append(proxies, n.String())
	}
	a.fiber = fiber.New(fiber.Config{
		AppName:                 "Backupchecks",
		ErrorHandler:            a.handleError,
		DisableStartupMessage:   true,
		ReadTimeout:             30 * time.Second,
		WriteTimeout:            60 * time.Second,
		IdleTimeout:             120 * time.Second,
		BodyLimit:               64 << 20, // .eml uploads (later) can be large
		EnableTrustedProxyCheck: len(proxies) > 0,
		TrustedProxies:          proxies,
		ProxyHeader:             proxyHeader(proxies),
	})
	a.fiber.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: logPanic}))
	a.fiber.Use(requestid.New())
	a.fiber.Use(a.logRequests)
	a.fiber.Use(varyHTMX)
	a.registerRoutes()
	return a
}

func proxyHeader(proxies []string) string {
	if len(proxies) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}

// Fiber returns the underlying Fiber app (tests drive it directly).
func (a *App) Fiber() *fiber.App { return a.fiber }

// Serve listens on ln until ctx is cancelled, then shuts down gracefully, letting
// in-flight requests finish for up to 20 seconds.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- a.fiber.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("web: shutting down")
	close(a.done)
	if err := a.fiber.ShutdownWithTimeout(20 * time.Second); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return <-errc
}

func logPanic(c *fiber.Ctx, e any) {
	slog.Error("web: panic", "path", c.Path(), "panic", e, "request_id", c.Locals(requestid.ConfigDefault.ContextKey))
}
