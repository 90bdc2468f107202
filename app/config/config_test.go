package config

import (
	"strings"
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		wantErr string
		check   func(*testing.T, *Config)
	}{
		{
			name: "defaults",
			env:  map[string]string{"DATABASE_URL": "postgres://x/y", "APP_SECRET_KEY": strings.Repeat("k", 32)},
			check: func(t *testing.T, c *Config) {
				if c.ListenAddr != ":8080" || c.SessionMaxAge != 12*time.Hour || c.SecureCookies() || c.RiverMaxWorkers != 10 || c.BaseURLSet {
					t.Errorf("unexpected defaults: %+v", c)
				}
			},
		},
		{
			name: "https base url and proxies",
			env: map[string]string{"DATABASE_URL": "postgres://x/y", "APP_SECRET_KEY": strings.Repeat("k", 40),
				"BASE_URL": "https://backups.example.net", "TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7"},
			check: func(t *testing.T, c *Config) {
				if !c.SecureCookies() || !c.BaseURLSet || len(c.TrustedProxies) != 2 || c.TrustedProxies[1].String() != "192.0.2.7/32" {
					t.Errorf("unexpected: %+v", c)
				}
			},
		},
		{name: "missing database", env: map[string]string{"APP_SECRET_KEY": strings.Repeat("k", 32)}, wantErr: "DATABASE_URL is required"},
		{name: "short secret", env: map[string]string{"DATABASE_URL": "postgres://x/y", "APP_SECRET_KEY": "short"}, wantErr: "APP_SECRET_KEY must be at least 32"},
		{name: "bad values reported together", env: map[string]string{"DATABASE_URL": "postgres://x/y", "APP_SECRET_KEY": strings.Repeat("k", 32),
			"LOG_FORMAT": "xml", "SESSION_MAX_AGE": "forever"}, wantErr: "SESSION_MAX_AGE"},
		{
			name: "metrics",
			env: map[string]string{"DATABASE_URL": "postgres://x/y", "APP_SECRET_KEY": strings.Repeat("k", 32),
				"METRICS_LISTEN_ADDR": "127.0.0.1:9090", "METRICS_TOKEN": strings.Repeat("t", 32)},
			check: func(t *testing.T, c *Config) {
				if c.MetricsListenAddr != "127.0.0.1:9090" || c.MetricsToken != strings.Repeat("t", 32) {
					t.Errorf("metrics settings not read: %q %q", c.MetricsListenAddr, c.MetricsToken)
				}
			},
		},
		{name: "short metrics token", env: map[string]string{"DATABASE_URL": "postgres://x/y", "APP_SECRET_KEY": strings.Repeat("k", 32),
			"METRICS_TOKEN": "secret"}, wantErr: "METRICS_TOKEN must be at least 32"},
		{name: "bad metrics address", env: map[string]string{"DATABASE_URL": "postgres://x/y", "APP_SECRET_KEY": strings.Repeat("k", 32),
			"METRICS_LISTEN_ADDR": "9090"}, wantErr: "METRICS_LISTEN_ADDR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := load(func(k string) string { return tc.env[k] }, NeedDatabase|NeedSecret)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}
