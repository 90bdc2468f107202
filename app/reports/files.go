package reports

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/db"
)

// StoreFile keeps a generated report for download until its retention ends.
func StoreFile(ctx context.Context, idb bun.IDB, f *db.ReportFile) error {
	if _, err := idb.NewInsert().Model(f).Column("definition_id", "task_id", "filename", "content_type", "size", "data",
		"period_from", "period_to", "created_by", "expires_at").Returning("id, created_at").Exec(ctx); err != nil {
		return fmt.Errorf("reports: store file: %w", err)
	}
	return nil
}

// GetFile loads a kept file (with its data) that has not expired at now.
func GetFile(ctx context.Context, idb bun.IDB, id int64, now time.Time) (*db.ReportFile, error) {
	f := new(db.ReportFile)
	if err := idb.NewSelect().Model(f).Where("id = ? AND expires_at > ?", id, now).Scan(ctx); err != nil {
		return nil, fmt.Errorf("reports: file %d: %w", id, db.NotFound(err))
	}
	return f, nil
}

// ListFiles lists a definition's kept files, newest first, without their data.
func ListFiles(ctx context.Context, idb bun.IDB, definitionID int64, now time.Time) ([]db.ReportFile, error) {
	var fs []db.ReportFile
	if err := idb.NewSelect().Model(&fs).ExcludeColumn("data").Where("definition_id = ? AND expires_at > ?", definitionID, now).
		Order("created_at DESC", "id DESC").Limit(20).Scan(ctx); err != nil {
		return nil, fmt.Errorf("reports: files of %d: %w", definitionID, err)
	}
	return fs, nil
}

// DeleteExpiredFiles removes the files whose retention ended before now.
func DeleteExpiredFiles(ctx context.Context, idb bun.IDB, now time.Time) (int, error) {
	res, err := idb.NewDelete().Model((*db.ReportFile)(nil)).Where("expires_at <= ?", now).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("reports: delete expired files: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// FileForTask is the file a background task built, if it is still kept.
func FileForTask(ctx context.Context, idb bun.IDB, taskID int64, now time.Time) (*db.ReportFile, error) {
	var fs []db.ReportFile
	if err := idb.NewSelect().Model(&fs).ExcludeColumn("data").Where("task_id = ? AND expires_at > ?", taskID, now).
		Limit(1).Scan(ctx); err != nil {
		return nil, fmt.Errorf("reports: file of task %d: %w", taskID, err)
	}
	if len(fs) == 0 {
		return nil, nil
	}
	return &fs[0], nil
}
