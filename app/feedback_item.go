package app

import (
	"errors"
	"fmt"
	"mime"
	"strconv"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/feedback"
	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/validation"
	feedbackview "github.com/backupchecks/backupchecks/components/feedback"
	"github.com/backupchecks/backupchecks/components/view"
)

// One item of the feedback board: its page, replies, votes, status and deletion, and
// its screenshots.

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
