package app

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"strconv"

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

func feedbackIDParam(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, fiber.ErrNotFound
	}
	return id, nil
}

func (a *App) feedbackItem(c *fiber.Ctx) error {
	return a.renderFeedbackItem(c, fiber.StatusOK, feedbackview.Form{})
}

func (a *App) renderFeedbackItem(c *fiber.Ctx, status int, reply feedbackview.Form) error {
	id, err := feedbackIDParam(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	mod := a.feedbackModerator(c)
	d, err := feedback.Get(c.UserContext(), a.db.Bun, id, u.ID, mod)
	if err != nil {
		return err
	}
	m := feedbackview.Detail{Item: feedbackItemView(d.Item, u.ID), Moderator: mod, Reply: reply, Limits: feedbackLimits}
	m.CanDelete = d.DeletedAt == nil && (mod || m.Mine)
	m.Files = feedbackFileViews(d.Files)
	for _, r := range d.Replies {
		m.Replies = append(m.Replies, feedbackview.Reply{ID: r.ID, Text: r.Text, Author: r.Author, CreatedAt: r.CreatedAt, Files: feedbackFileViews(r.Files)})
	}
	return a.render(c, status, func(v view.Ctx) templ.Component { return feedbackview.ItemPage(v, m) }, nil)
}

func feedbackFileViews(files []feedback.Attachment) []feedbackview.File {
	out := make([]feedbackview.File, len(files))
	for i, f := range files {
		out[i] = feedbackview.File{ID: f.ID, Filename: f.Filename, Size: f.Size}
	}
	return out
}

func (a *App) feedbackReply(c *fiber.Ctx) error {
	id, err := feedbackIDParam(c)
	if err != nil {
		return err
	}
	form, err := c.MultipartForm()
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, "Send the form as a file upload (multipart).")
	}
	files, err := feedbackFiles(form)
	if err != nil {
		return err
	}
	text := formValue(form, "text")
	replyID, err := feedback.Reply(c.UserContext(), a.db.Bun, a.actor(c), id, text, files)
	if errs, ok := validation.As(err); ok {
		return a.renderFeedbackItem(c, fiber.StatusUnprocessableEntity, feedbackview.Form{Text: text, Errors: errs})
	}
	if err := feedbackErr(err); err != nil {
		return err
	}
	return a.redirectWithFlash(c, fmt.Sprintf("/feedback/%d#reply-%d", id, replyID))
}

// feedbackErr turns the board's refusals into the answers a person reads.
func feedbackErr(err error) error {
	if errors.Is(err, feedback.ErrNotAllowed) {
		return fiber.NewError(fiber.StatusForbidden, "You cannot do that to this item (it may have been deleted, or be someone else's).")
	}
	return err
}

func (a *App) feedbackVote(c *fiber.Ctx) error {
	id, err := feedbackIDParam(c)
	if err != nil {
		return err
	}
	if _, err := feedback.Vote(c.UserContext(), a.db.Bun, a.actor(c), id); err != nil {
		return feedbackErr(err)
	}
	if !isHTMX(c) {
		return a.redirectWithFlash(c, fmt.Sprintf("/feedback/%d", id))
	}
	u := currentUser(c)
	d, err := feedback.Get(c.UserContext(), a.db.Bun, id, u.ID, false)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, feedbackview.VoteButton(feedbackItemView(d.Item, u.ID)))
}

func (a *App) feedbackStatus(c *fiber.Ctx) error {
	id, err := feedbackIDParam(c)
	if err != nil {
		return err
	}
	err = feedback.SetStatus(c.UserContext(), a.db.Bun, a.actor(c), id, c.FormValue("status"))
	if _, ok := validation.As(err); ok {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Choose open, planned or done.")
	}
	if err != nil {
		return err
	}
	return a.redirectWithFlash(c, fmt.Sprintf("/feedback/%d", id), success("Status changed."))
}

func (a *App) feedbackDelete(c *fiber.Ctx) error {
	id, err := feedbackIDParam(c)
	if err != nil {
		return err
	}
	if err := feedback.Delete(c.UserContext(), a.db.Bun, a.actor(c), id, a.feedbackModerator(c)); err != nil {
		return feedbackErr(err)
	}
	return a.redirectWithFlash(c, "/feedback", success("Item deleted."))
}

func (a *App) feedbackRestore(c *fiber.Ctx) error {
	id, err := feedbackIDParam(c)
	if err != nil {
		return err
	}
	if err := feedback.Restore(c.UserContext(), a.db.Bun, a.actor(c), id); err != nil {
		return err
	}
	return a.redirectWithFlash(c, fmt.Sprintf("/feedback/%d", id), success("Item restored."))
}

func (a *App) feedbackPurge(c *fiber.Ctx) error {
	id, err := feedbackIDParam(c)
	if err != nil {
		return err
	}
	if err := feedback.Purge(c.UserContext(), a.db.Bun, a.actor(c), id); err != nil {
		if errors.Is(err, feedback.ErrNotAllowed) {
			return fiber.NewError(fiber.StatusConflict, "Only a deleted item can be deleted permanently: delete it first.")
		}
		return err
	}
	return a.redirectWithFlash(c, "/feedback?deleted=1", success("Item deleted permanently, with its replies, votes and screenshots."))
}

// feedbackFile serves an attachment as the image its bytes were checked to be when
// stored (and are checked to be again), under a policy that runs nothing: never as
// what a browser could run, whatever was uploaded. Anything else is a download.
func (a *App) feedbackFile(c *fiber.Ctx) error {
	id, err := feedbackIDParam(c)
	if err != nil {
		return err
	}
	f, err := feedback.FileData(c.UserContext(), a.db.Bun, id, a.feedbackModerator(c))
	if err != nil {
		return err
	}
	c.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	c.Set("X-Content-Type-Options", "nosniff")
	disposition := "inline"
	if t := mail.RasterType(f.Data); t == "" || t != f.ContentType {
		c.Set(fiber.HeaderContentType, "application/octet-stream")
		disposition = "attachment"
	} else {
		c.Set(fiber.HeaderContentType, t)
	}
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType(disposition, map[string]string{"filename": f.Filename}))
	return c.Send(f.Data)
}
