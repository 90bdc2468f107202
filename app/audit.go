package app

import (
	"bufio"
	"fmt"
	"log/slog"
	"mime"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/settings"
	auditview "github.com/backupchecks/backupchecks/components/audit"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
)

const auditPerPage = 50

// auditFilter reads the Logging page's filter: event type, user and a date range
// (local dates in the UI timezone, the end day included). A bad date is left out of
// the filter and named beside its field.
func auditFilter(c *fiber.Ctx, loc *time.Location) (audit.Filter, auditview.Filter) {
	v := auditview.Filter{Type: strings.TrimSpace(c.Query("type")), User: strings.TrimSpace(c.Query("user")),
		From: strings.TrimSpace(c.Query("from")), To: strings.TrimSpace(c.Query("to")), Errors: map[string]string{}}
	f := audit.Filter{Type: v.Type, User: v.User}
	day := func(name, raw string) *time.Time {
		if raw == "" {
			return nil
		}
		d, err := time.ParseInLocation("2006-01-02", raw, loc)
		if err != nil {
			v.Errors[name] = "enter a date such as 2026-03-31"
			return nil
		}
		return &d
	}
	f.From = day("from", v.From)
	if to := day("to", v.To); to != nil {
		end := to.AddDate(0, 0, 1)
		f.To = &end
	}
	if f.From != nil && f.To != nil && !f.From.Before(*f.To) {
		v.Errors["to"] = "the end date is before the start date"
		f.To = nil
	}
	return f, v
}

func (a *App) auditPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	f, fv := auditFilter(c, settings.Location(state(c).settings))
	p, err := audit.Search(ctx, a.db.Bun, f, pageParam(c), auditPerPage)
	if err != nil {
		return err
	}
	m := auditview.Model{Filter: fv, CanExport: a.allowed(currentUser(c).ActiveRole)("GET", "/audit/export.csv")}
	if m.Kinds, err = audit.Kinds(ctx, a.db.Bun); err != nil {
		return err
	}
	if m.Users, err = audit.UserNames(ctx, a.db.Bun); err != nil {
		return err
	}
	if m.RetentionDays, err = audit.Retention(ctx, a.db.Bun); err != nil {
		return err
	}
	for _, e := range p.Entries {
		m.Entries = append(m.Entries, auditview.Entry{At: e.At, Actor: e.ActorName, Action: e.Action, Target: e.Target, IP: e.IP, Details: e.Details})
	}
	base := "/audit?"
	if q := fv.Query().Encode(); q != "" {
		base += q + "&"
	}
	m.Pager = ui.Pager{Page: p.Page, PerPage: p.PerPage, Total: p.Total, BaseURL: base}
	return a.renderPage(c, func(v view.Ctx) templ.Component { return auditview.Page(v, m) })
}

// auditExport streams the filtered log as a CSV download.
func (a *App) auditExport(c *fiber.Ctx) error {
	loc := settings.Location(state(c).settings)
	f, _ := auditFilter(c, loc)
	name := "backupchecks-logging-" + a.now().In(loc).Format("2006-01-02") + ".csv"
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	ctx, db := c.UserContext(), a.db.Bun
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		if _, err := audit.WriteCSV(ctx, db, f, loc, w); err != nil {
			// The headers are gone: the file ends with the reason instead.
			slog.Error("web: logging export", "err", err)
			fmt.Fprintf(w, "\nexport failed: %v\n", err)
		}
		_ = w.Flush()
	})
	return nil
}
