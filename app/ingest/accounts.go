package ingest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/uptrace/bun"
)

// An AccountReportHandler processes stored mails of one parser whose mail is not the
// run of one job but a report on many accounts, which the source stages and links to
// jobs itself (the Veeam Cloud Connect report: app/cloudconnect). It runs in the
// caller's transaction, with the ids of such mails that are not deleted, and makes
// the runs of its linked accounts (CreateRuns).
type AccountReportHandler func(ctx context.Context, tx bun.IDB, mailIDs []int64) error

var accountReports struct {
	sync.RWMutex
	handlers map[string]AccountReportHandler
}

// HandleAccountReports makes h process the mails parser recognises, from now on:
// StoreBatch and Reparse hand them over instead of matching them to one job, and they
// leave the Inbox (processed, in no job: their accounts are staged at the source). The
// source's package calls it from init.
func HandleAccountReports(parser string, h AccountReportHandler) {
	accountReports.Lock()
	defer accountReports.Unlock()
	if accountReports.handlers == nil {
		accountReports.handlers = map[string]AccountReportHandler{}
	}
	accountReports.handlers[parser] = h
}

// IsAccountReport reports whether parser's mails are reports on many accounts (see
// HandleAccountReports): never approved into one job.
func IsAccountReport(parser string) bool {
	accountReports.RLock()
	defer accountReports.RUnlock()
	_, ok := accountReports.handlers[parser]
	return ok
}

// accountReportParsers are the parsers with a handler, sorted.
func accountReportParsers() []string {
	accountReports.RLock()
	defer accountReports.RUnlock()
	out := make([]string, 0, len(accountReports.handlers))
	for p := range accountReports.handlers {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// handOverAccountReports gives the account reports among mailIDs (parsed by a parser
// with a handler, in no job, not deleted) to their handlers and takes them out of the
// Inbox. Returns the mails handed over.
func handOverAccountReports(ctx context.Context, tx bun.IDB, mailIDs []int64) (map[int64]bool, error) {
	parsers := accountReportParsers()
	if len(mailIDs) == 0 || len(parsers) == 0 {
		return nil, nil
	}
	var found []struct {
		ID     int64  `bun:"id"`
		Parser string `bun:"parser_name"`
	}
	if err := tx.NewRaw(`
		SELECT id, parser_name FROM mail_messages
		WHERE id IN (?) AND parser_name IN (?) AND parsed_status IS NOT NULL AND job_id IS NULL AND location <> 'deleted'
		ORDER BY received_at, id`, bun.In(mailIDs), bun.In(parsers)).Scan(ctx, &found); err != nil {
		return nil, fmt.Errorf("ingest: find account reports: %w", err)
	}
	if len(found) == 0 {
		return nil, nil
	}
	byParser := map[string][]int64{}
	handed := make(map[int64]bool, len(found))
	ids := make([]int64, 0, len(found))
	for _, f := range found {
		byParser[f.Parser] = append(byParser[f.Parser], f.ID)
		handed[f.ID] = true
		ids = append(ids, f.ID)
	}
	for _, p := range parsers {
		if len(byParser[p]) == 0 {
			continue
		}
		accountReports.RLock()
		h := accountReports.handlers[p]
		accountReports.RUnlock()
		if err := h(ctx, tx, byParser[p]); err != nil {
			return nil, fmt.Errorf("ingest: %s reports: %w", p, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE mail_messages SET location = 'processed', updated_at = now()
		WHERE id IN (?) AND location = 'inbox'`, bun.In(ids)); err != nil {
		return nil, fmt.Errorf("ingest: account reports out of the Inbox: %w", err)
	}
	return handed, nil
}
