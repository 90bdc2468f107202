// Package feedback renders the feedback board: the list of bugs and ideas, one item
// with its replies, and the forms to post, reply and attach screenshots.
package feedback

import (
	"fmt"
	"net/url"
	"time"

	"github.com/backupchecks/backupchecks/components/ui"
)

// Item is one item of the board.
type Item struct {
	ID          int64
	Type        string // bug or idea
	Title       string
	Text        string
	Status      string // open, planned, done
	Author      string
	Mine        bool // the user looking wrote it
	CreatedAt   time.Time
	DeletedAt   *time.Time
	DeletedBy   string
	Votes       int
	Voted       bool
	Replies     int
	Attachments int
}

// File is an attachment shown as a thumbnail.
type File struct {
	ID       int64
	Filename string
	Size     int64
}

// URL is where the file is served.
func (f File) URL() string { return fmt.Sprintf("/feedback/attachments/%d", f.ID) }

// Reply is one reply.
type Reply struct {
	ID        int64
	Text      string
	Author    string
	CreatedAt time.Time
	Files     []File
}

// Form is the new item's or a reply's form as submitted, with messages per field.
type Form struct {
	Type   string
	Title  string
	Text   string
	Errors map[string]string
}

// Limits are the attachment limits the forms state (and assets/app.js checks before
// sending).
type Limits struct {
	MaxFiles     int
	MaxFileBytes int64
	MaxFileText  string // "5 MB"
	MaxItemText  string
}

// Board is the list page.
type Board struct {
	Type      string // filter: bug, idea or ""
	Status    string // filter: open, planned, done or ""
	Sort      string // "" (newest) or votes
	Deleted   bool   // the deleted items (moderators)
	Moderator bool   // may see deleted items, set statuses, delete any item
	Items     []Item
	Pager     ui.Pager
	Form      Form
	FormOpen  bool // the new item form is shown open (it has errors)
	Limits    Limits
}

// Query is the board's filter as URL parameters.
func (b Board) Query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"type": b.Type, "status": b.Status, "sort": b.Sort} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if b.Deleted {
		q.Set("deleted", "1")
	}
	return q
}

// With is the board's URL with one parameter changed.
func (b Board) With(key, value string) string {
	q := b.Query()
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	if len(q) == 0 {
		return "/feedback"
	}
	return "/feedback?" + q.Encode()
}

// Detail is one item's page.
type Detail struct {
	Item
	Files     []File
	Replies   []Reply
	Moderator bool // admin: status, restore, permanent delete, delete any item
	CanDelete bool // the author or a moderator, while not deleted
	Reply     Form
	Limits    Limits
}

// TypeLabel and StatusLabel are how types and statuses show.
func TypeLabel(t string) string {
	if t == "bug" {
		return "Bug"
	}
	return "Idea"
}

// StatusLabel is how a status shows.
func StatusLabel(s string) string {
	switch s {
	case "planned":
		return "Planned"
	case "done":
		return "Done"
	}
	return "Open"
}

func statusClass(s string) string {
	switch s {
	case "planned":
		return "text-bg-info"
	case "done":
		return "text-bg-success"
	}
	return "text-bg-secondary"
}

func typeClass(t string) string {
	if t == "bug" {
		return "text-bg-danger"
	}
	return "text-bg-primary"
}

// Statuses in the order offered.
var Statuses = []string{"open", "planned", "done"}
