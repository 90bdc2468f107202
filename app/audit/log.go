package audit

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/csvcell"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// Filter narrows the log (the Logging page and its CSV export).
type Filter struct {
	// Type is an action ("user.created"), or a kind of actions ending in a dot
	// ("user." for every user.* action); "" for all.
	Type string
	User string     // the actor's name, any case; "" for all
	From *time.Time // entries at or after
	To   *time.Time // entries before
}

// where is the filter as a condition on audit_log (served by the indexes on
// (action, at), (lower(actor_name), at) and (at)).
func (f Filter) where() (string, []any) {
	conds := []string{"true"}
	var args []any
	switch t := strings.TrimSpace(f.Type); {
	case strings.HasSuffix(t, "."):
		conds, args = append(conds, "action LIKE ?"), append(args, db.EscapeLike(t)+"%")
	case t != "":
		conds, args = append(conds, "action = ?"), append(args, t)
	}
	if u := strings.TrimSpace(f.User); u != "" {
		conds, args = append(conds, "lower(actor_name) = lower(?)"), append(args, u)
	}
	if f.From != nil {
		conds, args = append(conds, "at >= ?"), append(args, *f.From)
	}
	if f.To != nil {
		conds, args = append(conds, "at < ?"), append(args, *f.To)
	}
	return strings.Join(conds, " AND "), args
}

// Search returns page (1-based) of the entries matching f, newest first.
func Search(ctx context.Context, idb bun.IDB, f Filter, page, perPage int) (Page, error) {
	if page < 1 {
		page = 1
	}
	p := Page{Page: page, PerPage: perPage}
	where, args := f.where()
	n, err := idb.NewSelect().Model(&p.Entries).Where(where, args...).Order("at DESC", "id DESC").
		Limit(int64(perPage)).Offset(int64((page - 1) * perPage)).ScanAndCount(ctx)
	if err != nil {
		return p, fmt.Errorf("audit: search: %w", err)
	}
	p.Total = int(n)
	return p, nil
}

// Kinds returns the kinds of action in the log (the part before the first dot:
// "login", "user", "settings", …), sorted: the Logging page's event type choices. A
// skip scan over the action index, not a scan of the table.
func Kinds(ctx context.Context, idb bun.IDB) ([]string, error) {
	var actions []string
	err := idb.NewRaw(`
		WITH RECURSIVE a(action) AS (
			(SELECT action FROM audit_log ORDER BY action LIMIT 1)
			UNION ALL
			SELECT (SELECT l.action FROM audit_log l WHERE l.action > a.action ORDER BY l.action LIMIT 1)
			FROM a WHERE a.action IS NOT NULL)
		SELECT action FROM a WHERE action IS NOT NULL`).Scan(ctx, &actions)
	if err != nil {
		return nil, fmt.Errorf("audit: kinds: %w", err)
	}
	var kinds []string
	for _, a := range actions {
		k, _, _ := strings.Cut(a, ".")
		if len(kinds) == 0 || kinds[len(kinds)-1] != k {
			kinds = append(kinds, k)
		}
	}
	return kinds, nil
}

// csvBatch is how many entries WriteCSV reads per query.
const csvBatch = 1000

// WriteCSV writes every entry matching f as CSV (newest first), with times in loc,
// reading in keyset pages so memory stays flat however long the log is. Cells that a
// spreadsheet would take for a formula are prefixed with an apostrophe: actor names
// and targets come from what visitors typed (a failed login's user name).
func WriteCSV(ctx context.Context, idb bun.IDB, f Filter, loc *time.Location, w io.Writer) (int, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"time", "user", "action", "target", "ip", "details"}); err != nil {
		return 0, fmt.Errorf("audit: export: %w", err)
	}
	where, args := f.where()
	n := 0
	var last *db.AuditEntry
	for {
		var batch []db.AuditEntry
		q := idb.NewSelect().Model(&batch).Where(where, args...).Order("at DESC", "id DESC").Limit(csvBatch)
		if last != nil {
			q = q.Where("(at, id) < (?, ?)", last.At, last.ID)
		}
		if err := q.Scan(ctx); err != nil {
			return n, fmt.Errorf("audit: export: %w", err)
		}
		for _, e := range batch {
			details := ""
			if len(e.Details) > 0 {
				b, _ := json.Marshal(e.Details)
				details = string(b)
			}
			rec := []string{e.At.In(loc).Format(time.RFC3339), e.ActorName, e.Action, e.Target, e.IP, details}
			for i := range rec {
				rec[i] = csvcell.Text(rec[i])
			}
			if err := cw.Write(rec); err != nil {
				return n, fmt.Errorf("audit: export: %w", err)
			}
			n++
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return n, fmt.Errorf("audit: export: %w", err)
		}
		if len(batch) < csvBatch {
			return n, nil
		}
		last = &batch[len(batch)-1]
	}
}

// Retention bounds: how long entries are kept (days).
const (
	DefaultRetentionDays = 730
	MinRetentionDays     = 30
	MaxRetentionDays     = 3650
)

// Retention returns how many days entries are kept.
func Retention(ctx context.Context, idb bun.IDB) (int, error) {
	var days int
	if err := idb.NewRaw("SELECT audit_retention_days FROM system_settings WHERE id = 1").Scan(ctx, &days); err != nil {
		return 0, fmt.Errorf("audit: retention: %w", err)
	}
	return days, nil
}

// SetRetention changes how many days entries are kept (audited, old → new).
func SetRetention(ctx context.Context, bdb *bun.DB, actor Actor, days int) error {
	if days < MinRetentionDays || days > MaxRetentionDays {
		return validation.Errors{"audit_retention_days": fmt.Sprintf("keep entries between %d and %d days", MinRetentionDays, MaxRetentionDays)}
	}
	return bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var old int
		if err := tx.NewRaw("SELECT audit_retention_days FROM system_settings WHERE id = 1 FOR UPDATE").Scan(ctx, &old); err != nil {
			return fmt.Errorf("audit: retention: %w", err)
		}
		if old == days {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "UPDATE system_settings SET audit_retention_days = ?, updated_at = now(), updated_by = ? WHERE id = 1",
			days, nullID(actor.ID)); err != nil {
			return fmt.Errorf("audit: retention: %w", err)
		}
		c := Changes{}
		c.Add("audit_retention_days", old, days)
		return Record(ctx, tx, actor, SettingsUpdated, "settings:maintenance", c)
	})
}

// cleanupBatch bounds one delete of Cleanup, so that a first run over years of
// entries does not hold one long transaction.
const cleanupBatch = 5000

// Cleanup deletes the entries older than the retention, in batches; it returns how
// many went. Each batch is its own statement: what is deleted stays deleted if a
// later batch fails.
func Cleanup(ctx context.Context, idb bun.IDB, now time.Time) (int64, error) {
	days, err := Retention(ctx, idb)
	if err != nil {
		return 0, err
	}
	cutoff := now.AddDate(0, 0, -days)
	var total int64
	for {
		res, err := idb.ExecContext(ctx, `DELETE FROM audit_log WHERE id IN (
			SELECT id FROM audit_log WHERE at < ? ORDER BY at LIMIT ?)`, cutoff, cleanupBatch)
		if err != nil {
			return total, fmt.Errorf("audit: cleanup: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < cleanupBatch {
			return total, nil
		}
	}
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// UserNames returns the names entries are recorded under for the app's users (the
// Logging page's user choices), sorted.
func UserNames(ctx context.Context, idb bun.IDB) ([]string, error) {
	var names []string
	if err := idb.NewRaw("SELECT username FROM users ORDER BY lower(username)").Scan(ctx, &names); err != nil {
		return nil, fmt.Errorf("audit: user names: %w", err)
	}
	return names, nil
}
