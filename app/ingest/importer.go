package ingest

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/db"
)

// ImportResult counts what an import did.
type ImportResult struct {
	Tally   // what became of the fetched messages
	Fetched int
	Rounds  int
	// NotDownloaded counts messages that could not be downloaded; they stay in the
	// mailbox for the next import. FirstFailure says why the first of them failed.
	NotDownloaded int
	FirstFailure  string
}

func (r ImportResult) String() string {
	s := fmt.Sprintf("%d fetched, %d new (%d became runs, %d unparsed), %d already stored",
		r.Fetched, r.Stored, r.Runs, r.Unparsed, r.Duplicates)
	if r.Accounts > 0 {
		s += fmt.Sprintf("; %d were reports on many accounts, staged on their accounts page", r.Accounts)
	}
	if r.NotDownloaded > 0 {
		s += fmt.Sprintf("; %d could not be downloaded and stay in the mailbox (%s)", r.NotDownloaded, r.FirstFailure)
	}
	return s
}

// ErrImportRunning means another process is importing from the same mailbox.
var ErrImportRunning = errors.New("an import from this mailbox is already running")

// maxRounds bounds one import (maxRounds × batch mails); the next import continues.
const maxRounds = 100

// Importer pulls mail from a source into the database.
type Importer struct {
	DB       *db.DB
	Registry *parsers.Registry
	Now      func() time.Time
	// Progress, if set, is told after each round.
	Progress func(ctx context.Context, r ImportResult)
}

// Import fetches mail from src in rounds of batch until the folder is empty, storing
// each round in the database and only then marking its messages processed at the
// source. A crash between the two re-fetches those messages next time; they are then
// recognised as already stored and only marked — so every mail is stored exactly once.
// One bad message never fails the import: an empty or unreadable one is stored unparsed
// with its reason and moved like the others, and one the source cannot download stays
// there for the next import (counted in NotDownloaded).
// lockKey identifies the mailbox: one import per mailbox runs at a time across replicas.
func (im *Importer) Import(ctx context.Context, src mail.Source, lockKey string, batch int) (ImportResult, error) {
	var res ImportResult
	conn, err := im.DB.Pool.Acquire(ctx)
	if err != nil {
		return res, fmt.Errorf("ingest: import: %w", err)
	}
	defer conn.Release()
	key := advisoryKey("mail_import:" + lockKey)
	var locked bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&locked); err != nil {
		return res, fmt.Errorf("ingest: import lock: %w", err)
	}
	if !locked {
		return res, ErrImportRunning
	}
	defer func() {
		if _, err := conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", key); err != nil {
			slog.Error("ingest: import unlock", "err", err)
		}
	}()

	seen, failed := map[string]bool{}, map[string]bool{}
	for res.Rounds < maxRounds {
		msgs, err := src.Fetch(ctx, batch)
		listed := len(msgs)
		var partial *mail.FetchError
		if errors.As(err, &partial) {
			listed += len(partial.Failed)
			// The others are stored and moved; these are tried again next import.
			for _, f := range partial.Failed {
				if !failed[f.SourceID] {
					failed[f.SourceID] = true
					res.NotDownloaded++
					if res.FirstFailure == "" {
						res.FirstFailure = f.Err.Error()
					}
				}
			}
			err = nil
		}
		if err != nil {
			return res, fmt.Errorf("ingest: fetch from %s: %w", src.Name(), err)
		}
		if len(msgs) == 0 {
			break
		}
		res.Rounds++
		fresh := 0
		for _, m := range msgs {
			if !seen[m.SourceID] {
				seen[m.SourceID] = true
				fresh++
			}
		}
		stored, err := StoreBatch(ctx, im.DB.Bun, im.Registry, src.Name(), msgs, im.Now())
		if err != nil {
			return res, err
		}
		ids := make([]string, 0, len(stored))
		for _, s := range stored {
			ids = append(ids, s.SourceID)
		}
		res.Fetched += len(stored)
		res.Add(stored)
		if err := src.MarkProcessed(ctx, ids); err != nil {
			// Stored already: the next import finds them again and only marks them.
			return res, fmt.Errorf("ingest: mark processed at %s: %w", src.Name(), err)
		}
		if im.Progress != nil {
			im.Progress(ctx, res)
		}
		// A source that keeps handing back the same messages (it cannot move them)
		// must not spin: stop when a round brought nothing new.
		if fresh == 0 || listed < batch {
			break
		}
	}
	return res, nil
}

// RecordImport stores the outcome of an import on the settings row for the Imports tab.
func RecordImport(ctx context.Context, idb bun.IDB, at time.Time, res ImportResult, importErr error) error {
	msg := res.String()
	if importErr != nil {
		msg = "failed: " + importErr.Error()
		if res.Fetched > 0 {
			msg += " (after " + res.String() + ")"
		}
	}
	_, err := idb.NewUpdate().Model((*db.SystemSettings)(nil)).
		Set("mail_last_import_at = ?", at).Set("mail_last_import_result = ?", clean(msg, 2000)).
		Where("id = 1").Exec(ctx)
	if err != nil {
		return fmt.Errorf("ingest: record import: %w", err)
	}
	return nil
}

func advisoryKey(s string) int64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return int64(h.Sum64())
}
