package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/db/dbtest"
)

func runCLI(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(args, strings.NewReader(stdin), &out)
	return out.String(), err
}

func TestUserCommands(t *testing.T) {
	_, url := dbtest.NewWithURL(t)
	t.Setenv("DATABASE_URL", url)
	t.Setenv("LOG_LEVEL", "error")

	out, err := runCLI(t, "correct horse battery\n", "user", "create", "--username", "ada", "--display-name", "Ada", "--roles", "admin,operator")
	if err != nil || !strings.Contains(out, "created user ada (admin, operator)") {
		t.Fatalf("user create: %q, %v", out, err)
	}
	if _, err := runCLI(t, "short\n", "user", "create", "--username", "bob"); err == nil || !strings.Contains(err.Error(), "12 characters") {
		t.Fatalf("short password: err = %v", err)
	}
	if _, err := runCLI(t, "correct horse battery\n", "user", "create", "--username", "ADA"); err == nil || !strings.Contains(err.Error(), "taken") {
		t.Fatalf("duplicate: err = %v", err)
	}
	if _, err := runCLI(t, "", "user", "create", "--username", "carl"); err == nil || !strings.Contains(err.Error(), "no password") {
		t.Fatalf("no password: err = %v", err)
	}
	out, err = runCLI(t, "another long password\n", "user", "passwd", "ada")
	if err != nil || !strings.Contains(out, "password of ada set") {
		t.Fatalf("user passwd: %q, %v", out, err)
	}
	if _, err := runCLI(t, "another long password\n", "user", "passwd", "nobody"); err == nil || !strings.Contains(err.Error(), `no user "nobody"`) {
		t.Fatalf("passwd of unknown user: err = %v", err)
	}
	out, err = runCLI(t, "", "user", "list")
	if err != nil || !strings.Contains(out, "ada") || !strings.Contains(out, "admin,operator") || !strings.Contains(out, "never") {
		t.Fatalf("user list: %q, %v", out, err)
	}
}

func TestVersionAndHelp(t *testing.T) {
	out, err := runCLI(t, "", "version")
	if err != nil || out != "backupchecks dev\n" {
		t.Fatalf("version: %q %v", out, err)
	}
	out, _ = runCLI(t, "", "--help")
	for _, want := range []string{"serve", "worker", "migrate", "user create", "DATABASE_URL", "APP_SECRET_KEY"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	if _, err := runCLI(t, "", "frobnicate"); err == nil {
		t.Fatal("unknown command accepted")
	}
}

func TestMigrateCommand(t *testing.T) {
	t.Setenv("DATABASE_URL", dbtest.EmptyDatabase(t))
	t.Setenv("LOG_LEVEL", "error")
	for range 2 { // idempotent
		if _, err := runCLI(t, "", "migrate"); err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}
}

func TestServeRefusesWithoutSecret(t *testing.T) {
	_, url := dbtest.NewWithURL(t)
	t.Setenv("DATABASE_URL", url)
	t.Setenv("APP_SECRET_KEY", "")
	if _, err := runCLI(t, "", "serve"); err == nil || !strings.Contains(err.Error(), "APP_SECRET_KEY") {
		t.Fatalf("serve without APP_SECRET_KEY: err = %v", err)
	}
}

// TestServeStopsGracefullyOnSIGTERM starts `serve` for real (migrate, River, web),
// waits for /health and the healthcheck command to pass, then sends SIGTERM.
func TestServeStopsGracefullyOnSIGTERM(t *testing.T) {
	t.Setenv("DATABASE_URL", dbtest.EmptyDatabase(t))
	t.Setenv("APP_SECRET_KEY", strings.Repeat("s", 40))
	t.Setenv("LOG_LEVEL", "warn")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("LISTEN_ADDR", addr)

	done := make(chan error, 1)
	go func() { done <- run([]string{"serve"}, strings.NewReader(""), io.Discard) }()

	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not become healthy within a minute")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := runCLI(t, "", "healthcheck"); err != nil {
		t.Fatalf("healthcheck against a running server: %v", err)
	}

	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop within a minute of SIGTERM")
	}
	if _, err := runCLI(t, "", "healthcheck"); err == nil {
		t.Fatal("healthcheck passes with the server stopped")
	}
}

func TestParseCommand(t *testing.T) {
	out, err := runCLI(t, "", "parse", "app/parsers/testdata/veeam/br-backup-warning.eml", "app/parsers/testdata/generic/newsletter-unmatched.eml")
	if err != nil {
		t.Fatal(err)
	}
	var res []struct {
		File   string `json:"file"`
		Parser string `json:"parser"`
		Run    *struct {
			JobName string `json:"job_name"`
			Status  string `json:"status"`
		} `json:"run"`
		Error string `json:"error"`
		Tried []any  `json:"tried"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("parse output is not a JSON array: %v\n%s", err, out)
	}
	if len(res) != 2 || res[0].Parser != "veeam_backup_job" || res[0].Run == nil || res[0].Run.JobName != "Daily VMs" || res[0].Run.Status != "Warning" {
		t.Fatalf("first result: %+v", res)
	}
	if res[1].Run != nil || res[1].Error == "" || len(res[1].Tried) == 0 {
		t.Fatalf("unmatched mail: %+v", res[1])
	}
}

func TestImportCommand(t *testing.T) {
	_, url := dbtest.NewWithURL(t)
	t.Setenv("DATABASE_URL", url)
	t.Setenv("LOG_LEVEL", "error")
	dir := t.TempDir()
	for i, f := range []string{"br-backup-warning.eml", "br-backup-copy-success.eml"} {
		b, err := os.ReadFile("app/parsers/testdata/veeam/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.eml", i)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := runCLI(t, "", "import", dir)
	if err != nil || strings.Count(out, "waits in the Inbox for approval") != 2 {
		t.Fatalf("import: %v\n%s", err, out)
	}
	out, err = runCLI(t, "", "import", dir)
	if err != nil || strings.Count(out, "already imported") != 2 {
		t.Fatalf("second import: %v\n%s", err, out)
	}
	if _, err := runCLI(t, "", "import", filepath.Join(dir, "missing.eml")); err == nil {
		t.Fatal("importing a missing file succeeded")
	}
}

// A directory with an empty file and one over the size limit: the empty one is stored
// as an unparsed mail, the big one refused with its size and the limit, the reports
// imported; the command says so and fails.
func TestSecurityImportCommandWithEmptyAndOversizedFiles(t *testing.T) {
	_, url := dbtest.NewWithURL(t)
	t.Setenv("DATABASE_URL", url)
	t.Setenv("LOG_LEVEL", "error")
	dir := t.TempDir()
	report, err := os.ReadFile("app/parsers/testdata/veeam/br-backup-warning.eml")
	if err != nil {
		t.Fatal(err)
	}
	big := append(bytes.Clone(report), bytes.Repeat([]byte("x"), 40<<20)...)
	for name, b := range map[string][]byte{"1-report.eml": report, "2-empty.eml": nil, "3-big.eml": big} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := runCLI(t, "", "import", dir)
	if err == nil || !strings.Contains(err.Error(), "1 file(s) not imported") {
		t.Fatalf("import: err = %v, want one file not imported\n%s", err, out)
	}
	for _, want := range []string{
		"1-report.eml: mail 1 waits in the Inbox for approval",
		"2-empty.eml: mail 2 waits in the Inbox, unparsed: empty message",
		"3-big.eml: not imported: the file is 40.0 MB, larger than the 32 MB limit per mail",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
