package db

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/uptrace/bun/migrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrateLockKey is the advisory lock key that serialises migrations across replicas
// ("bckmigr" as a number; any constant unique to this application will do).
const migrateLockKey int64 = 0x62636b6d696772

// Migrate brings River's tables and ours up to date. It holds a Postgres advisory lock
// for the whole run, so replicas that start together migrate one after another.
func Migrate(ctx context.Context, d *DB) error {
	conn, err := d.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("db: migrate: acquire: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLockKey); err != nil {
		return fmt.Errorf("db: migrate: lock: %w", err)
	}
	defer func() {
		// A fresh context: the unlock must happen even if ctx was cancelled.
		if _, err := conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", migrateLockKey); err != nil {
			slog.Error("db: migrate: unlock", "err", err)
		}
	}()

	rm, err := rivermigrate.New(riverpgxv5.New(d.Pool), nil)
	if err != nil {
		return fmt.Errorf("db: migrate: river: %w", err)
	}
	res, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("db: migrate: river: %w", err)
	}
	for _, v := range res.Versions {
		slog.Info("db: applied river migration", "version", v.Version, "name", v.Name)
	}

	migrations := migrate.NewMigrations()
	if err := migrations.Discover(mustSub(migrationFiles, "migrations")); err != nil {
		return fmt.Errorf("db: migrate: discover: %w", err)
	}
	m := migrate.NewMigrator(d.Bun, migrations, migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("db: migrate: init: %w", err)
	}
	group, err := m.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("db: migrate: %w", err)
	}
	for _, mg := range group.Migrations {
		slog.Info("db: applied migration", "name", mg.Name, "comment", mg.Comment)
	}
	return nil
}

func mustSub(fsys embed.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // dir is a constant embedded above
	}
	return sub
}

// MigrationsDigest identifies the embedded migrations (SHA-256 over names and
// contents); test helpers use it to name a template database.
func MigrationsDigest() string {
	h := sha256.New()
	_ = fs.WalkDir(migrationFiles, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := migrationFiles.ReadFile(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))
}
