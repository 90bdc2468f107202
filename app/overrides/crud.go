package overrides

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/review"
	"github.com/backupchecks/backupchecks/app/search/terms"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// Input is the override form as submitted.
type Input struct {
	Level          string // global or object
	Software, Type string // global only
	JobID          string // object level
	ObjectName     string // object level, optional
	MatchStatus    string
	MatchText      string
	MatchMode      string
	ValidFrom      string // YYYY-MM-DD, UI timezone, inclusive
	ValidUntil     string // YYYY-MM-DD, UI timezone, inclusive
	TreatAsSuccess bool
	Comment        string
}

// Row is one override as listed.
type Row struct {
	ID             int64      `bun:"id"`
	Level          string     `bun:"level"`
	Software       string     `bun:"backup_software"`
	Type           string     `bun:"backup_type"`
	JobID          *int64     `bun:"job_id"`
	JobName        string     `bun:"job_name"`
	CustomerName   string     `bun:"customer_name"`
	ObjectName     string     `bun:"object_name"`
	MatchStatus    string     `bun:"match_status"`
	MatchText      string     `bun:"match_text"`
	MatchMode      string     `bun:"match_mode"`
	ValidFrom      *time.Time `bun:"valid_from"`
	ValidUntil     *time.Time `bun:"valid_until"`
	TreatAsSuccess bool       `bun:"treat_as_success"`
	Comment        string     `bun:"comment"`
	Runs           int        `bun:"runs"` // unreviewed runs it applies to now
}

// ReevaluateDays is how far back unreviewed runs are re-evaluated after a rule change.
const ReevaluateDays = 60

var modes = []string{ModeContains, ModeExact, ModeStartsWith, ModeEndsWith}
var statuses = []string{"Warning", "Failed", "Missed", "Success", "Info"}

type parsed struct {
	level, software, typ, object, status, text, mode, comment any
	jobID, from, until                                        any
	treat                                                     bool
}

func nz(s string) any {
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	return s
}

// parse validates in; field errors name the form fields.
func parse(ctx context.Context, idb bun.IDB, in Input, loc *time.Location) (parsed, error) {
	errs := validation.Errors{}
	p := parsed{treat: in.TreatAsSuccess, status: nz(in.MatchStatus), text: nz(in.MatchText), comment: nz(in.Comment)}
	switch in.Level {
	case "global":
		p.level, p.software, p.typ = "global", nz(in.Software), nz(in.Type)
	case "object":
		p.level, p.object = "object", nz(in.ObjectName)
		id, err := strconv.ParseInt(strings.TrimSpace(in.JobID), 10, 64)
		if err != nil || id <= 0 {
			errs.Add("job_id", "choose the job")
		} else if ok, err := idb.NewSelect().Model((*db.Job)(nil)).Where("id = ?", id).Exists(ctx); err != nil {
			return p, err
		} else if !ok {
			errs.Add("job_id", "this job no longer exists")
		} else {
			p.jobID = id
		}
	default:
		errs.Add("level", "choose global or object level")
	}
	if s := strings.TrimSpace(in.MatchStatus); s != "" && !slices.Contains(statuses, s) {
		errs.Add("match_status", "choose a status from the list")
	}
	p.mode = ModeContains
	if m := strings.TrimSpace(in.MatchMode); m != "" {
		if !slices.Contains(modes, m) {
			errs.Add("match_mode", "choose contains, exact, starts with or ends with")
		}
		p.mode = m
	}
	date := func(field, v string, next bool) any {
		v = strings.TrimSpace(v)
		if v == "" {
			return nil
		}
		d, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			errs.Add(field, "enter a date like 2026-03-31")
			return nil
		}
		if next { // "until" includes its day
			d = d.AddDate(0, 0, 1)
		}
		return d
	}
	p.from, p.until = date("valid_from", in.ValidFrom, false), date("valid_until", in.ValidUntil, true)
	if f, ok := p.from.(time.Time); ok {
		if u, ok := p.until.(time.Time); ok && !u.After(f) {
			errs.Add("valid_until", "must not be before From")
		}
	}
	return p, errs.Err()
}

// Create adds an override and applies it to unreviewed runs.
func Create(ctx context.Context, bdb *bun.DB, actor audit.Actor, in Input, loc *time.Location, now time.Time) (int64, error) {
	var id int64
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		p, err := parse(ctx, tx, in, loc)
		if err != nil {
			return err
		}
		if err := tx.NewRaw(`
			INSERT INTO overrides (level, backup_software, backup_type, job_id, object_name, match_status, match_text, match_mode,
			                       valid_from, valid_until, treat_as_success, comment, created_by, updated_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			p.level, p.software, p.typ, p.jobID, p.object, p.status, p.text, p.mode, p.from, p.until, p.treat, p.comment,
			actorID(actor), actorID(actor)).Scan(ctx, &id); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		if _, err := Reevaluate(ctx, tx, now, ReevaluateDays); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "override.created", fmt.Sprintf("override:%d", id), describe(in))
	})
	if err != nil {
		return 0, fmt.Errorf("overrides: create: %w", err)
	}
	return id, nil
}

// Update changes an override and re-evaluates unreviewed runs.
func Update(ctx context.Context, bdb *bun.DB, actor audit.Actor, id int64, in Input, loc *time.Location, now time.Time) error {
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		p, err := parse(ctx, tx, in, loc)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE overrides SET level = ?, backup_software = ?, backup_type = ?, job_id = ?, object_name = ?, match_status = ?,
			       match_text = ?, match_mode = ?, valid_from = ?, valid_until = ?, treat_as_success = ?, comment = ?,
			       updated_by = ?, updated_at = now()
			WHERE id = ?`,
			p.level, p.software, p.typ, p.jobID, p.object, p.status, p.text, p.mode, p.from, p.until, p.treat, p.comment,
			actorID(actor), id)
		if err != nil {
			return fmt.Errorf("update: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return db.ErrNotFound
		}
		if _, err := Reevaluate(ctx, tx, now, ReevaluateDays); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "override.updated", fmt.Sprintf("override:%d", id), describe(in))
	})
	if err != nil {
		return fmt.Errorf("overrides: update %d: %w", id, err)
	}
	return nil
}

// Delete removes an override; unreviewed runs it applied to are evaluated again
// (another rule may still match), reviewed ones keep their status.
func Delete(ctx context.Context, bdb *bun.DB, actor audit.Actor, id int64, now time.Time) error {
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var jobs []int64
		if err := tx.NewRaw(`
			UPDATE job_runs SET override_id = NULL, overridden_status = NULL, overridden_at = NULL, updated_at = now()
			WHERE override_id = ? AND reviewed_at IS NULL RETURNING job_id`, id).Scan(ctx, &jobs); err != nil {
			return fmt.Errorf("release runs: %w", err)
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM overrides WHERE id = ?", id)
		if err != nil {
			return fmt.Errorf("delete: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return db.ErrNotFound
		}
		if len(jobs) > 0 {
			if err := review.RecountJobSummaries(ctx, tx, jobs); err != nil {
				return err
			}
		}
		if _, err := Reevaluate(ctx, tx, now, ReevaluateDays); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "override.deleted", fmt.Sprintf("override:%d", id), nil)
	})
	if err != nil {
		return fmt.Errorf("overrides: delete %d: %w", id, err)
	}
	return nil
}

// List returns every override with how many unreviewed runs it covers now.
func List(ctx context.Context, idb bun.IDB) ([]Row, error) { return list(ctx, idb, "true") }

// SearchColumns are what a search of overrides o (the page's q and the global search)
// looks in: what they match on, their comment, and the job and customer of an object
// level override (j, c).
var SearchColumns = []string{"o.backup_software", "o.backup_type", "o.object_name", "o.match_text", "o.comment", "j.job_name", "c.name"}

// Search is List of the overrides matching query (search terms, app/search/terms).
func Search(ctx context.Context, idb bun.IDB, query string) ([]Row, error) {
	cond, args := terms.Parse(query).Where(SearchColumns...)
	if cond == "" {
		cond = "true"
	}
	return list(ctx, idb, cond, args...)
}

func list(ctx context.Context, idb bun.IDB, where string, args ...any) ([]Row, error) {
	var out []Row
	err := idb.NewRaw(`
		SELECT o.id, o.level, coalesce(o.backup_software, '') AS backup_software, coalesce(o.backup_type, '') AS backup_type,
		       o.job_id, coalesce(j.job_name, '') AS job_name, coalesce(c.name, '') AS customer_name,
		       coalesce(o.object_name, '') AS object_name, coalesce(o.match_status, '') AS match_status,
		       coalesce(o.match_text, '') AS match_text, o.match_mode, o.valid_from, o.valid_until, o.treat_as_success,
		       coalesce(o.comment, '') AS comment,
		       (SELECT count(*) FROM job_runs r WHERE r.override_id = o.id AND r.reviewed_at IS NULL) AS runs
		FROM overrides o LEFT JOIN jobs j ON j.id = o.job_id LEFT JOIN customers c ON c.id = j.customer_id
		WHERE `+where+`
		ORDER BY o.level DESC, lower(coalesce(c.name, '')), o.id`, args...).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("overrides: list: %w", err)
	}
	return out, nil
}

// Get returns one override.
func Get(ctx context.Context, idb bun.IDB, id int64) (*Row, error) {
	rows, err := list(ctx, idb, "o.id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, db.ErrNotFound
	}
	return &rows[0], nil
}

func actorID(a audit.Actor) any {
	if a.ID == 0 {
		return nil
	}
	return a.ID
}

func describe(in Input) map[string]any {
	return map[string]any{"level": in.Level, "software": in.Software, "type": in.Type, "job_id": in.JobID,
		"object": in.ObjectName, "status": in.MatchStatus, "text": in.MatchText, "mode": in.MatchMode,
		"from": in.ValidFrom, "until": in.ValidUntil, "treat_as_success": in.TreatAsSuccess}
}
