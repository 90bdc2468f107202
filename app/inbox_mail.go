package app

import (
	"fmt"
	"mime"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/customers"
	"github.com/backupchecks/backupchecks/app/inbox"
	"github.com/backupchecks/backupchecks/app/mail"
	inboxview "github.com/backupchecks/backupchecks/components/inbox"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/db"
)

// mailDetail builds the dialog's view model.
func (a *App) mailDetail(c *fiber.Ctx, id int64) (inboxview.Detail, error) {
	ctx := c.UserContext()
	d, err := inbox.Get(ctx, a.db.Bun, id)
	if err != nil {
		return inboxview.Detail{}, err
	}
	m := d.Mail
	out := inboxview.Detail{
		Row: inboxview.Row{ID: m.ID, From: deref(m.FromAddress), Subject: deref(m.Subject), ReceivedAt: m.ReceivedAt,
			Software: deref(m.ParsedBackupSoftware), Type: deref(m.ParsedBackupType), JobName: deref(m.ParsedJobName),
			Status: deref(m.ParsedStatus), Parser: deref(m.ParserName), ParseError: deref(m.ParseError)},
		MessageID: deref(m.MessageID), Source: m.Source, Size: m.Size, Location: m.Location,
		Host: deref(m.ParsedHost), Message: deref(m.ParsedMessage), StartedAt: m.ParsedStartedAt, EndedAt: m.ParsedEndedAt,
		Approvable: d.Approvable(), NeedsJobName: d.NeedsJobName(),
		TimeNote: deref(m.ParsedTimeNote),
	}
	for _, o := range d.Objects {
		out.Objects = append(out.Objects, ui.Object{Name: o.ObjectName, Type: o.ObjectType, Status: deref(o.Status), Message: deref(o.ErrorMessage)})
	}
	for _, s := range m.SkippedAttachments {
		if p, ok := s.(map[string]any); ok {
			out.Skipped = append(out.Skipped, fmt.Sprintf("%v (%v, %v bytes) was over the attachment limit", p["filename"], p["content_type"], p["size"]))
		}
	}
	out.Body = mailBodyView(m.ID, deref(m.HTMLBody), deref(m.TextBody))
	if d.ExistingJob != nil {
		cust, err := customers.Get(ctx, a.db.Bun, d.ExistingJob.CustomerID)
		if err != nil {
			return out, err
		}
		out.ExistingJob = cust.Name + " / " + d.ExistingJob.JobName
	}
	return out, nil
}

func (a *App) mailModal(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	d, err := a.mailDetail(c, id)
	if err != nil {
		return err
	}
	f, err := a.approveForm(c, d, "", "")
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, inboxview.DetailModal(a.view(c), d, f))
}

func (a *App) mailEML(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	raw, subject, err := inbox.Raw(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("mail-%d.eml", id)
	if s := fileSafe(subject); s != "" {
		name = fmt.Sprintf("%d-%s.eml", id, s)
	}
	c.Set(fiber.HeaderContentType, "message/rfc822")
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	return c.Send(raw)
}

// mailCID serves an inline part of a stored mail for its sanitised body, from what was
// extracted at import. Mail is hostile: only a part whose bytes are a raster image is
// served as one; anything else (an SVG can hold script) is a download, and neither may
// run anything if opened directly.
func (a *App) mailCID(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	cid, err := url.PathUnescape(c.Params("cid"))
	if err != nil {
		return fiber.ErrNotFound
	}
	p, err := inbox.InlinePart(c.UserContext(), a.db.Bun, id, cid)
	if err != nil {
		return err
	}
	c.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set(fiber.HeaderCacheControl, "private, max-age=3600")
	if t := mail.RasterType(p.Data); t != "" && t == p.ContentType {
		c.Set(fiber.HeaderContentType, t)
		return c.Send(p.Data)
	}
	name := p.Filename
	if name == "" {
		name = "inline-part"
	}
	c.Set(fiber.HeaderContentType, db.InlineDownloadType)
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	return c.Send(p.Data)
}

// fileSafe turns a subject into a short file name part.
func fileSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ' || r == '.':
			b.WriteRune('_')
		}
		if b.Len() >= 60 {
			break
		}
	}
	return strings.Trim(b.String(), "_")
}
