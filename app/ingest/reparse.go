package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	bcmail "github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/db"
)

// ReparseResult counts what a re-parse did.
type ReparseResult struct {
	Total     int
	Reparsed  int
	Runs      int // mails that now matched a known job and became runs
	Unparsed  int
	BatchSize int
	// AccountReports: reports on many accounts handed to their source again.
	AccountReports int
}

const reparseBatch = 200

// Reparse runs the registry again over every stored mail that is not part of a job
// (Inbox and Deleted mails), from the stored MIME — nothing is fetched again — and
// processes Inbox mails that now match a known job. Processed mails keep the parse
// their run was made from. Works in batches by id so memory stays bounded; progress
// is told after each batch.
func Reparse(ctx context.Context, bdb *bun.DB, reg *parsers.Registry, now time.Time, progress func(done, total int)) (ReparseResult, error) {
	return reparse(ctx, bdb, reg, now, progress, "job_id IS NULL")
}

// ReparseMails is Reparse for the given mails only (those of them in no job): a
// source re-reads its stored reports with it (Cloud Connect's Scan inbox).
func ReparseMails(ctx context.Context, bdb *bun.DB, reg *parsers.Registry, ids []int64, now time.Time, progress func(done, total int)) (ReparseResult, error) {
	if len(ids) == 0 {
		return ReparseResult{}, nil
	}
	return reparse(ctx, bdb, reg, now, progress, "job_id IS NULL AND id IN (?)", bun.In(ids))
}

func reparse(ctx context.Context, bdb *bun.DB, reg *parsers.Registry, now time.Time, progress func(done, total int), where string, args ...any) (ReparseResult, error) {
	var res ReparseResult
	reg, err := inUIZone(ctx, bdb, reg)
	if err != nil {
		return res, err
	}
	if err := bdb.NewRaw("SELECT count(*) FROM mail_messages WHERE "+where, args...).Scan(ctx, &res.Total); err != nil {
		return res, fmt.Errorf("ingest: reparse: count: %w", err)
	}
	var after int64
	for {
		var batch []db.MailMessage
		if err := bdb.NewSelect().Model(&batch).Column("id", "source", "source_id", "raw_mime", "size", "truncated", "received_at", "location").
			Where(where, args...).Where("id > ?", after).Order("id").Limit(reparseBatch).Scan(ctx); err != nil {
			return res, fmt.Errorf("ingest: reparse: load: %w", err)
		}
		if len(batch) == 0 {
			break
		}
		after = batch[len(batch)-1].ID
		if err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			return reparseBatchTx(ctx, tx, reg, batch, now, &res)
		}); err != nil {
			return res, err
		}
		if progress != nil {
			progress(res.Reparsed, res.Total)
		}
	}
	return res, nil
}

func reparseBatchTx(ctx context.Context, tx bun.Tx, reg *parsers.Registry, batch []db.MailMessage, now time.Time, res *ReparseResult) error {
	rows := make([]db.MailMessage, 0, len(batch))
	var objects []db.MailObject
	var inline []db.MailInlinePart
	ids := make([]int64, 0, len(batch))
	var inboxIDs []int64
	for _, m := range batch {
		sid := ""
		if m.SourceID != nil {
			sid = *m.SourceID
		}
		p := Prepare(reg, m.Source, bcmail.Message{SourceID: sid, ReceivedAt: m.ReceivedAt, Raw: m.RawMIME, Size: m.Size, Truncated: m.Truncated}, now)
		row := p.row
		row.ID = m.ID
		rows = append(rows, row)
		ids = append(ids, m.ID)
		if m.Location == db.LocationInbox {
			inboxIDs = append(inboxIDs, m.ID)
		}
		for _, part := range p.inline {
			part.MailMessageID = m.ID
			inline = append(inline, part)
		}
		for _, o := range p.objects {
			objects = append(objects, db.MailObject{MailMessageID: m.ID, ObjectName: clean(o.Name, 500),
				ObjectType: clean(o.Type, 100), Status: statusPtr(o.Status), ErrorMessage: strPtr(clean(o.Error, 4000))})
		}
		if row.ParsedStatus == nil {
			res.Unparsed++
		}
	}
	cols := []string{"from_address", "subject", "text_body", "html_body", "message_id",
		"parser_name", "parsed_backup_software", "parsed_backup_type", "parsed_job_name", "parsed_status",
		"parsed_started_at", "parsed_ended_at", "parsed_host", "parsed_message", "parsed_informational",
		"parse_error", "parsed_at", "parsed_report_key", "parsed_time_note"}
	upd := tx.NewUpdate().With("_data", tx.NewValues(&rows).Column(append([]string{"id"}, cols...)...)).
		Model((*db.MailMessage)(nil)).TableExpr("_data").Where("mail_message.id = _data.id").
		Set("updated_at = now()").Set("inline_parts_at = now()")
	for _, c := range cols {
		upd = upd.Set(c + " = _data." + c)
	}
	if _, err := upd.Exec(ctx); err != nil {
		return fmt.Errorf("ingest: reparse: update: %w", err)
	}
	if _, err := tx.NewDelete().Model((*db.MailObject)(nil)).Where("mail_message_id IN (?)", bun.In(ids)).Exec(ctx); err != nil {
		return fmt.Errorf("ingest: reparse: clear objects: %w", err)
	}
	if len(objects) > 0 {
		if _, err := tx.NewInsert().Model(&objects).ExcludeColumn("id").Exec(ctx); err != nil {
			return fmt.Errorf("ingest: reparse: store objects: %w", err)
		}
	}
	// The inline parts follow the decoder too (and mails imported before they were kept
	// at import get theirs here).
	if _, err := tx.NewDelete().Model((*db.MailInlinePart)(nil)).Where("mail_message_id IN (?)", bun.In(ids)).Exec(ctx); err != nil {
		return fmt.Errorf("ingest: reparse: clear inline parts: %w", err)
	}
	if err := storeInlineParts(ctx, tx, inline); err != nil {
		return err
	}
	runs, err := ProcessMails(ctx, tx, inboxIDs)
	if err != nil {
		return err
	}
	handed, err := handOverAccountReports(ctx, tx, ids)
	if err != nil {
		return err
	}
	res.AccountReports += len(handed)
	res.Reparsed += len(batch)
	for _, r := range runs {
		if !r.Duplicate {
			res.Runs++
		}
	}
	return nil
}
