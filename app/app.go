// Package app is the web application: the Fiber app, every route, the middleware and
// the thin handlers that call the capabilities in app/<capability>.
//
// Names: `jobs` in this package is always the backup-job capability (app/jobs); River's
// background jobs (top-level package jobs) are imported as riverjobs and reached
// through App.queue. A page-area component package is imported as <area>view
// (jobsview, ticketsview, …).
package app

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/app/sso"
	"github.com/backupchecks/backupchecks/components/layout"
	"github.com/backupchecks/backupchecks/components/view"
	"github.com/backupchecks/backupchecks/db"
	riverjobs "github.com/backupchecks/backupchecks/jobs"
)

// App is the web application.
type App struct {
	cfg        *config.Config
	db         *db.DB
	keys       *secrets.Keyring
	fiber      *fiber.App
	version    string
	now        func() time.Time
	throttle   auth.Throttle
	sessions   auth.SessionPolicy
	routes     []route
	routeRoles map[string][]string // "METHOD /pattern" → roles, for the controls pages show

	setupDone atomic.Bool // once a user exists it never goes back

	hub      *live.Hub
	queue    *riverjobs.Queue // River: starts background work; nil when none runs here
	registry *parsers.Registry
	entra    *sso.Entra    // sign-in with Microsoft Entra ID
	done     chan struct{} // closed when the server shuts down (ends SSE streams)

	rcOptions filterOptions // Run Checks filter choices, cached briefly

	uploadSlots chan struct{} // one per upload being decoded (see mailUpload)
	uploadWait  time.Duration // how long an upload waits for a slot before a 503

	metricsHandler fiber.Handler // GET /metrics behind METRICS_TOKEN; nil: off
}

// Options are the parts of App that tests replace.
type Options struct {
	Version  string
	Now      func() time.Time
	Throttle *auth.Throttle
	Hub      *live.Hub        // live events; nil disables /events
	Queue    *riverjobs.Queue // background work; nil disables Import now, Re-parse all, Check now
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
		queue:    opt.Queue,
		registry: opt.Registry,
		done:     make(chan struct{}),

		uploadSlots: make(chan struct{}, uploadSlots),
		uploadWait:  uploadWait,
	}
	if a.registry == nil {
		a.registry = parsers.Default()
	}
	if a.now == nil {
		a.now = time.Now
	}
	a.entra = sso.New(sso.Options{Authority: cfg.GraphLoginURL, GraphURL: cfg.GraphURL, Now: a.now})
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
		BodyLimit:               defaultBodyLimit, // enforced by limitBody (see below)
		EnableTrustedProxyCheck: len(proxies) > 0,
		TrustedProxies:          proxies,
		ProxyHeader:             proxyHeader(proxies),

		// Bodies are streamed instead of read whole (and multipart forms parsed, files up
		// to 16 MB in memory) before any middleware has checked who is sending them: a
		// body is read only when a handler, or the CSRF check for a token sent in the
		// form, asks for it, and an upload's files are spooled to disk as they come. The
		// server then no longer refuses a body over BodyLimit (it streams it), so
		// limitBody does, from Content-Length, before anything reads it.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
	})
	a.fiber.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: logPanic}))
	a.fiber.Use(requestid.New())
	a.fiber.Use(a.observeRequests)
	a.fiber.Use(a.logRequests)
	a.fiber.Use(varyHTMX)
	a.fiber.Use(a.limitBody)
	if a.hub != nil {
		a.metricsHandler = a.newMetricsHandler(a.hub.Subscribers)
	} else {
		a.metricsHandler = a.newMetricsHandler(nil)
	}
	a.registerRoutes()
	return a
}

// Request body limits. An upload may be large (see maxUploadBody); any other form is small.
const (
	defaultBodyLimit = 64 << 20
	// streamPrefetch is what the server reads of a streamed body before the handler runs.
	streamPrefetch = 8 << 10
)

// bodyLimits are the routes allowed a larger body than defaultBodyLimit.
var bodyLimits = map[string]int64{"/inbox/upload": maxUploadBody}

// limitBody refuses a request body over its route's limit from its Content-Length,
// before anything reads it, and one of unknown length (chunked: browsers always send
// the length). A body the handler may have left partly unread ends the connection, so
// that its rest is never read as the next request.
func (a *App) limitBody(c *fiber.Ctx) error {
	limit, ok := bodyLimits[c.Path()]
	if !ok {
		limit = defaultBodyLimit
	}
	n := c.Request().Header.ContentLength()
	switch {
	case n == -1:
		return refuseBody(c, fiber.StatusLengthRequired, "Send the request with its length (a Content-Length header).")
	case int64(n) > limit:
		return refuseBody(c, fiber.StatusRequestEntityTooLarge,
			fmt.Sprintf("This request is %s, more than the %s allowed here. Send less at a time.", mail.FormatSize(int64(n)), mail.FormatSize(limit)))
	}
	err := c.Next()
	if n > streamPrefetch {
		c.Context().SetConnectionClose()
	}
	return err
}

// refuseBody answers without reading the body, in the flash area for htmx, and closes
// the connection (the unread body must not be read as the next request).
func refuseBody(c *fiber.Ctx, status int, msg string) error {
	c.Context().SetConnectionClose()
	c.Status(status)
	if !isHTMX(c) {
		return c.SendString(msg)
	}
	c.Set("HX-Retarget", "#flash")
	c.Set("HX-Reswap", "beforeend")
	c.Type("html", "utf-8")
	return layout.FlashMessage(view.Flash{Kind: "danger", Message: msg}).Render(c.UserContext(), c.Response().BodyWriter())
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
