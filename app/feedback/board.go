package feedback

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/db"
)

// Item is one item of the board.
type Item struct {
	ID          int64      `bun:"id"`
	Type        string     `bun:"item_type"`
	Title       string     `bun:"title"`
	Text        string     `bun:"description"`
	Status      string     `bun:"status"`
	AuthorID    *int64     `bun:"created_by"`
	Author      string     `bun:"author"`
	CreatedAt   time.Time  `bun:"created_at"`
	UpdatedAt   time.Time  `bun:"updated_at"`
	DeletedAt   *time.Time `bun:"deleted_at"`
	DeletedBy   string     `bun:"deleted_by_name"`
	Votes       int        `bun:"votes"`
	Voted       bool       `bun:"voted"` // by the user looking
	Replies     int        `bun:"replies"`
	Attachments int        `bun:"attachments"`
}

// Filter selects a page of the board.
type Filter struct {
	Type    string // "" for both
	Status  string // "" for all
	Deleted bool   // the deleted items instead (admins)
	Sort    string // "votes" (most votes first) or "" (newest first)
	Viewer  int64  // the user looking (for Voted)
	Page    int
	PerPage int
}

// Page is one page of items and how many there are in all.
type Page struct {
	Items []Item
	Total int
}

// itemColumns are an Item's columns for feedback_items i, with the viewer as the
// first argument.
const itemColumns = `i.id, i.item_type, i.title, i.description, i.status, i.created_by,
	coalesce(nullif(u.display_name, ''), u.username, 'former user') AS author, i.created_at, i.updated_at, i.deleted_at,
	coalesce(nullif(du.display_name, ''), du.username, '') AS deleted_by_name,
	(SELECT count(*) FROM feedback_votes v WHERE v.feedback_item_id = i.id) AS votes,
	EXISTS (SELECT 1 FROM feedback_votes v WHERE v.feedback_item_id = i.id AND v.user_id = ?) AS voted,
	(SELECT count(*) FROM feedback_replies r WHERE r.feedback_item_id = i.id) AS replies,
	(SELECT count(*) FROM feedback_attachments a WHERE a.feedback_item_id = i.id) AS attachments
	FROM feedback_items i LEFT JOIN users u ON u.id = i.created_by LEFT JOIN users du ON du.id = i.deleted_by`

// List returns one page of the board: items not deleted (or only deleted ones), with
// their votes and replies counted for the page's items only.
func List(ctx context.Context, idb bun.IDB, f Filter) (Page, error) {
	if f.Page < 1 {
		f.Page = 1
	}
	where := "i.deleted_at IS NULL"
	var args []any
	if f.Deleted {
		where = "i.deleted_at IS NOT NULL"
	}
	if f.Type != "" {
		where, args = where+" AND i.item_type = ?", append(args, f.Type)
	}
	if f.Status != "" {
		where, args = where+" AND i.status = ?", append(args, f.Status)
	}
	var p Page
	if err := idb.NewRaw("SELECT count(*) FROM feedback_items i WHERE "+where, args...).Scan(ctx, &p.Total); err != nil {
		return p, fmt.Errorf("feedback: count: %w", err)
	}
	order := "i.created_at DESC, i.id DESC"
	if f.Sort == "votes" {
		order = "votes DESC, i.created_at DESC, i.id DESC"
	}
	q := "SELECT " + itemColumns + " WHERE " + where + " ORDER BY " + order + " LIMIT ? OFFSET ?"
	all := append(append([]any{f.Viewer}, args...), f.PerPage, (f.Page-1)*f.PerPage)
	if err := idb.NewRaw(q, all...).Scan(ctx, &p.Items); err != nil {
		return p, fmt.Errorf("feedback: list: %w", err)
	}
	return p, nil
}

// Attachment is a stored file, without its bytes.
type Attachment struct {
	ID          int64  `bun:"id"`
	ReplyID     *int64 `bun:"feedback_reply_id"`
	Filename    string `bun:"filename"`
	ContentType string `bun:"content_type"`
	Size        int64  `bun:"size"`
}

// ReplyView is one reply with its attachments.
type ReplyView struct {
	ID        int64     `bun:"id"`
	Text      string    `bun:"body"`
	AuthorID  *int64    `bun:"created_by"`
	Author    string    `bun:"author"`
	CreatedAt time.Time `bun:"created_at"`
	Files     []Attachment
}

// Detail is one item with its attachments and replies.
type Detail struct {
	Item
	Files   []Attachment // on the item itself
	Replies []ReplyView
}

// Get returns an item with its replies and attachments. A deleted item is found only
// when withDeleted (admins); for anyone else it does not exist.
func Get(ctx context.Context, idb bun.IDB, id, viewer int64, withDeleted bool) (*Detail, error) {
	d := &Detail{}
	cond := "i.id = ?"
	if !withDeleted {
		cond += " AND i.deleted_at IS NULL"
	}
	if err := idb.NewRaw("SELECT "+itemColumns+" WHERE "+cond, viewer, id).Scan(ctx, &d.Item); err != nil {
		return nil, fmt.Errorf("feedback: get %d: %w", id, db.NotFound(err))
	}
	if err := idb.NewRaw(`SELECT r.id, r.body, r.created_by, coalesce(nullif(u.display_name, ''), u.username, 'former user') AS author, r.created_at
		FROM feedback_replies r LEFT JOIN users u ON u.id = r.created_by
		WHERE r.feedback_item_id = ? ORDER BY r.created_at, r.id`, id).Scan(ctx, &d.Replies); err != nil {
		return nil, fmt.Errorf("feedback: replies of %d: %w", id, err)
	}
	var files []Attachment
	if err := idb.NewRaw(`SELECT id, feedback_reply_id, filename, content_type, size FROM feedback_attachments
		WHERE feedback_item_id = ? ORDER BY id`, id).Scan(ctx, &files); err != nil {
		return nil, fmt.Errorf("feedback: attachments of %d: %w", id, err)
	}
	byReply := map[int64]int{}
	for i, r := range d.Replies {
		byReply[r.ID] = i
	}
	for _, f := range files {
		if f.ReplyID == nil {
			d.Files = append(d.Files, f)
		} else if i, ok := byReply[*f.ReplyID]; ok {
			d.Replies[i].Files = append(d.Replies[i].Files, f)
		}
	}
	return d, nil
}

// StoredFile is an attachment with its bytes.
type StoredFile struct {
	Attachment
	Data []byte `bun:"data"`
}

// FileData returns an attachment with its bytes; one of a deleted item only when
// withDeleted (admins).
func FileData(ctx context.Context, idb bun.IDB, id int64, withDeleted bool) (*StoredFile, error) {
	f := &StoredFile{}
	cond := "a.id = ?"
	if !withDeleted {
		cond += " AND i.deleted_at IS NULL"
	}
	if err := idb.NewRaw(`SELECT a.id, a.feedback_reply_id, a.filename, a.content_type, a.size, a.data
		FROM feedback_attachments a JOIN feedback_items i ON i.id = a.feedback_item_id WHERE `+cond, id).Scan(ctx, f); err != nil {
		return nil, fmt.Errorf("feedback: attachment %d: %w", id, db.NotFound(err))
	}
	return f, nil
}
