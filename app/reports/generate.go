package reports

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/db"
)

// TaskKind is the background task of a report built for download.
const TaskKind = "report"

// GenerateRequest asks for a definition's report as a file kept for download.
type GenerateRequest struct {
	DefinitionID int64
	TaskID       int64 // the background task showing progress; 0 for none
	UserID       int64
	Format       string // FormatPDF (one PDF, or a ZIP of them) or FormatCSV
	Now          time.Time
}

// Generate builds the definition's report for its period as seen at req.Now and keeps
// it as a file for the retention days of Settings → Reporting; progress is told per
// customer. The generation is audited.
func Generate(ctx context.Context, idb bun.IDB, req GenerateRequest, progress func(done, total int)) (*db.ReportFile, error) {
	d, err := GetDefinition(ctx, idb, req.DefinitionID)
	if err != nil {
		return nil, err
	}
	sys, err := settings.Load(ctx, idb)
	if err != nil {
		return nil, err
	}
	loc := settings.Location(sys)
	rs, err := LoadSettings(ctx, idb, nil)
	if err != nil {
		return nil, err
	}
	r, err := d.Range(req.Now, loc)
	if err != nil {
		return nil, err
	}
	if r.Empty() {
		return nil, fmt.Errorf("%s has no full day yet: nothing to report", PeriodLabel(r.Kind))
	}
	if req.Format != FormatCSV {
		req.Format = FormatPDF
	}
	data, file, err := RenderToBuffer(ctx, idb, d.Scope(r, loc), NewDocument(rs.Branding, loc, req.Now, d.Content()),
		d.Name, req.Format, progress)
	if err != nil {
		return nil, err
	}
	f := &db.ReportFile{DefinitionID: &d.ID, Filename: file.Name, ContentType: file.ContentType, Size: int64(len(data)),
		Data: data, PeriodFrom: r.From.utc(), PeriodTo: r.To.utc(),
		ExpiresAt: req.Now.Add(time.Duration(rs.FileRetentionDays) * 24 * time.Hour)}
	if req.TaskID != 0 {
		f.TaskID = &req.TaskID
	}
	if req.UserID != 0 {
		f.CreatedBy = &req.UserID
	}
	if err := StoreFile(ctx, idb, f); err != nil {
		return nil, err
	}
	var actor audit.Actor
	if req.UserID != 0 {
		if err := idb.NewRaw("SELECT id, coalesce(nullif(display_name, ''), username) AS name FROM users WHERE id = ?", req.UserID).
			Scan(ctx, &actor.ID, &actor.Name); err != nil {
			return nil, fmt.Errorf("reports: generate: actor: %w", err)
		}
	}
	if err := audit.Record(ctx, idb, actor, AuditGenerated, fmt.Sprintf("report %d", d.ID),
		map[string]any{"file": f.Filename, "size": f.Size, "period": r.String()}); err != nil {
		return nil, err
	}
	return f, nil
}
