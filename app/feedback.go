package app

import (
	"fmt"
	"io"
	"mime/multipart"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/feedback"
	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/validation"
	feedbackview "github.com/backupchecks/backupchecks/components/feedback"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
)

const feedbackPerPage = 25

var feedbackLimits = feedbackview.Limits{MaxFiles: feedback.MaxFiles, MaxFileBytes: feedback.MaxFileBytes,
	MaxFileText: mail.FormatSize(feedback.MaxFileBytes), MaxItemText: mail.FormatSize(feedback.MaxItemBytes)}

// feedbackModerator reports whether the user may moderate the board (see deleted
// items, restore and purge them, delete anyone's item): whoever the route table lets
// purge.
func (a *App) feedbackModerator(c *fiber.Ctx) bool {
	return a.allowed(currentUser(c).ActiveRole)("POST", "/feedback/:id/purge")
}

func feedbackItemView(it feedback.Item, viewer int64) feedbackview.Item {
	return feedbackview.Item{ID: it.ID, Type: it.Type, Title: it.Title, Text: it.Text, Status: it.Status, Author: it.Author,
		Mine: it.AuthorID != nil && *it.AuthorID == viewer, CreatedAt: it.CreatedAt, DeletedAt: it.DeletedAt, DeletedBy: it.DeletedBy,
		Votes: it.Votes, Voted: it.Voted, Replies: it.Replies, Attachments: it.Attachments}
}

func (a *App) feedbackPage(c *fiber.Ctx) error {
	return a.renderBoard(c, fiber.StatusOK, feedbackview.Form{}, false)
}

// renderBoard shows the board with the new item form (open, with its errors, after a
// refused post).
func (a *App) renderBoard(c *fiber.Ctx, status int, form feedbackview.Form, open bool) error {
	u := currentUser(c)
	b := feedbackview.Board{Moderator: a.feedbackModerator(c), Form: form, FormOpen: open, Limits: feedbackLimits}
	if t := c.Query("type"); t == feedback.TypeBug || t == feedback.TypeIdea {
		b.Type = t
	}
	for _, s := range feedback.Statuses {
		if c.Query("status") == s {
			b.Status = s
		}
	}
	if c.Query("sort") == "votes" {
		b.Sort = "votes"
	}
	b.Deleted = b.Moderator && c.Query("deleted") != ""
	p, err := feedback.List(c.UserContext(), a.db.Bun, feedback.Filter{Type: b.Type, Status: b.Status, Deleted: b.Deleted, Sort: b.Sort,
		Viewer: u.ID, Page: pageParam(c), PerPage: feedbackPerPage})
	if err != nil {
		return err
	}
	for _, it := range p.Items {
		b.Items = append(b.Items, feedbackItemView(it, u.ID))
	}
	base := "/feedback?"
	if q := b.Query().Encode(); q != "" {
		base += q + "&"
	}
	b.Pager = ui.Pager{Page: max(pageParam(c), 1), PerPage: feedbackPerPage, Total: p.Total, BaseURL: base}
	return a.render(c, status, func(v view.Ctx) templ.Component { return feedbackview.BoardPage(v, b) }, nil)
}

// feedbackFiles reads the files of a post (field "files"). A file's bytes are read up
// to one past the limit: the capability refuses it by its size without the server
// holding more of it.
func feedbackFiles(form *multipart.Form) ([]feedback.File, error) {
	var out []feedback.File
	for _, fh := range form.File["files"] {
		if fh.Size == 0 && fh.Filename == "" {
			continue // the empty input of a form sent without files
		}
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(f, feedback.MaxFileBytes+1))
		f.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, feedback.File{Name: fh.Filename, Data: data})
	}
	return out, nil
}

func (a *App) feedbackCreate(c *fiber.Ctx) error {
	form, err := c.MultipartForm()
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, "Send the form as a file upload (multipart).")
	}
	files, err := feedbackFiles(form)
	if err != nil {
		return err
	}
	in := feedback.NewItem{Type: formValue(form, "type"), Title: formValue(form, "title"), Text: formValue(form, "text"), Files: files}
	id, err := feedback.Create(c.UserContext(), a.db.Bun, a.actor(c), in)
	if errs, ok := validation.As(err); ok {
		return a.renderBoard(c, fiber.StatusUnprocessableEntity, feedbackview.Form{Type: in.Type, Title: in.Title, Text: in.Text, Errors: errs}, true)
	}
	if err != nil {
		return err
	}
	return a.redirectWithFlash(c, fmt.Sprintf("/feedback/%d", id), success("Posted. Thank you for the feedback."))
}

func formValue(form *multipart.Form, name string) string {
	if v := form.Value[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}
