package tickets

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// Edit is a change to a ticket's or remark's own fields; scopes and links stay.
type Edit struct {
	Code       string // tickets only
	Text       string
	ActiveFrom string // YYYY-MM-DD or ""
	StartDate  string // YYYY-MM-DD or ""
}

// Current returns a ticket's or remark's editable fields.
func Current(ctx context.Context, idb bun.IDB, kind string, id int64) (Edit, error) {
	t, err := tableFor(kind)
	if err != nil {
		return Edit{}, err
	}
	code := "''"
	if kind == KindTicket {
		code = "ticket_code"
	}
	var e Edit
	err = idb.NewRaw(fmt.Sprintf(`SELECT %s, %s, coalesce(to_char(active_from_date, 'YYYY-MM-DD'), ''),
		coalesce(to_char(start_date, 'YYYY-MM-DD'), '') FROM %s WHERE id = ?`, code, t.text, t.items), id).
		Scan(ctx, &e.Code, &e.Text, &e.ActiveFrom, &e.StartDate)
	if err != nil {
		return e, fmt.Errorf("tickets: %s %d: %w", kind, id, db.NotFound(err))
	}
	return e, nil
}

// Update saves an edit, validated like a new one, and audits what changed. The
// number of a ticket that mirrors an Autotask ticket cannot change.
func Update(ctx context.Context, bdb *bun.DB, actor audit.Actor, kind string, id int64, e Edit) error {
	t, err := tableFor(kind)
	if err != nil {
		return err
	}
	e.Code, e.Text = strings.TrimSpace(e.Code), strings.TrimSpace(e.Text)
	errs := validation.Errors{}
	if kind == KindRemark && e.Text == "" {
		errs.Add("text", "write the remark")
	}
	if kind == KindTicket && e.Code == "" {
		errs.Add("code", "enter the ticket number")
	}
	if len(e.Code) > 100 {
		errs.Add("code", "use at most 100 characters")
	}
	dates := parseDates(errs, e.ActiveFrom, e.StartDate)
	if err := errs.Err(); err != nil {
		return err
	}
	err = bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		old, err := Current(ctx, tx, kind, id)
		if err != nil {
			return err
		}
		if kind == KindTicket && old.Code != e.Code {
			var mirrored bool
			if err := tx.NewRaw("SELECT autotask_ticket_id IS NOT NULL FROM tickets WHERE id = ?", id).Scan(ctx, &mirrored); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if mirrored {
				return validation.Errors{"code": "this ticket mirrors an Autotask ticket; its number comes from Autotask"}
			}
		}
		set := fmt.Sprintf("%s = ?, active_from_date = ?, start_date = ?", t.text)
		args := []any{e.Text, dates["active_from"], dates["start_date"]}
		if kind == KindTicket {
			set += ", ticket_code = ?"
			args = append(args, e.Code)
		}
		args = append(args, id)
		_, err = tx.ExecContext(ctx, fmt.Sprintf("UPDATE %s SET %s WHERE id = ?", t.items, set), args...)
		if err != nil && strings.Contains(err.Error(), "tickets_ticket_code_key") {
			return validation.Errors{"code": fmt.Sprintf("ticket %s exists already", e.Code)}
		}
		if err != nil {
			return err
		}
		changes := audit.Changes{}
		changes.Add("code", old.Code, e.Code)
		changes.Add("text", old.Text, e.Text)
		changes.Add("active_from", old.ActiveFrom, strings.TrimSpace(e.ActiveFrom))
		changes.Add("start_date", old.StartDate, strings.TrimSpace(e.StartDate))
		if len(changes) == 0 {
			return nil
		}
		if err := live.Notify(ctx, tx, live.Event{Topic: live.TopicRuns}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, kind+".updated", fmt.Sprintf("%s:%d", kind, id), changes)
	})
	if err != nil {
		return fmt.Errorf("tickets: update %s %d: %w", kind, id, err)
	}
	return nil
}
