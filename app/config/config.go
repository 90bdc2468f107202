// Package config reads the process configuration from the environment.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is everything the process reads from its environment, validated once at start.
type Config struct {
	DatabaseURL        string        // DATABASE_URL (required)
	SecretKey          string        // APP_SECRET_KEY (required, ≥ 32 characters)
	ListenAddr         string        // LISTEN_ADDR, default ":8080"
	BaseURL            *url.URL      // BASE_URL, default http://localhost:8080
	BaseURLSet         bool          // BASE_URL was given (sign-in with Entra needs the real public address)
	LogLevel           slog.Level    // LOG_LEVEL: debug|info|warn|error, default info
	LogFormat          string        // LOG_FORMAT: text|json, default text
	TrustedProxies     []*net.IPNet  // TRUSTED_PROXIES: comma-separated CIDRs
	RiverMaxWorkers    int           // RIVER_MAX_WORKERS, default 10
	SessionMaxAge      time.Duration // SESSION_MAX_AGE, default 12h
	SessionIdleTimeout time.Duration // SESSION_IDLE_TIMEOUT, default 2h
	GraphLoginURL      string        // GRAPH_LOGIN_URL, default https://login.microsoftonline.com
	GraphURL           string        // GRAPH_API_URL, default https://graph.microsoft.com/v1.0
	AutotaskZoneURLs   []string      // AUTOTASK_ZONE_LOOKUP_URLS: comma-separated; default the two global hosts
	MetricsListenAddr  string        // METRICS_LISTEN_ADDR: /metrics on its own address; empty: none
	MetricsToken       string        // METRICS_TOKEN: /metrics on LISTEN_ADDR behind this bearer token; empty: none
}

// Var documents one environment variable (for --help and the README).
type Var struct{ Name, Default, Help string }

// Vars lists every environment variable the application reads.
var Vars = []Var{
	{"DATABASE_URL", "(required)", "PostgreSQL URL, e.g. postgres://user:pass@host:5432/backupchecks"},
	{"APP_SECRET_KEY", "(required)", "at least 32 random characters; keys CSRF tokens and encrypts stored secrets"},
	{"LISTEN_ADDR", ":8080", "address the web server listens on"},
	{"BASE_URL", "http://localhost:8080", "public URL; https here makes cookies Secure; required for sign-in with Microsoft Entra (redirect URI)"},
	{"LOG_LEVEL", "info", "debug, info, warn or error"},
	{"LOG_FORMAT", "text", "text or json"},
	{"TRUSTED_PROXIES", "", "comma-separated CIDRs whose X-Forwarded-For/-Proto headers are believed"},
	{"RIVER_MAX_WORKERS", "10", "background jobs run at once per process"},
	{"SESSION_MAX_AGE", "12h", "a login lasts at most this long"},
	{"SESSION_IDLE_TIMEOUT", "2h", "a login ends after this long without a request"},
	{"GRAPH_LOGIN_URL", "https://login.microsoftonline.com", "Microsoft sign-in endpoint (another cloud, e.g. login.microsoftonline.us)"},
	{"GRAPH_API_URL", "https://graph.microsoft.com/v1.0", "Microsoft Graph endpoint (another cloud, e.g. graph.microsoft.us/v1.0)"},
	{"AUTOTASK_ZONE_LOOKUP_URLS", "the two global zoneInformation hosts", "Autotask zone discovery endpoints, comma-separated (tests, proxies)"},
	{"METRICS_LISTEN_ADDR", "", "serve Prometheus metrics at /metrics on this address (e.g. :9090; keep it private); also in worker"},
	{"METRICS_TOKEN", "", "serve /metrics on LISTEN_ADDR to requests with Authorization: Bearer <token> (at least 32 characters)"},
}

// Need says which parts of the configuration a command needs.
type Need int

const (
	NeedDatabase Need = 1 << iota
	NeedSecret
)

// Load reads the environment. Missing or invalid values are all reported together.
func Load(need Need) (*Config, error) {
	return load(os.Getenv, need)
}

func load(getenv func(string) string, need Need) (*Config, error) {
	var errs []error
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := &Config{
		DatabaseURL: get("DATABASE_URL", ""),
		SecretKey:   get("APP_SECRET_KEY", ""),
		ListenAddr:  get("LISTEN_ADDR", ":8080"),
		LogFormat:   get("LOG_FORMAT", "text"),
		// Empty means the Graph client's defaults (the global Microsoft cloud).
		GraphLoginURL: get("GRAPH_LOGIN_URL", ""),
		GraphURL:      get("GRAPH_API_URL", ""),

		MetricsListenAddr: get("METRICS_LISTEN_ADDR", ""),
		MetricsToken:      get("METRICS_TOKEN", ""),
	}
	for _, u := range strings.Split(get("AUTOTASK_ZONE_LOOKUP_URLS", ""), ",") {
		if u = strings.TrimSpace(u); u != "" {
			c.AutotaskZoneURLs = append(c.AutotaskZoneURLs, u)
		}
	}
	if need&NeedDatabase != 0 && c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is required (in a checkout, the development database that make run "+
			"starts is reached with: export DATABASE_URL=$(make -s db-url) and APP_SECRET_KEY=$(cat .data/app-secret-key))"))
	}
	if need&NeedSecret != 0 && len(c.SecretKey) < 32 {
		errs = append(errs, errors.New("APP_SECRET_KEY must be at least 32 characters (generate one with: openssl rand -hex 32)"))
	}
	base, err := url.Parse(get("BASE_URL", "http://localhost:8080"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		errs = append(errs, fmt.Errorf("BASE_URL %q must be an absolute http(s) URL", get("BASE_URL", "")))
	}
	c.BaseURL = base
	c.BaseURLSet = strings.TrimSpace(getenv("BASE_URL")) != ""
	if err := c.LogLevel.UnmarshalText([]byte(get("LOG_LEVEL", "info"))); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL: %w", err))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT %q must be text or json", c.LogFormat))
	}
	for _, s := range strings.Split(get("TRUSTED_PROXIES", ""), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			if ip := net.ParseIP(s); ip != nil && ip.To4() != nil {
				s += "/32"
			} else {
				s += "/128"
			}
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %w", err))
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, n)
	}
	c.RiverMaxWorkers, err = strconv.Atoi(get("RIVER_MAX_WORKERS", "10"))
	if err != nil || c.RiverMaxWorkers < 1 {
		errs = append(errs, errors.New("RIVER_MAX_WORKERS must be a positive number"))
	}
	duration := func(name, def string) time.Duration {
		d, err := time.ParseDuration(get(name, def))
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be a positive duration such as 12h or 90m", name))
		}
		return d
	}
	c.SessionMaxAge = duration("SESSION_MAX_AGE", "12h")
	c.SessionIdleTimeout = duration("SESSION_IDLE_TIMEOUT", "2h")
	if c.MetricsToken != "" && len(c.MetricsToken) < 32 {
		errs = append(errs, errors.New("METRICS_TOKEN must be at least 32 characters (generate one with: openssl rand -hex 32)"))
	}
	if c.MetricsListenAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsListenAddr); err != nil {
			errs = append(errs, fmt.Errorf("METRICS_LISTEN_ADDR %q must be host:port or :port", c.MetricsListenAddr))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return c, nil
}

// SecureCookies reports whether cookies must carry the Secure flag.
func (c *Config) SecureCookies() bool { return c.BaseURL.Scheme == "https" }
