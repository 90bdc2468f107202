package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/db"
)

// ExportedJob is one job in a jobs export: everything needed to recreate it (with its
// customer and set schedule) on another installation, nothing about its runs.
type ExportedJob struct {
	Customer       string       `json:"customer"`
	CustomerActive bool         `json:"customer_active"`
	JobName        string       `json:"job_name"`
	BackupSoftware string       `json:"backup_software"`
	BackupType     string       `json:"backup_type"`
	FromAddress    string       `json:"from_address,omitempty"`
	CoveAccountID  *int64       `json:"cove_account_id,omitempty"`
	Active         bool         `json:"active"`
	Archived       bool         `json:"archived"`
	Informational  bool         `json:"informational"`
	ManualSchedule *db.Schedule `json:"manual_schedule,omitempty"`
	ScheduleLocked bool         `json:"schedule_locked"`
	GraceMinutes   *int         `json:"schedule_grace_minutes,omitempty"`
	// CloudConnect is the Veeam Cloud Connect tenant linked to the job (version 2).
	CloudConnect *CloudConnectLink `json:"cloud_connect,omitempty"`
}

// CloudConnectLink names a Cloud Connect account by its key (user, section, repository
// name, as the provider's report lists them), so the link survives a move to an
// installation that has not scanned the reports yet.
type CloudConnectLink struct {
	User     string `json:"user"`
	Section  string `json:"section"`
	RepoName string `json:"repo_name"`
}

// The file's identity and version: Import reads every version up to exportVersion
// (version 1 was written as the format "backupchecks-jobs/1", without Cloud Connect
// links) and refuses anything else, naming what it got.
const (
	exportFormat   = "backupchecks-jobs"
	exportVersion  = 2
	exportFormatV1 = "backupchecks-jobs/1"
)

const exportPage = 1000

// Export writes every job as JSON ({"format", "format_version", "exported_at", "jobs":
// [...]}) with its Cove account and Cloud Connect tenant, reading them in keyset pages
// so memory stays flat however many jobs there are.
func Export(ctx context.Context, idb bun.IDB, w io.Writer, now time.Time) (int, error) {
	if _, err := fmt.Fprintf(w, "{\"format\":%q,\"format_version\":%d,\"exported_at\":%q,\"jobs\":[", exportFormat, exportVersion,
		now.UTC().Format(time.RFC3339)); err != nil {
		return 0, err
	}
	var after int64
	n := 0
	for {
		var rows []struct {
			ID int64 `bun:"id"`
			ExportedJob
			CCUser     *string `bun:"cc_user"`
			CCSection  *string `bun:"cc_section"`
			CCRepoName *string `bun:"cc_repo_name"`
		}
		err := idb.NewRaw(`
			SELECT j.id, c.name AS customer, c.active AS customer_active, j.job_name, j.backup_software, j.backup_type,
			       coalesce(j.from_address, '') AS from_address, j.cove_account_id, j.active,
			       j.archived_at IS NOT NULL AS archived, j.informational, j.manual_schedule, j.schedule_locked,
			       j.schedule_grace_minutes AS grace_minutes, cc.user_name AS cc_user, cc.section AS cc_section, cc.repo_name AS cc_repo_name
			FROM jobs j JOIN customers c ON c.id = j.customer_id
			LEFT JOIN cloud_connect_accounts cc ON cc.job_id = j.id
			WHERE j.id > ? ORDER BY j.id LIMIT ?`, after, exportPage).Scan(ctx, &rows)
		if err != nil {
			return n, fmt.Errorf("jobs: export: %w", err)
		}
		for _, r := range rows {
			j := r.ExportedJob
			if r.CCUser != nil {
				j.CloudConnect = &CloudConnectLink{User: *r.CCUser, Section: deref(r.CCSection), RepoName: deref(r.CCRepoName)}
			}
			b, err := json.Marshal(j)
			if err != nil {
				return n, err
			}
			sep := ","
			if n == 0 {
				sep = ""
			}
			if _, err := fmt.Fprintf(w, "%s\n%s", sep, b); err != nil {
				return n, err
			}
			n++
		}
		if len(rows) < exportPage {
			break
		}
		after = rows[len(rows)-1].ID
	}
	_, err := io.WriteString(w, "\n]}\n")
	return n, err
}

// ImportResult counts what an import did.
type ImportResult struct {
	CustomersCreated   int
	JobsCreated        int
	JobsUpdated        int
	CloudConnectLinked int
}

// Import reads an export and creates or updates customers (by name) and jobs (by the
// mail matching key, or the Cove account), all in one transaction: a bad file changes
// nothing. Runs and learned schedules are not part of an export.
func Import(ctx context.Context, bdb *bun.DB, actor audit.Actor, r io.Reader) (ImportResult, error) {
	var res ImportResult
	var file struct {
		Format  string        `json:"format"`
		Version int           `json:"format_version"`
		Jobs    []ExportedJob `json:"jobs"`
	}
	dec := json.NewDecoder(io.LimitReader(r, 64<<20))
	if err := dec.Decode(&file); err != nil {
		return res, fmt.Errorf("this is not a jobs export (JSON): %w", err)
	}
	switch {
	case file.Format == exportFormatV1:
		file.Version = 1
	case file.Format != exportFormat:
		return res, fmt.Errorf("unknown export format %q (want %q)", file.Format, exportFormat)
	case file.Version > exportVersion:
		return res, fmt.Errorf("this export is of format version %d, from a newer Backupchecks; this one reads versions 1 to %d", file.Version, exportVersion)
	case file.Version < 1:
		return res, fmt.Errorf("the export has no format version")
	}
	for i, j := range file.Jobs {
		switch {
		case strings.TrimSpace(j.Customer) == "" || strings.TrimSpace(j.JobName) == "":
			return res, fmt.Errorf("job %d: customer and job name are required", i+1)
		case j.BackupSoftware == "" || j.BackupType == "":
			return res, fmt.Errorf("job %d (%s): backup software and type are required", i+1, j.JobName)
		case j.FromAddress == "" && j.CoveAccountID == nil && j.CloudConnect == nil:
			return res, fmt.Errorf("job %d (%s): needs a sender address or a Cove account (or a Cloud Connect tenant)", i+1, j.JobName)
		case j.CloudConnect != nil && strings.TrimSpace(j.CloudConnect.User) == "":
			return res, fmt.Errorf("job %d (%s): its Cloud Connect link names no user", i+1, j.JobName)
		case j.CloudConnect != nil && !slices.Contains([]string{"Backup", "Replication", "Agent"}, j.CloudConnect.Section):
			return res, fmt.Errorf("job %d (%s): its Cloud Connect link's section must be Backup, Replication or Agent", i+1, j.JobName)
		case j.GraceMinutes != nil && (*j.GraceMinutes < 0 || *j.GraceMinutes > 7*24*60):
			// The schedule form's bounds; the database only refuses a negative one, and
			// with an error no admin should have to read.
			return res, fmt.Errorf("job %d (%s): the grace period must be 0 to 10080 minutes", i+1, j.JobName)
		}
		if j.ManualSchedule != nil {
			if err := j.ManualSchedule.Validate(); err != nil {
				return res, fmt.Errorf("job %d (%s): %w", i+1, j.JobName, err) // err says "schedule: …"
			}
		} else if j.ScheduleLocked {
			return res, fmt.Errorf("job %d (%s): locked without a schedule", i+1, j.JobName)
		}
	}
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, j := range file.Jobs {
			var custID int64
			var created bool
			err := tx.NewRaw(`
				WITH ins AS (
					INSERT INTO customers (name, active) VALUES (?, ?)
					ON CONFLICT ((lower(name))) DO NOTHING RETURNING id)
				SELECT id, true AS created FROM ins
				UNION ALL SELECT id, false FROM customers WHERE lower(name) = lower(?) LIMIT 1`,
				strings.TrimSpace(j.Customer), j.CustomerActive, strings.TrimSpace(j.Customer)).Scan(ctx, &custID, &created)
			if err != nil {
				return fmt.Errorf("customer %q: %w", j.Customer, err)
			}
			if created {
				res.CustomersCreated++
			}
			var archivedAt any
			if j.Archived {
				archivedAt = time.Now()
			}
			from := strings.ToLower(strings.TrimSpace(j.FromAddress))
			var jobID int64
			var inserted bool
			key := "from_address = ? AND backup_software = ? AND backup_type = ? AND job_name = ?"
			args := []any{from, j.BackupSoftware, j.BackupType, j.JobName}
			switch {
			case from == "" && j.CoveAccountID != nil:
				key, args = "cove_account_id = ?", []any{*j.CoveAccountID}
			case from == "":
				key, args = "id = (SELECT job_id FROM cloud_connect_accounts WHERE user_name = ? AND section = ? AND repo_name = ?)",
					[]any{j.CloudConnect.User, j.CloudConnect.Section, j.CloudConnect.RepoName}
			}
			err = tx.NewRaw("SELECT id, false FROM jobs WHERE "+key, args...).Scan(ctx, &jobID, &inserted)
			switch {
			case err != nil && !errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("job %q: find: %w", j.JobName, err)
			case err == nil:
				_, err = tx.ExecContext(ctx, `
					UPDATE jobs SET customer_id = ?, active = ?, informational = ?, manual_schedule = ?::jsonb,
					       schedule_locked = ?, schedule_grace_minutes = ?,
					       archived_at = CASE WHEN ? THEN coalesce(archived_at, now()) ELSE NULL END, updated_at = now()
					WHERE id = ?`, custID, j.Active, j.Informational, j.ManualSchedule, j.ScheduleLocked, j.GraceMinutes, j.Archived, jobID)
				res.JobsUpdated++
			default:
				var fromArg any
				if from != "" {
					fromArg = from
				}
				err = tx.NewRaw(`
					INSERT INTO jobs (customer_id, job_name, backup_software, backup_type, from_address, cove_account_id,
					                  active, informational, manual_schedule, schedule_locked, schedule_grace_minutes, archived_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?) RETURNING id`,
					custID, j.JobName, j.BackupSoftware, j.BackupType, fromArg, j.CoveAccountID,
					j.Active, j.Informational, j.ManualSchedule, j.ScheduleLocked, j.GraceMinutes, archivedAt).Scan(ctx, &jobID)
				res.JobsCreated++
			}
			if err != nil {
				return fmt.Errorf("job %q: %w", j.JobName, err)
			}
			if j.CloudConnect != nil {
				// The tenant is staged if this installation has not seen it yet, and linked
				// to this job (taken from another job it was linked to).
				if _, err := tx.ExecContext(ctx, "UPDATE cloud_connect_accounts SET job_id = NULL WHERE job_id = ?", jobID); err != nil {
					return fmt.Errorf("job %q: Cloud Connect link: %w", j.JobName, err)
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO cloud_connect_accounts (user_name, section, repo_name, job_id) VALUES (?, ?, ?, ?)
					ON CONFLICT (user_name, section, repo_name) DO UPDATE SET job_id = EXCLUDED.job_id, updated_at = now()`,
					j.CloudConnect.User, j.CloudConnect.Section, j.CloudConnect.RepoName, jobID); err != nil {
					return fmt.Errorf("job %q: Cloud Connect link: %w", j.JobName, err)
				}
				res.CloudConnectLinked++
			}
		}
		return audit.Record(ctx, tx, actor, "jobs.imported", "", map[string]any{
			"customers_created": res.CustomersCreated, "jobs_created": res.JobsCreated, "jobs_updated": res.JobsUpdated,
			"cloud_connect_linked": res.CloudConnectLinked, "format_version": file.Version})
	})
	if err != nil {
		return ImportResult{}, fmt.Errorf("jobs: import: %w", err)
	}
	return res, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
