// Package dbtest gives each test a fresh, migrated PostgreSQL database.
//
// `make test` starts one throwaway cluster and exports its admin URL as
// BACKUPCHECKS_TEST_DATABASE_URL. The first test process to need a database migrates a
// template database (named after the migrations' digest); every test then gets its own
// database cloned from it with CREATE DATABASE … TEMPLATE, so packages and tests run
// in parallel without sharing state.
package dbtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/backupchecks/backupchecks/db"
)

// EnvURL names the environment variable holding the test cluster's admin URL.
const EnvURL = "BACKUPCHECKS_TEST_DATABASE_URL"

// lockKey serialises template creation and cloning across test processes.
const lockKey int64 = 0x62636b74657374

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
	counter      atomic.Int64
)

// New returns a fresh migrated database for t, dropped when t ends.
func New(t testing.TB) *db.DB {
	t.Helper()
	d, _ := NewWithURL(t)
	return d
}

// NewWithURL is New that also returns the database's URL (for code under test that
// opens its own connections, such as the CLI).
func NewWithURL(t testing.TB) (*db.DB, string) {
	t.Helper()
	admin := AdminURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(ctx, admin) })
	if templateErr != nil {
		t.Fatalf("dbtest: template database: %v", templateErr)
	}

	name := fmt.Sprintf("bc_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6, counter.Add(1))
	if err := withAdmin(ctx, admin, func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, templateName))
		return err
	}); err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	dbURL := withDatabase(t, admin, name)
	d, err := db.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("dbtest: open: %v", err)
	}
	t.Cleanup(func() {
		d.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := withAdmin(ctx, admin, func(conn *pgx.Conn) error {
			_, err := conn.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
			return err
		}); err != nil {
			t.Errorf("dbtest: drop database %s: %v", name, err)
		}
	})
	return d, dbURL
}

// AdminURL returns the test cluster's admin URL or fails the test: database tests
// never silently skip.
func AdminURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		t.Fatalf("dbtest: %s is not set: run the suite with `make test`, which starts a throwaway PostgreSQL", EnvURL)
	}
	return u
}

// EmptyDatabase creates an empty (unmigrated) database and returns its URL; it is
// dropped when t ends.
func EmptyDatabase(t testing.TB) string {
	t.Helper()
	admin := AdminURL(t)
	ctx := context.Background()
	name := fmt.Sprintf("bc_empty_%d_%d", os.Getpid(), counter.Add(1))
	if err := withAdmin(ctx, admin, func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "CREATE DATABASE "+name)
		return err
	}); err != nil {
		t.Fatalf("dbtest: create empty database: %v", err)
	}
	t.Cleanup(func() {
		_ = withAdmin(context.Background(), admin, func(conn *pgx.Conn) error {
			_, err := conn.Exec(context.Background(), fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
			return err
		})
	})
	return withDatabase(t, admin, name)
}

func ensureTemplate(ctx context.Context, admin string) (string, error) {
	name := "bc_template_" + db.MigrationsDigest()[:16]
	err := withAdmin(ctx, admin, func(conn *pgx.Conn) error {
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)", name).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return nil
		}
		// A template left half-made by a crashed run is rebuilt.
		if _, err := conn.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
			return err
		}
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			return err
		}
		u, err := replaceDatabase(admin, name)
		if err != nil {
			return err
		}
		d, err := db.Open(ctx, u)
		if err != nil {
			return err
		}
		err = db.Migrate(ctx, d)
		d.Close()
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		_, err = conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s WITH IS_TEMPLATE true", name))
		return err
	})
	return name, err
}

// withAdmin runs fn on an admin connection holding the dbtest advisory lock.
func withAdmin(ctx context.Context, admin string, fn func(*pgx.Conn) error) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to test cluster: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return err
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", lockKey) //nolint:errcheck // the connection closes anyway
	return fn(conn)
}

func withDatabase(t testing.TB, admin, name string) string {
	t.Helper()
	u, err := replaceDatabase(admin, name)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	return u
}

func replaceDatabase(admin, name string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", EnvURL, err)
	}
	u.Path = "/" + name
	return u.String(), nil
}
