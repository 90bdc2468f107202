package app

import (
	"bytes"
	"io"
	"regexp"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/settings"
	parsersview "github.com/backupchecks/backupchecks/components/parsers"
	"github.com/backupchecks/backupchecks/components/ui"
	"github.com/backupchecks/backupchecks/components/view"
)

func (a *App) parsersPage(c *fiber.Ctx) error {
	var ps []parsersview.Parser
	for _, p := range a.registry.Parsers() {
		i := p.Info()
		ps = append(ps, parsersview.Parser{Name: i.Name, Software: i.BackupSoftware, Types: i.BackupTypes, Match: i.Match,
			Order: i.Order, Enabled: i.Enabled, Informational: i.Informational, Generic: i.Generic, Examples: i.Examples})
	}
	return a.renderPage(c, func(v view.Ctx) templ.Component { return parsersview.Page(v, ps) })
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
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, parsersview.InputError("Paste a mail or choose an .eml file."))
	}
	raw, whole := mailSource(raw)
	if !whole {
		return a.renderFragment(c, fiber.StatusUnprocessableEntity, parsersview.InputError(
			"This is only the body of a mail: the parsers also read its headers (From, Subject, Date). "+
				"Paste the whole message source, or save the mail as an .eml file and upload it."))
	}
	// A pasted mail has the browser's line endings; MIME wants CRLF but decodes LF too.
	tr := ingest.TryParsers(a.registry.In(settings.Location(state(c).settings)), raw, a.now())
	r := parsersview.Result{From: tr.From, Subject: tr.Subject, Parser: tr.Result.Parser, Error: tr.Result.Error}
	for _, t := range tr.Result.Tried {
		r.Tried = append(r.Tried, parsersview.Attempt{Parser: t.Parser, Matched: t.Matched, Error: t.Error})
	}
	if run := tr.Result.Run; run != nil {
		r.Parsed = true
		r.Software, r.Type, r.JobName, r.Status = run.BackupSoftware, run.BackupType, run.JobName, run.Status
		r.StartedAt, r.EndedAt, r.Host, r.Message, r.Informational = run.StartedAt, run.EndedAt, run.Host, run.Message, run.Informational
		for _, o := range run.Objects {
			r.Objects = append(r.Objects, ui.Object{Name: o.Name, Type: o.Type, Status: o.Status, Message: o.Error})
		}
	}
	return a.renderFragment(c, fiber.StatusOK, parsersview.ResultView(a.view(c), r))
}

// mailHeaders are header fields every report mail has; a paste that starts with none of
// them is a body copied from a mail program.
var mailHeaders = regexp.MustCompile(`(?i)^(from|subject|date|to|received|return-path|message-id|mime-version|delivered-to|x-[\w-]+)\s*:`)

// mailSource is a pasted or uploaded mail without what a paste or an mbox file puts
// before it (empty lines, a "From " line), and whether it starts with a mail's header
// block: one of the usual fields before the first empty line.
func mailSource(raw []byte) ([]byte, bool) {
	raw = bytes.TrimLeft(raw, "\r\n\t ")
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[i+1:]
		}
	}
	head := raw[:min(len(raw), 256<<10)] // headers are never this long; a body may be
	for _, line := range strings.Split(string(head), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			return raw, false
		}
		if mailHeaders.MatchString(line) {
			return raw, true
		}
	}
	return raw, false
}
