package app

import (
	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/audit"
	auditview "github.com/backupchecks/backupchecks/components/audit"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
)

const auditPerPage = 50

func (a *App) auditPage(c *fiber.Ctx) error {
	p, err := audit.List(c.UserContext(), a.db.Bun, pageParam(c), auditPerPage, "")
	if err != nil {
		return err
	}
	entries := make([]auditview.Entry, len(p.Entries))
	for i, e := range p.Entries {
		entries[i] = auditview.Entry{At: e.At, Actor: e.ActorName, Action: e.Action, Target: e.Target, IP: e.IP, Details: e.Details}
	}
	pager := ui.Pager{Page: p.Page, PerPage: p.PerPage, Total: p.Total, BaseURL: "/audit?"}
	return a.renderPage(c, func(v view.Ctx) templ.Component { return auditview.Page(v, entries, pager) })
}
