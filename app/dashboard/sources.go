package dashboard

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/db"
)

// Source states, as the dashboard colours them (failed and overdue are red).
const (
	SourceOK      = "ok"
	SourceFailed  = "failed"
	SourceOverdue = "overdue"
	SourceNever   = "never" // configured, but no run recorded yet
)

// Source is the last run of one background source (a mailbox import, the Autotask
// sync, …) for the admins' dashboard. Sources that are switched off are left out.
type Source struct {
	Name         string
	SettingsPath string // where it is configured
	State        string
	LastAt       *time.Time
	Detail       string // the last result or error
}

// Red reports whether the source needs an admin's attention.
func (s Source) Red() bool { return s.State == SourceFailed || s.State == SourceOverdue }

// SourceCheck reads one source's last run; ok is false while the source is off.
type SourceCheck func(ctx context.Context, idb bun.IDB, s *db.SystemSettings, now time.Time) (src Source, ok bool, err error)

// SourceChecks are the sources the dashboard shows, in order. A new source adds its
// check here.
var SourceChecks = []SourceCheck{MailImportSource, CoveImportSource, AutotaskSyncSource}

// Sources returns the last run of every source that is switched on.
func Sources(ctx context.Context, idb bun.IDB, s *db.SystemSettings, now time.Time) ([]Source, error) {
	var out []Source
	for _, check := range SourceChecks {
		src, ok, err := check(ctx, idb, s, now)
		if err != nil {
			return nil, fmt.Errorf("dashboard: sources: %w", err)
		}
		if ok {
			out = append(out, src)
		}
	}
	return out, nil
}

// overdueAfter is how long past its interval a periodic source may be quiet before it
// shows red: a few missed rounds, not one slow one.
func overdueAfter(interval time.Duration) time.Duration {
	return max(3*interval, interval+15*time.Minute)
}

// MailImportSource is the mailbox import (Settings → Imports), from the last import
// recorded on the settings row.
func MailImportSource(_ context.Context, _ bun.IDB, s *db.SystemSettings, now time.Time) (Source, bool, error) {
	if !s.MailImportEnabled || s.MailSource == "" || s.MailSource == "none" {
		return Source{}, false, nil
	}
	name := "Mail import (IMAP)"
	if s.MailSource == "graph" {
		name = "Mail import (Microsoft 365)"
	}
	src := Source{Name: name, SettingsPath: "/settings/imports", LastAt: s.MailLastImportAt, Detail: s.MailLastImportResult}
	interval := time.Duration(s.MailImportIntervalMinutes) * time.Minute
	switch {
	case s.MailLastImportAt == nil:
		src.State, src.Detail = SourceNever, "No import has run yet."
	case strings.HasPrefix(s.MailLastImportResult, "failed"):
		src.State = SourceFailed
	case now.Sub(*s.MailLastImportAt) > overdueAfter(interval):
		src.State = SourceOverdue
		src.Detail = fmt.Sprintf("No import for %s (every %s is set): are the workers running?", since(now, *s.MailLastImportAt), interval)
	default:
		src.State = SourceOK
	}
	return src, true, nil
}

// CoveImportSource is the Cove Data Protection import (Settings → Integrations → Cove),
// from the last import recorded on the settings row. It is overdue only while the
// automatic import is on: with it off, imports run when someone clicks.
func CoveImportSource(_ context.Context, _ bun.IDB, s *db.SystemSettings, now time.Time) (Source, bool, error) {
	c := s.CoveSettings
	if !c.CoveEnabled {
		return Source{}, false, nil
	}
	src := Source{Name: "Cove Data Protection import", SettingsPath: "/settings/integrations",
		LastAt: c.CoveLastImportAt, Detail: c.CoveLastImportResult}
	interval := time.Duration(c.CoveImportIntervalMinutes) * time.Minute
	switch {
	case c.CoveLastImportAt == nil:
		src.State, src.Detail = SourceNever, "No import has run yet."
	case c.CoveLastImportFailed:
		src.State = SourceFailed
	case c.CoveImportEnabled && now.Sub(*c.CoveLastImportAt) > overdueAfter(interval):
		src.State = SourceOverdue
		src.Detail = fmt.Sprintf("No import for %s (every %s is set): are the workers running?", since(now, *c.CoveLastImportAt), interval)
	default:
		src.State = SourceOK
	}
	return src, true, nil
}

// autotaskSyncInterval is the Autotask sync's period (jobs/autotask_sync.go).
const autotaskSyncInterval = 15 * time.Minute

// AutotaskSyncSource is the Autotask ticket sync, from River's last autotask_sync job
// that ran (River keeps finished jobs for a day).
func AutotaskSyncSource(ctx context.Context, idb bun.IDB, s *db.SystemSettings, now time.Time) (Source, bool, error) {
	if !s.AutotaskEnabled {
		return Source{}, false, nil
	}
	src := Source{Name: "Autotask ticket sync", SettingsPath: "/settings/integrations"}
	var last struct {
		State string    `bun:"state"`
		At    time.Time `bun:"at"`
		Error string    `bun:"error"`
	}
	err := idb.NewRaw(`
		SELECT state::text AS state, coalesce(finalized_at, attempted_at) AS at,
		       coalesce(errors[array_length(errors, 1)]->>'error', '') AS error
		FROM river_job
		WHERE kind = 'autotask_sync' AND attempted_at IS NOT NULL AND state <> 'running'
		ORDER BY coalesce(finalized_at, attempted_at) DESC LIMIT 1`).Scan(ctx, &last)
	if errors.Is(err, sql.ErrNoRows) {
		src.State, src.Detail = SourceNever, "No sync in the last day."
		return src, true, nil
	} else if err != nil {
		return src, false, err
	}
	src.LastAt = &last.At
	switch {
	case last.State == "discarded" || last.State == "retryable" || last.State == "cancelled":
		src.State, src.Detail = SourceFailed, last.Error
	case now.Sub(last.At) > overdueAfter(autotaskSyncInterval):
		src.State = SourceOverdue
		src.Detail = fmt.Sprintf("No sync for %s: are the workers running?", since(now, last.At))
	default:
		src.State, src.Detail = SourceOK, "Synced."
	}
	return src, true, nil
}

// since is a rough duration for people ("3h", "2 days").
func since(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
