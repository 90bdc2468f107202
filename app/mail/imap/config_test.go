package imap

import (
	"strings"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/backupchecks/backupchecks/app/mail"
)

func TestNew(t *testing.T) {
	valid := func(mod func(*Config)) Config {
		cfg := Config{Host: "imap.example.com", Username: "reports", Password: "secret"}
		if mod != nil {
			mod(&cfg)
		}
		return cfg
	}
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr string
		check   func(t *testing.T, cfg Config)
	}{
		{
			name: "defaults",
			cfg:  valid(nil),
			check: func(t *testing.T, cfg Config) {
				if cfg.Security != "tls" || cfg.Port != 993 || cfg.Folder != "INBOX" || cfg.Timeout != 30*time.Second {
					t.Errorf("defaults: got security %q port %d folder %q timeout %s", cfg.Security, cfg.Port, cfg.Folder, cfg.Timeout)
				}
				if cfg.Limits != mail.DefaultLimits {
					t.Errorf("limits: got %+v, want %+v", cfg.Limits, mail.DefaultLimits)
				}
			},
		},
		{
			name: "starttls defaults to port 143",
			cfg:  valid(func(c *Config) { c.Security = "STARTTLS" }),
			check: func(t *testing.T, cfg Config) {
				if cfg.Security != "starttls" || cfg.Port != 143 {
					t.Errorf("got security %q port %d", cfg.Security, cfg.Port)
				}
			},
		},
		{
			name: "partial limits keep what is set",
			cfg:  valid(func(c *Config) { c.Limits = mail.Limits{MaxAttachment: 1 << 20} }),
			check: func(t *testing.T, cfg Config) {
				if cfg.Limits.MaxAttachment != 1<<20 || cfg.Limits.MaxMessage != mail.DefaultLimits.MaxMessage {
					t.Errorf("limits: got %+v", cfg.Limits)
				}
			},
		},
		{name: "none to 127.0.0.1", cfg: valid(func(c *Config) { c.Security, c.Host = "none", "127.0.0.1" })},
		{name: "none to ::1", cfg: valid(func(c *Config) { c.Security, c.Host = "none", "[::1]" })},
		{name: "none to localhost", cfg: valid(func(c *Config) { c.Security, c.Host = "none", "localhost" })},
		{
			name:    "none to a remote host is refused",
			cfg:     valid(func(c *Config) { c.Security = "none" }),
			wantErr: `security "none" sends the password unencrypted and is only allowed to a loopback address`,
		},
		{
			name:    "none to a LAN address is refused",
			cfg:     valid(func(c *Config) { c.Security, c.Host = "none", "192.168.1.10" }),
			wantErr: "only allowed to a loopback address",
		},
		{name: "unknown security", cfg: valid(func(c *Config) { c.Security = "ssl" }), wantErr: `security "ssl"`},
		{name: "no host", cfg: valid(func(c *Config) { c.Host = " " }), wantErr: "host is required"},
		{name: "host with port", cfg: valid(func(c *Config) { c.Host = "imap.example.com:993" }), wantErr: "port field"},
		{name: "host as URL", cfg: valid(func(c *Config) { c.Host = "imaps://imap.example.com" }), wantErr: "without scheme"},
		{name: "port out of range", cfg: valid(func(c *Config) { c.Port = 70000 }), wantErr: "between 1 and 65535"},
		{name: "no username", cfg: valid(func(c *Config) { c.Username = "" }), wantErr: "username is required"},
		{name: "no password", cfg: valid(func(c *Config) { c.Password = "" }), wantErr: "password is required"},
		{
			name:    "processed folder is the source folder",
			cfg:     valid(func(c *Config) { c.ProcessedFolder = "inbox" }),
			wantErr: "is the folder imported from",
		},
		{name: "negative timeout", cfg: valid(func(c *Config) { c.Timeout = -time.Second }), wantErr: "must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("New: got error %v, want one containing %q", err, tc.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "imap: ") {
					t.Errorf("error %q lacks the package prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if tc.check != nil {
				tc.check(t, s.cfg)
			}
		})
	}
}

func TestSourceID(t *testing.T) {
	for _, tc := range []struct {
		folder           string
		uidValidity, uid uint32
	}{
		{"INBOX", 1, 1},
		{"Reports/Veeam", 1700000000, 4294967295},
		{"a/b/c", 3, 42},
	} {
		id := sourceID(tc.folder, tc.uidValidity, tc.uid)
		folder, v, u, err := parseSourceID(id)
		if err != nil || folder != tc.folder || v != tc.uidValidity || u != tc.uid {
			t.Errorf("parseSourceID(%q) = %q, %d, %d, %v", id, folder, v, u, err)
		}
	}
	for _, bad := range []string{"", "INBOX", "INBOX/1", "/1/2", "INBOX/x/2", "INBOX/1/0", "INBOX/0/1", "INBOX/1/-2", "INBOX/1/99999999999"} {
		if _, _, _, err := parseSourceID(bad); err == nil {
			t.Errorf("parseSourceID(%q): want an error", bad)
		}
	}
}

func TestGreetingText(t *testing.T) {
	for line, want := range map[string]string{
		"* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.\r\n": "Dovecot ready.",
		"* OK The Microsoft Exchange IMAP4 service is ready.\r\n": "The Microsoft Exchange IMAP4 service is ready.",
		"* ok IMAP server ready\r\n":                              "IMAP server ready",
		"* OK [CAPABILITY IMAP4rev1]\r\n":                         "",
	} {
		g := &greetingConn{line: []byte(strings.TrimSuffix(line, "\n")), done: true}
		if got := g.text(); got != want {
			t.Errorf("greeting %q: got %q, want %q", line, got, want)
		}
	}
}

func TestAllowsKeyword(t *testing.T) {
	for _, tc := range []struct {
		permanent []goimap.Flag
		want      bool
	}{
		{nil, true}, // not announced: try
		{[]goimap.Flag{goimap.FlagSeen, goimap.FlagWildcard}, true},
		{[]goimap.Flag{goimap.FlagSeen, "$backupchecksimported"}, true},
		{[]goimap.Flag{goimap.FlagSeen, goimap.FlagDeleted}, false},
	} {
		if got := allowsKeyword(tc.permanent); got != tc.want {
			t.Errorf("allowsKeyword(%v) = %v, want %v", tc.permanent, got, tc.want)
		}
	}
}
