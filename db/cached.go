package db

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"
)

// QueryCached runs a read query written with $n placeholders as a named prepared
// statement that each connection keeps, so Postgres parses and plans it once per
// connection instead of on every call (after five runs it may keep a generic plan).
//
// Everything else goes through bun, which writes values into the SQL text: every call
// is a new statement, which is why the pool does not cache statements (see Open). Use
// this only for hot queries whose text takes a few shapes; each shape is one cached
// statement per connection.
func QueryCached(ctx context.Context, idb bun.IDB, query string, args ...any) (*sql.Rows, error) {
	// pgx reads a leading QueryExecMode argument as an option, also through database/sql.
	args = append([]any{pgx.QueryExecModeCacheStatement}, args...)
	switch q := idb.(type) {
	case *bun.DB:
		return q.DB.QueryContext(ctx, query, args...)
	case bun.Tx:
		return q.Tx.QueryContext(ctx, query, args...)
	case *bun.Tx:
		return q.Tx.QueryContext(ctx, query, args...)
	case *bun.Conn:
		return q.Conn.QueryContext(ctx, query, args...)
	}
	return nil, fmt.Errorf("db: cached query on %T", idb)
}

// Args collects the arguments of a query built from parts and hands out their $n
// placeholders.
type Args []any

// Add appends v and returns its placeholder.
func (a *Args) Add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}
