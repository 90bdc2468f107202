package app

import (
	"context"
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/inbox"
	"github.com/backupchecks/backupchecks/app/tasks"
	inboxview "github.com/backupchecks/backupchecks/components/inbox"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
	"github.com/backupchecks/backupchecks/db"
	riverjobs "github.com/backupchecks/backupchecks/jobs"
)

const inboxPerPage = 50

func (a *App) inboxList(c *fiber.Ctx, location string, page int) (inboxview.List, error) {
	q := ""
	if location == db.LocationInbox {
		q = strings.TrimSpace(c.Query("q"))
	}
	p, err := inbox.Search(c.UserContext(), a.db.Bun, location, q, page, inboxPerPage)
	if err != nil {
		return inboxview.List{}, err
	}
	l := inboxview.List{Query: q}
	base := "/inbox?"
	if q != "" {
		base += "q=" + url.QueryEscape(q) + "&"
	}
	if location == db.LocationDeleted {
		base = "/inbox/deleted?"
	}
	l.Pager = ui.Pager{Page: p.Page, PerPage: p.PerPage, Total: p.Total, BaseURL: base}
	for _, r := range p.Rows {
		l.Rows = append(l.Rows, inboxview.Row{ID: r.ID, From: r.From, Subject: r.Subject, ReceivedAt: r.ReceivedAt,
			Software: r.Software, Type: r.Type, JobName: r.JobName, Status: r.Status, Parser: r.Parser,
			Generic: r.Parser == "generic_subject_status", ParseError: r.ParseError, DeletedAt: r.DeletedAt})
	}
	return l, nil
}

func (a *App) inboxPage(c *fiber.Ctx) error {
	l, err := a.inboxList(c, db.LocationInbox, pageParam(c))
	if err != nil {
		return err
	}
	l.Upload = uploadLimits()
	if a.can(c, "POST", "/inbox/reparse") { // who may start one sees it run
		if l.Task, err = a.latestTask(c, tasks.KindMailReparse, 0); err != nil {
			return err
		}
	}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return inboxview.Page(v, l) },
		inboxview.ListFragment(a.view(c), l))
}

func (a *App) deletedPage(c *fiber.Ctx) error {
	l, err := a.inboxList(c, db.LocationDeleted, pageParam(c))
	if err != nil {
		return err
	}
	return a.render(c, fiber.StatusOK, func(v view.Ctx) templ.Component { return inboxview.DeletedPage(v, l) },
		inboxview.DeletedTable(a.view(c), l))
}

func (a *App) mailDelete(c *fiber.Ctx) error {
	ids, err := formIDs(c, "mail_ids", "mail")
	if err != nil {
		return err
	}
	n, err := inbox.Delete(c.UserContext(), a.db.Bun, a.actor(c), ids, a.now())
	if err != nil {
		return err
	}
	trigger(c, map[string]any{"closeModal": true})
	l, err := a.inboxList(c, db.LocationInbox, 1)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, inboxview.ListFragment(a.view(c), l), success(ui.Count(n, "mail", "mails")+" deleted."))
}

func (a *App) mailRestore(c *fiber.Ctx) error {
	return a.deletedAction(c, "restored", inbox.Restore)
}

func (a *App) mailPurge(c *fiber.Ctx) error {
	return a.deletedAction(c, "deleted permanently", inbox.Purge)
}

func (a *App) deletedAction(c *fiber.Ctx, verb string, act func(context.Context, bun.IDB, audit.Actor, []int64) (int, error)) error {
	ids, err := formIDs(c, "mail_ids", "mail")
	if err != nil {
		return err
	}
	n, err := act(c.UserContext(), a.db.Bun, a.actor(c), ids)
	if err != nil {
		return err
	}
	l, err := a.inboxList(c, db.LocationDeleted, 1)
	if err != nil {
		return err
	}
	return a.renderFragment(c, fiber.StatusOK, inboxview.DeletedTable(a.view(c), l), success(ui.Count(n, "mail", "mails")+" "+verb+"."))
}

// reparseAll starts "Re-parse all" and shows its progress.
func (a *App) reparseAll(c *fiber.Ctx) error {
	return a.startTask(c, (*riverjobs.Queue).StartMailReparse)
}
