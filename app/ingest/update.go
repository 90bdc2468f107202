package ingest

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/app/notify/detect"
	"github.com/backupchecks/backupchecks/app/overrides"
	"github.com/backupchecks/backupchecks/app/review"
)

// updateRuns replaces, for the reports at ords that are copies (their job had the run)
// and ask for it (Report.Update), the result of that run: status, times, host,
// message, mail, and its objects (their links are removed here; the caller stores the
// report's). A reviewed run is left as it was reviewed, and its report stays a copy.
// Of several reports of one run, the first in reports wins. Marks the outcomes
// Updated and returns the runs changed.
func updateRuns(ctx context.Context, tx bun.IDB, rows []reportRow, reports []Report, ords []int, out []ReportOutcome) ([]int64, error) {
	type update struct {
		RunID int64 `json:"run_id"`
		reportRow
	}
	var updates []update
	first := map[int64]int{}
	for _, ord := range ords {
		o := out[ord]
		if !reports[ord].Update || o.RunID == 0 {
			continue
		}
		if _, seen := first[o.RunID]; seen {
			continue
		}
		first[o.RunID] = ord
		updates = append(updates, update{RunID: o.RunID, reportRow: rows[ord]})
	}
	if len(updates) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(updates)
	if err != nil {
		return nil, fmt.Errorf("ingest: encode run updates: %w", err)
	}
	var ids []int64
	if err := tx.NewRaw(`
		WITH x AS (
			SELECT * FROM jsonb_to_recordset(?::jsonb) AS x(run_id bigint, status text, started_at timestamptz,
				ended_at timestamptz, received_at timestamptz, host text, message text, time_note text, mail_id bigint)
		), changed AS (
			UPDATE job_runs r SET status = x.status, run_at = least(x.started_at, x.received_at),
				started_at = x.started_at, ended_at = x.ended_at, mail_message_id = x.mail_id,
				host = nullif(x.host, ''), message = nullif(x.message, ''), time_note = nullif(x.time_note, ''),
				updated_at = now()
			FROM x WHERE r.id = x.run_id AND r.reviewed_at IS NULL
			RETURNING r.id
		), unlinked AS (
			DELETE FROM run_object_links l USING changed c WHERE l.job_run_id = c.id
		)
		SELECT id FROM changed ORDER BY id`, string(b)).Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("ingest: update runs: %w", err)
	}
	for _, id := range ids {
		o := &out[first[id]]
		o.Copy, o.Updated = false, true
	}
	return ids, nil
}

// RunsUpdated is the step after runs' results were replaced (their status may have
// changed either way): it applies the override rules to them again, recounts their
// jobs' summaries (which cannot subtract a changed status incrementally) and tells
// live views. Call it in the transaction that changed the runs, with their new objects
// stored.
func RunsUpdated(ctx context.Context, tx bun.IDB, runIDs []int64) error {
	if len(runIDs) == 0 {
		return nil
	}
	if _, err := overrides.Apply(ctx, tx, runIDs); err != nil {
		return err
	}
	var jobIDs []int64
	if err := tx.NewRaw("SELECT DISTINCT job_id FROM job_runs WHERE id IN (?) ORDER BY job_id", bun.In(runIDs)).Scan(ctx, &jobIDs); err != nil {
		return fmt.Errorf("ingest: jobs of updated runs: %w", err)
	}
	if err := review.RecountJobSummaries(ctx, tx, jobIDs); err != nil {
		return err
	}
	// A run whose new result is a problem alerts (once per rule, however often updated).
	if err := detect.Record(ctx, tx, runIDs); err != nil {
		return err
	}
	return live.Notify(ctx, tx, live.Event{Topic: live.TopicRuns, IDs: runIDs})
}
