package app

import (
	"fmt"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/inbox"
	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/components/ui"
)

// mailBodyCSP is the mail frame's own policy: the sanitised mail may style itself and
// show its inline and data: images, nothing else; it stays sandboxed (no script) even
// when opened on its own, and only this app's pages may frame it.
const mailBodyCSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'self'; " +
	"sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox"

func mailBodyURL(mailID int64) string { return fmt.Sprintf("/inbox/%d/body", mailID) }

// mailBodyView is what the dialogs show of a stored mail's body (ui.MailFrame): its
// sanitised HTML document when it has HTML, else its text.
func mailBodyView(mailID int64, html, text string) ui.MailBody {
	if html != "" {
		return ui.MailBody{URL: mailBodyURL(mailID)}
	}
	return ui.MailBody{Text: text}
}

func mailCIDURL(mailID int64, contentID string) string {
	return fmt.Sprintf("/inbox/%d/cid/%s", mailID, url.PathEscape(contentID))
}

// mailBody serves a mail's sanitised HTML as the document of the dialogs' sandboxed
// frame. It is a document of its own rather than a srcdoc because a srcdoc frame
// inherits the page's CSP, which forbids the inline styles backup reports are made of.
func (a *App) mailBody(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	html, err := inbox.HTMLBody(c.UserContext(), a.db.Bun, id)
	if err != nil {
		return err
	}
	if html == "" {
		return fiber.NewError(fiber.StatusNotFound, "This mail has no HTML body.")
	}
	doc := mail.IframeDocument(mail.SanitizeHTML(html, func(cid string) string { return mailCIDURL(id, cid) }))
	c.Set(fiber.HeaderContentSecurityPolicy, mailBodyCSP)
	c.Set(fiber.HeaderXFrameOptions, "SAMEORIGIN")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	c.Type("html", "utf-8")
	return c.SendString(doc)
}
