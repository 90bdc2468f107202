package cove

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/db"
)

// ImportResult counts what one import did.
type ImportResult struct {
	Accounts    int // accounts read from Cove and stored
	NewAccounts int // of which seen for the first time
	Processed
	Errors int // accounts Cove sent that could not be read (listed in the log)
}

// Skipped is how many accounts produced no run: unlinked ones, and linked ones
// without a new session.
func (r ImportResult) Skipped() int { return max(r.Accounts-r.Runs, 0) }

func (r ImportResult) String() string {
	s := fmt.Sprintf("%s (%d new): %s created, %d skipped, %s",
		count(r.Accounts, "account", "accounts"), r.NewAccounts, count(r.Runs, "run", "runs"),
		r.Skipped(), count(r.Errors, "error", "errors"))
	if r.Backfilled > 0 {
		s += fmt.Sprintf("; %s from colour bars", count(r.Backfilled, "day backfilled", "days backfilled"))
	}
	if r.Offline+r.Escalated+r.Cleared > 0 {
		s += fmt.Sprintf("; offline workstations: %d raised, %d escalated, %d cleared", r.Offline, r.Escalated, r.Cleared)
	}
	return s
}

// ErrImportRunning means another process is importing from Cove right now.
var ErrImportRunning = errors.New("a Cove import is already running")

// Options are what an import and the processing of linked accounts need besides
// the database.
type Options struct {
	Now      func() time.Time
	Location *time.Location // the UI timezone: the days of the colour bar
	Offline  OfflineRule
	// Progress, when set, is told after every page how far the import is.
	Progress func(ctx context.Context, done int, message string)
}

// OfflineRule is Settings → Integrations → Cove's offline workstation setting.
type OfflineRule struct {
	Enabled     bool
	WarningDays int
	FailedDays  int
}

// OptionsFrom reads the options of s (now and progress are the caller's).
func OptionsFrom(s *db.SystemSettings, loc *time.Location, now func() time.Time) Options {
	return Options{Now: now, Location: loc, Offline: OfflineRule{Enabled: s.CoveOfflineEnabled,
		WarningDays: s.CoveOfflineWarningDays, FailedDays: s.CoveOfflineFailedDays}}
}

// Import reads every account of the client's partner from Cove, a page at a time,
// and upserts each page into cove_accounts set-based, linked or not (first and last
// seen, the flattened statistics); then it turns the new sessions of linked accounts
// into runs (ProcessAccounts). One import at a time across processes (an advisory
// lock; ErrImportRunning otherwise). The partner id Cove answered is stored.
func Import(ctx context.Context, bdb *bun.DB, client *Client, opt Options) (ImportResult, error) {
	var res ImportResult
	conn, err := bdb.Conn(ctx)
	if err != nil {
		return res, fmt.Errorf("cove: import: %w", err)
	}
	defer conn.Close()
	var locked bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock(?)", importLockKey).Scan(&locked); err != nil {
		return res, fmt.Errorf("cove: import: lock: %w", err)
	}
	if !locked {
		return res, ErrImportRunning
	}
	defer func() {
		// A fresh context: the lock must go even when ctx ended.
		if _, err := conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock(?)", importLockKey); err != nil {
			slog.Error("cove: import: unlock", "err", err)
		}
	}()

	now := opt.Now()
	err = client.Accounts(ctx, Columns(), func(p Page) error {
		n, err := UpsertAccounts(ctx, bdb, p.Accounts, now)
		if err != nil {
			return err
		}
		res.Accounts += len(p.Accounts)
		res.NewAccounts += n
		res.Errors += len(p.Invalid)
		for _, why := range p.Invalid {
			slog.Warn("cove: import: an account could not be read", "why", why)
		}
		if opt.Progress != nil {
			opt.Progress(ctx, res.Accounts, fmt.Sprintf("Read %s from Cove…", count(res.Accounts, "account", "accounts")))
		}
		return nil
	})
	if id := client.PartnerID(); id != 0 {
		if _, perr := bdb.NewUpdate().Table("system_settings").Set("cove_partner_id = ?", id).
			Where("id = 1 AND cove_partner_id IS DISTINCT FROM ?", id).Exec(ctx); perr != nil && err == nil {
			err = fmt.Errorf("cove: import: store the partner id: %w", perr)
		}
	}
	if err != nil {
		return res, err
	}
	if opt.Progress != nil {
		opt.Progress(ctx, res.Accounts, "Creating the runs of linked accounts…")
	}
	err = bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		p, err := ProcessAccounts(ctx, tx, nil, opt)
		res.Processed = p
		return err
	})
	return res, err
}

// importLockKey is the advisory lock of the Cove import.
var importLockKey = func() int64 {
	h := fnv.New64a()
	h.Write([]byte("cove_import"))
	return int64(h.Sum64())
}()

// accountRow is an account as UpsertAccounts reads it.
type accountRow struct {
	AccountID     int64             `json:"account_id"`
	Name          string            `json:"account_name"`
	Computer      string            `json:"computer_name"`
	Customer      string            `json:"partner_name"`
	OSType        string            `json:"os_type"`
	DataSources   string            `json:"data_sources"`
	LastStatus    string            `json:"last_status"`
	LastSessionAt *time.Time        `json:"last_session_at,omitempty"`
	SessionKey    string            `json:"session_key,omitempty"`
	ColorBar      string            `json:"colorbar"`
	BackupType    string            `json:"backup_type"`
	Statistics    map[string]string `json:"statistics"`
}

var unixTimeRE = regexp.MustCompile(`^[0-9]{1,12}$`)

// unixTime reads a Unix time column; nil for none, zero or nonsense.
func unixTime(v string) *time.Time {
	v = strings.TrimSpace(v)
	if !unixTimeRE.MatchString(v) {
		return nil
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	if n <= 0 {
		return nil
	}
	t := time.Unix(n, 0).UTC()
	return &t
}

// sessionKey is the last session's identity: D09F15 (its end), else D09F09 (the last
// successful one), as Cove sent it; "" when neither is a time.
func sessionKey(set map[string]string) (string, *time.Time) {
	for _, col := range []string{ColLastSession, ColLastSuccess} {
		v := strings.TrimSpace(set[col])
		if t := unixTime(v); t != nil {
			return strings.TrimLeft(v, "0"), t
		}
	}
	return "", nil
}

func newAccountRow(a Account) accountRow {
	set := a.Settings
	key, at := sessionKey(set)
	return accountRow{AccountID: a.ID, Name: set[ColAccountName], Computer: set[ColComputerName], Customer: set[ColCustomer],
		OSType: set[ColOSType], DataSources: SourceLabels(set[ColDataSources]), LastStatus: strings.TrimSpace(set[ColLastStatus]),
		LastSessionAt: at, SessionKey: key, ColorBar: set[ColColorBar],
		BackupType: AccountType(set[ColOSType], set[ColDataSources]), Statistics: set}
}

// UpsertAccounts stores accounts in cove_accounts in one statement: new ones with
// first seen now, known ones with their statistics refreshed (updated_at moves only
// when they changed); last seen is now for all. Returns how many were new.
func UpsertAccounts(ctx context.Context, idb bun.IDB, accounts []Account, now time.Time) (int, error) {
	if len(accounts) == 0 {
		return 0, nil
	}
	rows := make([]accountRow, len(accounts))
	for i, a := range accounts {
		rows[i] = newAccountRow(a)
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return 0, fmt.Errorf("cove: encode accounts: %w", err)
	}
	var created int
	err = idb.NewRaw(`
		WITH input AS (
			SELECT DISTINCT ON (account_id) *
			FROM jsonb_to_recordset(?::jsonb) AS x(account_id bigint, account_name text, computer_name text,
				partner_name text, os_type text, data_sources text, last_status text, last_session_at timestamptz,
				session_key text, colorbar text, backup_type text, statistics jsonb)
			ORDER BY account_id
		), up AS (
			INSERT INTO cove_accounts AS a (account_id, account_name, computer_name, partner_name, os_type, data_sources,
				last_status, last_session_at, session_key, colorbar, backup_type, statistics, first_seen_at, last_seen_at)
			SELECT account_id, nullif(account_name, ''), nullif(computer_name, ''), nullif(partner_name, ''),
			       nullif(os_type, ''), nullif(data_sources, ''), nullif(last_status, ''), last_session_at,
			       session_key, nullif(colorbar, ''), coalesce(backup_type, ''), coalesce(statistics, '{}'), ?, ?
			FROM input
			ON CONFLICT (account_id) DO UPDATE SET
				account_name = excluded.account_name, computer_name = excluded.computer_name,
				partner_name = excluded.partner_name, os_type = excluded.os_type, data_sources = excluded.data_sources,
				last_status = excluded.last_status, last_session_at = excluded.last_session_at,
				session_key = excluded.session_key, colorbar = excluded.colorbar, backup_type = excluded.backup_type,
				statistics = excluded.statistics, last_seen_at = excluded.last_seen_at,
				updated_at = CASE WHEN a.statistics IS DISTINCT FROM excluded.statistics THEN now() ELSE a.updated_at END
			RETURNING (xmax = 0) AS inserted
		)
		SELECT count(*) FILTER (WHERE inserted) FROM up`, string(b), now, now).Scan(ctx, &created)
	if err != nil {
		return 0, fmt.Errorf("cove: store %d accounts: %w", len(accounts), err)
	}
	return created, nil
}

// RecordImport stores the outcome of an import on the settings row for the settings
// page (and the interval).
func RecordImport(ctx context.Context, idb bun.IDB, at time.Time, res ImportResult, importErr error) error {
	result, failed := res.String(), false
	if importErr != nil {
		result, failed = "failed: "+importErr.Error(), true
		if res.Accounts > 0 {
			result += " (after " + count(res.Accounts, "account", "accounts") + ")"
		}
	}
	_, err := idb.NewUpdate().Table("system_settings").
		Set("cove_last_import_at = ?", at).Set("cove_last_import_result = ?", clip(result, 2000)).
		Set("cove_last_import_failed = ?", failed).Where("id = 1").Exec(ctx)
	if err != nil {
		return fmt.Errorf("cove: record the import: %w", err)
	}
	return nil
}

// count is n followed by the noun in the number it needs, thousands separated:
// "1 account", "5,000 accounts".
func count(n int, one, many string) string {
	digits := strconv.Itoa(n)
	var b strings.Builder
	for i, r := range digits {
		if i > 0 && r != '-' && (len(digits)-i)%3 == 0 && digits[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if n == 1 {
		return b.String() + " " + one
	}
	return b.String() + " " + many
}

// TaskKind is the background task kind of "Run import now" (background_tasks.kind).
const TaskKind = "cove_import"
