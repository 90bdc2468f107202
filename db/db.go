// Package db opens the database, migrates it and holds the bun models.
//
// One pgx pool serves both River (riverpgxv5) and bun (through database/sql's
// stdlib adapter), so a process holds one set of connections.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// ErrNotFound is returned by lookups that find no row.
var ErrNotFound = errors.New("not found")

// DB is the process's database handle: the pgx pool (for River) and bun on top of it.
type DB struct {
	Pool *pgxpool.Pool
	Bun  *bun.DB
}

// Open connects to url and checks the connection.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("db: parse DATABASE_URL: %w", err)
	}
	if cfg.MaxConns < 10 {
		cfg.MaxConns = 10
	}
	// bun formats every value into the SQL text, so each query is a new string: pgx's
	// default per-connection statement cache would keep up to 512 of them per connection
	// (megabytes each for a batch of mails) and as many prepared statements on the
	// server. Exec mode uses the unnamed statement instead: one round trip, no cache.
	// River's queries work the same in this mode.
	if !strings.Contains(url, "default_query_exec_mode") { // unless the URL chooses one
		cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("db: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("db: ping: %w", err)
	}
	sqldb := stdlib.OpenDBFromPool(pool)
	return &DB{Pool: pool, Bun: bun.NewDB(sqldb, pgdialect.New())}, nil
}

// Close closes bun's database/sql handle and then the pool.
func (d *DB) Close() {
	_ = d.Bun.Close()
	d.Pool.Close()
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	return d.Pool.Ping(ctx)
}

// NotFound maps sql.ErrNoRows to ErrNotFound and leaves other errors as they are.
func NotFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// EscapeLike escapes LIKE's wildcards (and its escape character) in s, so that a
// pattern built from it matches s itself.
func EscapeLike(s string) string { return likeEscaper.Replace(s) }

// LikeContains is the (I)LIKE pattern for "contains s".
func LikeContains(s string) string { return "%" + EscapeLike(s) + "%" }

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
