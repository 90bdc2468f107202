// Command backupchecks is the whole application in one binary: the web server with
// its background workers, a workers-only mode for scaling out, migrations and user
// administration.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
	_ "time/tzdata" // timezone names work in a minimal container without /usr/share/zoneinfo

	"golang.org/x/term"

	"github.com/backupchecks/backupchecks/app"
	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/app/config"
	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/app/logctx"
	"github.com/backupchecks/backupchecks/app/mail/mailbox"
	"github.com/backupchecks/backupchecks/app/metrics"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/jobs"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `Backupchecks: checks every day that all your customers' backups ran.

Usage: backupchecks <command> [flags]

Commands:
  serve         run the web server and the background workers (migrates first)
  worker        run only the background workers (to scale out)
  migrate       bring the database schema up to date and exit
  user create   create a user            user passwd USERNAME   set a password
  user list     list users
  import PATH…  import .eml files (or directories of them) like a mailbox import
  parse PATH…   show, as JSON, how the parsers read .eml files (no database needed)
  seed          generate demo/benchmark data (customers, jobs, run history)
  healthcheck   exit 0 when the local server answers /health (for containers)
  version       print the version

Run "backupchecks <command> --help" for a command's flags.

Environment:
`

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "backupchecks:", err)
		os.Exit(1)
	}
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, usage)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, v := range config.Vars {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", v.Name, v.Default, v.Help)
	}
	tw.Flush()
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdout)
		return nil
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(rest, true)
	case "worker":
		return cmdServe(rest, false)
	case "migrate":
		return cmdMigrate(rest)
	case "user":
		return cmdUser(rest, stdin, stdout)
	case "import":
		return cmdImport(rest, stdout)
	case "parse":
		return cmdParse(rest, stdout)
	case "seed":
		return cmdSeed(rest, stdout)
	case "healthcheck":
		return cmdHealthcheck(rest)
	case "version":
		fmt.Fprintln(stdout, "backupchecks", version)
		return nil
	}
	printUsage(os.Stderr)
	return fmt.Errorf("unknown command %q", cmd)
}

func newFlagSet(name, help string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: backupchecks %s\n\n%s\n", name, help)
		fs.PrintDefaults()
	}
	return fs
}

func setupLogging(cfg *config.Config) {
	slog.SetDefault(newLogger(cfg, cfg.LogLevel))
}

func newLogger(cfg *config.Config, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	// logctx adds the request id, the user and the River job id the context carries.
	if cfg.LogFormat == "json" {
		return slog.New(logctx.NewHandler(slog.NewJSONHandler(os.Stderr, opts)))
	}
	return slog.New(logctx.NewHandler(slog.NewTextHandler(os.Stderr, opts)))
}

// riverLogger quietens River's routine progress lines (every few seconds at info)
// unless LOG_LEVEL is debug; its warnings and errors always show.
func riverLogger(cfg *config.Config) *slog.Logger {
	if cfg.LogLevel <= slog.LevelDebug {
		return slog.Default()
	}
	return newLogger(cfg, max(cfg.LogLevel, slog.LevelWarn))
}

func openDB(ctx context.Context, need config.Need) (*config.Config, *db.DB, error) {
	cfg, err := config.Load(need)
	if err != nil {
		return nil, nil, err
	}
	setupLogging(cfg)
	d, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	return cfg, d, nil
}

// cmdServe runs the web server and River (web=true), or River alone.
func cmdServe(args []string, web bool) error {
	name, help := "serve", "Runs the web server and the background workers. Migrates the database first."
	if !web {
		name, help = "worker", "Runs only the background workers, for scaling them out beside serve."
	}
	fs := newFlagSet(name+" [flags]", help)
	listen := fs.String("listen", "", "address to listen on (default $LISTEN_ADDR or :8080)")
	noMigrate := fs.Bool("no-migrate", false, "do not migrate on start")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg, d, err := openDB(ctx, config.NeedDatabase|config.NeedSecret)
	if err != nil {
		return err
	}
	defer d.Close()
	if !*noMigrate {
		if err := db.Migrate(ctx, d); err != nil {
			return err
		}
	}
	registry := parsers.Default()
	sources := mailbox.Options{GraphLoginURL: cfg.GraphLoginURL, GraphURL: cfg.GraphURL}
	river, err := jobs.NewClient(d, jobs.Config{MaxWorkers: cfg.RiverMaxWorkers, Logger: riverLogger(cfg),
		Sessions: auth.SessionPolicy{MaxAge: cfg.SessionMaxAge, IdleTimeout: cfg.SessionIdleTimeout},
		Registry: registry, Keys: secrets.NewKeyring(cfg.SecretKey), Sources: sources, AutotaskZoneURLs: cfg.AutotaskZoneURLs,
		BaseURL: cfg.BaseURL.String()})
	if err != nil {
		return err
	}
	// River's own context outlives the signal so that running jobs get the soft stop.
	if err := river.Start(context.Background()); err != nil {
		return fmt.Errorf("start workers: %w", err)
	}
	slog.Info("backupchecks: workers started", "version", version, "max_workers", cfg.RiverMaxWorkers)

	var hub *live.Hub
	if web {
		hub = live.NewHub(d.Pool)
	}
	metricsDone, err := serveMetrics(ctx, cfg, d, hub)
	if err != nil {
		jobs.Stop(river, 30*time.Second)
		return err
	}
	defer func() { stop(); <-metricsDone }()

	var serveErr error
	if web {
		addr := cfg.ListenAddr
		if *listen != "" {
			addr = *listen
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			jobs.Stop(river, 30*time.Second)
			return fmt.Errorf("listen on %s: %w", addr, err)
		}
		slog.Info("backupchecks: serving", "addr", ln.Addr().String(), "base_url", cfg.BaseURL.String())
		go hub.Run(ctx)
		serveErr = app.New(cfg, d, app.Options{Version: version, Hub: hub, Registry: registry,
			Queue: &jobs.Queue{DB: d, Client: river}}).Serve(ctx, ln)
	} else {
		<-ctx.Done()
	}
	slog.Info("backupchecks: stopping workers")
	jobs.Stop(river, 30*time.Second)
	return serveErr
}

// serveMetrics serves /metrics on METRICS_LISTEN_ADDR until ctx ends, if set; the
// channel closes when it has stopped.
func serveMetrics(ctx context.Context, cfg *config.Config, d *db.DB, hub *live.Hub) (<-chan struct{}, error) {
	done := make(chan struct{})
	if cfg.MetricsListenAddr == "" {
		close(done)
		return done, nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsListenAddr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on %s: %w", cfg.MetricsListenAddr, err)
	}
	p := metrics.Process{Pool: d.Pool}
	if hub != nil {
		p.LiveClients = hub.Subscribers
	}
	go func() {
		defer close(done)
		if err := metrics.Serve(ctx, ln, metrics.Protect(metrics.Handler(p), cfg.MetricsToken)); err != nil {
			slog.Error("metrics: stopped", "err", err)
		}
	}()
	return done, nil
}

func cmdMigrate(args []string) error {
	fs := newFlagSet("migrate", "Brings River's tables and the application's schema up to date.")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	ctx := context.Background()
	_, d, err := openDB(ctx, config.NeedDatabase)
	if err != nil {
		return err
	}
	defer d.Close()
	return db.Migrate(ctx, d)
}

func cmdHealthcheck(args []string) error {
	fs := newFlagSet("healthcheck [flags]", "Exits 0 when the server's /health answers 200.")
	url := fs.String("url", "", "health URL (default http://127.0.0.1<LISTEN_ADDR port>/health)")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	if *url == "" {
		addr := os.Getenv("LISTEN_ADDR")
		if addr == "" {
			addr = ":8080"
		}
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("LISTEN_ADDR %q: %w", addr, err)
		}
		*url = "http://127.0.0.1:" + port + "/health"
	}
	client := &http.Client{Timeout: 4 * time.Second}
	resp, err := client.Get(*url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s", resp.Status)
	}
	return nil
}

func cmdUser(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("user: want create, passwd or list (see backupchecks --help)")
	}
	ctx := context.Background()
	switch args[0] {
	case "create":
		fs := newFlagSet("user create --username NAME [flags]",
			"Creates a user. The password is read from standard input (prompted twice on a terminal).")
		username := fs.String("username", "", "login name (required)")
		displayName := fs.String("display-name", "", "name shown in the UI")
		email := fs.String("email", "", "email address")
		roles := fs.String("roles", "admin", "comma-separated roles: admin, operator, viewer, reporter")
		if err := fs.Parse(args[1:]); err != nil {
			return flagErr(err)
		}
		if *username == "" {
			fs.Usage()
			return errors.New("user create: --username is required")
		}
		password, err := readPassword(stdin, stdout)
		if err != nil {
			return err
		}
		_, d, err := openDB(ctx, config.NeedDatabase)
		if err != nil {
			return err
		}
		defer d.Close()
		u, err := auth.CreateUser(ctx, d.Bun, audit.Actor{Name: "cli"}, auth.NewUser{Username: *username,
			DisplayName: *displayName, Email: *email, Roles: splitList(*roles), Password: password})
		if err != nil {
			return fieldErr(err)
		}
		fmt.Fprintf(stdout, "created user %s (%s)\n", u.Username, strings.Join(u.Roles, ", "))
		return nil
	case "passwd":
		fs := newFlagSet("user passwd USERNAME", "Sets a user's password, read from standard input (prompted twice on a terminal), and ends their sessions.")
		if err := fs.Parse(args[1:]); err != nil {
			return flagErr(err)
		}
		if fs.NArg() != 1 {
			fs.Usage()
			return errors.New("user passwd: give exactly one USERNAME")
		}
		password, err := readPassword(stdin, stdout)
		if err != nil {
			return err
		}
		_, d, err := openDB(ctx, config.NeedDatabase)
		if err != nil {
			return err
		}
		defer d.Close()
		u, err := auth.GetUserByUsername(ctx, d.Bun, fs.Arg(0))
		if errors.Is(err, db.ErrNotFound) {
			return fmt.Errorf("user passwd: no user %q", fs.Arg(0))
		} else if err != nil {
			return err
		}
		if err := auth.ResetPassword(ctx, d.Bun, audit.Actor{Name: "cli"}, u.ID, password); err != nil {
			return fieldErr(err)
		}
		fmt.Fprintf(stdout, "password of %s set\n", u.Username)
		return nil
	case "list":
		fs := newFlagSet("user list", "Lists users.")
		if err := fs.Parse(args[1:]); err != nil {
			return flagErr(err)
		}
		_, d, err := openDB(ctx, config.NeedDatabase)
		if err != nil {
			return err
		}
		defer d.Close()
		users, err := auth.ListUsers(ctx, d.Bun)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tNAME\tROLES\tACTIVE ROLE\tSTATUS\tLAST LOGIN")
		for _, u := range users {
			status, last := "active", "never"
			if !u.IsActive {
				status = "deactivated"
			}
			if u.LastLoginAt != nil {
				last = u.LastLoginAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Username, u.DisplayName, strings.Join(u.Roles, ","), u.ActiveRole, status, last)
		}
		return tw.Flush()
	}
	return fmt.Errorf("user: unknown subcommand %q (want create, passwd or list)", args[0])
}

// readPassword prompts twice on a terminal, or reads one line from a pipe.
func readPassword(stdin io.Reader, stdout io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stdout, "Password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stdout, "Repeat password: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", err
		}
		if string(p1) != string(p2) {
			return "", errors.New("the two passwords differ")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input")
	}
	return line, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// fieldErr turns validation messages into one readable CLI error.
func fieldErr(err error) error {
	if fe, ok := validation.As(err); ok {
		var parts []string
		for f, m := range fe {
			parts = append(parts, strings.ReplaceAll(f, "_", " ")+": "+m)
		}
		return errors.New(strings.Join(parts, "; "))
	}
	return err
}

// flagErr makes --help exit successfully.
func flagErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	return err
}
