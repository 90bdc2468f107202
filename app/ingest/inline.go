package ingest

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	bcmail "github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/db"
)

// maxContentID bounds a Content-ID kept as a key. A cid: URL that long is no image
// reference, and the key must fit a btree index entry.
const maxContentID = 900

// inlineParts returns the rows for a decoded mail's inline parts (without the mail id),
// each typed by what its bytes are (bcmail.RasterType), never by what the mail declared.
// Parts without data or with a Content-ID no cid: URL can name (empty, overlong, not
// UTF-8) are left out; of parts sharing a Content-ID the first is kept, as a mail client
// shows it.
func inlineParts(dec *bcmail.Decoded) []db.MailInlinePart {
	var out []db.MailInlinePart
	seen := map[string]bool{}
	for _, p := range dec.Inline {
		cid := strings.Trim(p.ContentID, "<>")
		if cid == "" || len(cid) > maxContentID || !utf8.ValidString(cid) || strings.ContainsRune(cid, 0) ||
			seen[cid] || len(p.Data) == 0 {
			continue
		}
		seen[cid] = true
		ctype := bcmail.RasterType(p.Data)
		if ctype == "" {
			ctype = db.InlineDownloadType
		}
		out = append(out, db.MailInlinePart{ContentID: cid, ContentType: ctype, Filename: clean(p.Filename, 500), Data: p.Data})
	}
	return out
}

// storeInlineParts inserts inline parts of stored mails (MailMessageID set).
func storeInlineParts(ctx context.Context, idb bun.IDB, parts []db.MailInlinePart) error {
	if len(parts) == 0 {
		return nil
	}
	if _, err := idb.NewInsert().Model(&parts).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("ingest: store inline parts: %w", err)
	}
	return nil
}

// withMailIDs sets the ids of newly inserted mails (by source id) on their inline parts;
// parts of mails not inserted (duplicates) are dropped.
func withMailIDs(newID map[string]int64, bySource map[string][]db.MailInlinePart) []db.MailInlinePart {
	var out []db.MailInlinePart
	for sid, parts := range bySource {
		id, ok := newID[sid]
		if !ok {
			continue
		}
		for _, p := range parts {
			p.MailMessageID = id
			out = append(out, p)
		}
	}
	return out
}

// BackfillInlineParts extracts and stores the inline parts of a mail imported before
// they were kept at import (mail_messages.inline_parts_at is NULL), and marks it done.
// It runs at most once per mail: the mail's row is locked first, so that the requests
// for a mail's images that arrive together decode it once and the others then find it
// done. A mail that cannot be decoded is marked done without parts.
func BackfillInlineParts(ctx context.Context, idb bun.IDB, mailID int64) error {
	err := idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var done bool
		if err := tx.NewRaw("SELECT inline_parts_at IS NOT NULL FROM mail_messages WHERE id = ? FOR NO KEY UPDATE", mailID).
			Scan(ctx, &done); err != nil {
			return db.NotFound(err)
		}
		if done {
			return nil
		}
		var raw []byte
		if err := tx.NewRaw("SELECT raw_mime FROM mail_messages WHERE id = ?", mailID).Scan(ctx, &raw); err != nil {
			return err
		}
		if dec, err := bcmail.Decode(raw); err == nil {
			parts := inlineParts(dec)
			for i := range parts {
				parts[i].MailMessageID = mailID
			}
			if err := storeInlineParts(ctx, tx, parts); err != nil {
				return err
			}
		}
		_, err := tx.NewRaw("UPDATE mail_messages SET inline_parts_at = now() WHERE id = ?", mailID).Exec(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("ingest: extract inline parts of mail %d: %w", mailID, err)
	}
	return nil
}
