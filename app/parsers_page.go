package app

import (
	"io"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/components/parserspage"
	"github.com/backupchecks/backupchecks/components/view"
)

func (a *App) parsersPage(c *fiber.Ctx) error {
	var ps []parserspage.Parser
	for _, p := range a.registry.Parsers() {
		i := p.Info()
		ps = append(ps, parserspage.Parser{Name: i.Name, Software: i.BackupSoftware, Types: i.BackupTypes, Match: i.Match,
			Order: i.Order, Enabled: i.Enabled, Informational: i.Informational, Generic: i.Generic, Examples: i.Examples})
	}
	return a.renderPage(c, func(v view.Ctx) templ.Component { return parserspage.Page(v, ps) })
}

// parserPlayground runs the registry over a pasted or uploaded mail; nothing is stored.
func (a *App) parserPlayground(c *fiber.Ctx) error {
	raw := []byte(c.FormValue("raw"))
	if fh, err := c.FormFile("eml"); err == nil && fh.Size > 0 {
		f, err := fh.Open()
		if err != nil {
			return err
		}
		defer f.Close()
		if raw, err = io.ReadAll(io.LimitReader(f, 32<<20)); err != nil {
			return err
		}
	}
	if strings.TrimSpace(string(raw)) == "" {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Paste a mail or choose an .eml file.")
	}
	// A pasted mail has the browser's line endings; MIME wants CRLF but decodes LF too.
	tr := ingest.TryParsers(a.registry.In(settings.Location(state(c).settings)), raw, a.now())
	r := parserspage.Result{From: tr.From, Subject: tr.Subject, Parser: tr.Result.Parser, Error: tr.Result.Error}
	for _, t := range tr.Result.Tried {
		r.Tried = append(r.Tried, parserspage.Attempt{Parser: t.Parser, Matched: t.Matched, Error: t.Error})
	}
	if run := tr.Result.Run; run != nil {
		r.Parsed = true
		r.Software, r.Type, r.JobName, r.Status = run.BackupSoftware, run.BackupType, run.JobName, run.Status
		r.StartedAt, r.EndedAt, r.Host, r.Message, r.Informational = run.StartedAt, run.EndedAt, run.Host, run.Message, run.Informational
		for _, o := range run.Objects {
			r.Objects = append(r.Objects, parserspage.Object{Name: o.Name, Type: o.Type, Status: o.Status, Error: o.Error})
		}
	}
	return a.renderFragment(c, fiber.StatusOK, parserspage.ResultView(a.view(c), r))
}
