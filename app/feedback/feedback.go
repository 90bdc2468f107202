// Package feedback is the feedback board: the product's users post bugs and ideas,
// vote on them once each, reply, and attach screenshots (stored in the database, typed
// by their bytes). Admins set an item's status (open, planned, done). An item's author
// or an admin deletes it softly; only an admin deletes a deleted item for good, and its
// replies, votes and attachments go with it.
package feedback

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// Item types and statuses.
const (
	TypeBug  = "bug"
	TypeIdea = "idea"

	StatusOpen    = "open"
	StatusPlanned = "planned"
	StatusDone    = "done"
)

// Types and Statuses in the order they are offered.
var (
	Types    = []string{TypeBug, TypeIdea}
	Statuses = []string{StatusOpen, StatusPlanned, StatusDone}
)

// Limits on what one post may carry.
const (
	MaxTitle = 200   // characters
	MaxText  = 20000 // characters
	// MaxFileBytes is the largest attachment; MaxItemBytes what an item and all its
	// replies' attachments may hold together; MaxFiles the files of one post.
	MaxFileBytes = 5 << 20
	MaxItemBytes = 25 << 20
	MaxFiles     = 10
)

// Audit actions.
const (
	ActionCreated       = "feedback.created"
	ActionReplied       = "feedback.replied"
	ActionVoted         = "feedback.voted"
	ActionVoteWithdrawn = "feedback.vote_withdrawn"
	ActionStatusChanged = "feedback.status_changed"
	ActionDeleted       = "feedback.deleted"
	ActionRestored      = "feedback.restored"
	ActionPurged        = "feedback.purged"
)

// ErrNotAllowed is returned when the user may not do that to this item (delete
// someone else's item, purge one that is not deleted, reply to a deleted one).
var ErrNotAllowed = errors.New("feedback: not allowed")

// File is an uploaded file as received.
type File struct {
	Name string
	Data []byte
}

// checkFiles validates the files of one post (field "files") and returns their
// stored type (by content) and cleaned names. used is what the item holds already.
func checkFiles(files []File, used int64, errs validation.Errors) (types, names []string) {
	if len(files) > MaxFiles {
		errs.Add("files", fmt.Sprintf("attach at most %d files at a time", MaxFiles))
		return nil, nil
	}
	total := used
	for _, f := range files {
		name := cleanName(f.Name)
		switch t := mail.RasterType(f.Data); {
		case len(f.Data) == 0:
			errs.Add("files", fmt.Sprintf("%s is empty", name))
		case len(f.Data) > MaxFileBytes:
			errs.Add("files", fmt.Sprintf("%s is %s; a file may be at most %s", name, mail.FormatSize(int64(len(f.Data))), mail.FormatSize(MaxFileBytes)))
		case t == "":
			errs.Add("files", fmt.Sprintf("%s is not a PNG, JPEG, GIF or WebP image", name))
		default:
			types, names = append(types, t), append(names, name)
		}
		total += int64(len(f.Data))
	}
	if total > MaxItemBytes && errs["files"] == "" {
		errs.Add("files", fmt.Sprintf("an item and its replies may hold %s of images in all; this would make %s",
			mail.FormatSize(MaxItemBytes), mail.FormatSize(total)))
	}
	return types, names
}

// cleanName keeps a file's base name, printable and not too long, for display.
func cleanName(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, name)
	if name == "" || name == "." || name == "/" {
		name = "image"
	}
	if utf8.RuneCountInString(name) > 120 {
		name = string([]rune(name)[:120])
	}
	return name
}

// checkText validates a text field.
func checkText(errs validation.Errors, field, label, s string, required bool, maxLen int) string {
	s = strings.TrimSpace(s)
	switch {
	case required && s == "":
		errs.Add(field, "enter "+label)
	case utf8.RuneCountInString(s) > maxLen:
		errs.Add(field, fmt.Sprintf("%s may be at most %d characters", label, maxLen))
	}
	return s
}

// NewItem is an item as posted.
type NewItem struct {
	Type  string
	Title string
	Text  string
	Files []File
}

// Create posts an item with its files, audited. Field errors come back as
// validation.Errors (type, title, text, files).
func Create(ctx context.Context, bdb *bun.DB, actor audit.Actor, in NewItem) (int64, error) {
	errs := validation.Errors{}
	if in.Type != TypeBug && in.Type != TypeIdea {
		errs.Add("type", "choose bug or idea")
	}
	title := checkText(errs, "title", "a title", in.Title, true, MaxTitle)
	text := checkText(errs, "text", "the text", in.Text, false, MaxText)
	types, names := checkFiles(in.Files, 0, errs)
	if err := errs.Err(); err != nil {
		return 0, err
	}
	var id int64
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewRaw(`INSERT INTO feedback_items (item_type, title, description, created_by) VALUES (?, ?, ?, ?) RETURNING id`,
			in.Type, title, text, userID(actor)).Scan(ctx, &id); err != nil {
			return err
		}
		if err := storeFiles(ctx, tx, actor, id, nil, in.Files, types, names); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, ActionCreated, target(id), map[string]any{"type": in.Type, "title": title, "attachments": len(in.Files)})
	})
	if err != nil {
		return 0, fmt.Errorf("feedback: create: %w", err)
	}
	return id, nil
}

// Reply adds a reply with its files to an item that is not deleted, audited. The
// item's total of attachments is checked under a lock on the item, so two replies at
// once cannot pass the limit together.
func Reply(ctx context.Context, bdb *bun.DB, actor audit.Actor, itemID int64, text string, files []File) (int64, error) {
	var id int64
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var deleted bool
		if err := tx.NewRaw("SELECT deleted_at IS NOT NULL FROM feedback_items WHERE id = ? FOR UPDATE", itemID).Scan(ctx, &deleted); err != nil {
			return db.NotFound(err)
		}
		if deleted {
			return ErrNotAllowed
		}
		var used int64
		if err := tx.NewRaw("SELECT coalesce(sum(size), 0) FROM feedback_attachments WHERE feedback_item_id = ?", itemID).Scan(ctx, &used); err != nil {
			return err
		}
		errs := validation.Errors{}
		body := checkText(errs, "text", "a reply", text, len(files) == 0, MaxText)
		types, names := checkFiles(files, used, errs)
		if err := errs.Err(); err != nil {
			return err
		}
		if body == "" {
			body = "(screenshot)"
		}
		if err := tx.NewRaw(`INSERT INTO feedback_replies (feedback_item_id, body, created_by) VALUES (?, ?, ?) RETURNING id`,
			itemID, body, userID(actor)).Scan(ctx, &id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE feedback_items SET updated_at = now() WHERE id = ?", itemID); err != nil {
			return err
		}
		if err := storeFiles(ctx, tx, actor, itemID, &id, files, types, names); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, ActionReplied, target(itemID), map[string]any{"reply": id, "attachments": len(files)})
	})
	if err != nil {
		return 0, fmt.Errorf("feedback: reply to %d: %w", itemID, err)
	}
	return id, nil
}

func storeFiles(ctx context.Context, tx bun.Tx, actor audit.Actor, itemID int64, replyID *int64, files []File, types, names []string) error {
	for i, f := range files {
		if _, err := tx.ExecContext(ctx, `INSERT INTO feedback_attachments (feedback_item_id, feedback_reply_id, filename, content_type, size, data, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, itemID, replyID, names[i], types[i], len(f.Data), f.Data, userID(actor)); err != nil {
			return fmt.Errorf("store %s: %w", names[i], err)
		}
	}
	return nil
}

// Vote records the user's vote on an item, or withdraws it when they had voted (one
// vote per user and item). It reports whether the user has voted now.
func Vote(ctx context.Context, bdb *bun.DB, actor audit.Actor, itemID int64) (bool, error) {
	var voted bool
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var deleted bool
		if err := tx.NewRaw("SELECT deleted_at IS NOT NULL FROM feedback_items WHERE id = ?", itemID).Scan(ctx, &deleted); err != nil {
			return db.NotFound(err)
		}
		if deleted || actor.ID == 0 {
			return ErrNotAllowed
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO feedback_votes (feedback_item_id, user_id) VALUES (?, ?)
			ON CONFLICT DO NOTHING`, itemID, actor.ID)
		if err != nil {
			return err
		}
		action := ActionVoted
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := tx.ExecContext(ctx, "DELETE FROM feedback_votes WHERE feedback_item_id = ? AND user_id = ?", itemID, actor.ID); err != nil {
				return err
			}
			action = ActionVoteWithdrawn
		} else {
			voted = true
		}
		return audit.Record(ctx, tx, actor, action, target(itemID), nil)
	})
	if err != nil {
		return false, fmt.Errorf("feedback: vote on %d: %w", itemID, err)
	}
	return voted, nil
}

// SetStatus changes an item's status (an admin's decision), audited old → new.
func SetStatus(ctx context.Context, bdb *bun.DB, actor audit.Actor, itemID int64, status string) error {
	if status != StatusOpen && status != StatusPlanned && status != StatusDone {
		return validation.Errors{"status": "choose open, planned or done"}
	}
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var old string
		if err := tx.NewRaw("SELECT status FROM feedback_items WHERE id = ? AND deleted_at IS NULL FOR UPDATE", itemID).Scan(ctx, &old); err != nil {
			return db.NotFound(err)
		}
		if old == status {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE feedback_items SET status = ?, updated_at = now(),
			resolved_at = CASE WHEN ? = 'done' THEN now() END, resolved_by = CASE WHEN ? = 'done' THEN ?::bigint END
			WHERE id = ?`, status, status, status, userID(actor), itemID); err != nil {
			return err
		}
		c := audit.Changes{}
		c.Add("status", old, status)
		return audit.Record(ctx, tx, actor, ActionStatusChanged, target(itemID), c)
	})
	if err != nil {
		return fmt.Errorf("feedback: status of %d: %w", itemID, err)
	}
	return nil
}

// Delete deletes an item softly: by its author, or by a moderator (an admin).
func Delete(ctx context.Context, bdb *bun.DB, actor audit.Actor, itemID int64, moderator bool) error {
	var author *int64
	var deleted bool
	if err := bdb.NewRaw("SELECT created_by, deleted_at IS NOT NULL FROM feedback_items WHERE id = ?", itemID).Scan(ctx, &author, &deleted); err != nil {
		return fmt.Errorf("feedback: delete %d: %w", itemID, db.NotFound(err))
	}
	if !moderator && (author == nil || *author != actor.ID || actor.ID == 0) {
		return ErrNotAllowed
	}
	if deleted {
		return nil
	}
	return change(ctx, bdb, actor, itemID, ActionDeleted,
		"UPDATE feedback_items SET deleted_at = now(), deleted_by = ?, updated_at = now() WHERE id = ? AND deleted_at IS NULL", userID(actor), itemID)
}

// Restore undoes a soft delete (admins).
func Restore(ctx context.Context, bdb *bun.DB, actor audit.Actor, itemID int64) error {
	return change(ctx, bdb, actor, itemID, ActionRestored,
		"UPDATE feedback_items SET deleted_at = NULL, deleted_by = NULL, updated_at = now() WHERE id = ? AND deleted_at IS NOT NULL", itemID)
}

// Purge deletes a softly deleted item for good, with its replies, votes and
// attachments (admins). An item that is not deleted first is refused.
func Purge(ctx context.Context, bdb *bun.DB, actor audit.Actor, itemID int64) error {
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var title string
		var deleted bool
		if err := tx.NewRaw("SELECT title, deleted_at IS NOT NULL FROM feedback_items WHERE id = ? FOR UPDATE", itemID).Scan(ctx, &title, &deleted); err != nil {
			return db.NotFound(err)
		}
		if !deleted {
			return ErrNotAllowed
		}
		var files int
		if err := tx.NewRaw("SELECT count(*) FROM feedback_attachments WHERE feedback_item_id = ?", itemID).Scan(ctx, &files); err != nil {
			return err
		}
		// Replies, votes and attachments go by their foreign keys (ON DELETE CASCADE).
		if _, err := tx.ExecContext(ctx, "DELETE FROM feedback_items WHERE id = ?", itemID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, ActionPurged, target(itemID), map[string]any{"title": title, "attachments": files})
	})
	if err != nil {
		return fmt.Errorf("feedback: purge %d: %w", itemID, err)
	}
	return nil
}

// change runs one update of an item and audits it, in one transaction; an update
// that changes nothing (already in that state) is no error and no entry. A missing
// item is db.ErrNotFound.
func change(ctx context.Context, bdb *bun.DB, actor audit.Actor, itemID int64, action, query string, args ...any) error {
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return audit.Record(ctx, tx, actor, action, target(itemID), nil)
		}
		var exists bool
		if err := tx.NewRaw("SELECT EXISTS (SELECT 1 FROM feedback_items WHERE id = ?)", itemID).Scan(ctx, &exists); err != nil {
			return err
		}
		if !exists {
			return db.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("feedback: %s %d: %w", action, itemID, err)
	}
	return nil
}

func target(id int64) string { return fmt.Sprintf("feedback:%d", id) }

func userID(a audit.Actor) any {
	if a.ID == 0 {
		return nil
	}
	return a.ID
}
