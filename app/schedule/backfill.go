package schedule

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/app/review"
	"github.com/backupchecks/backupchecks/db"
)

// For a source that brings runs of past days at once (Cove's colour bar backfill):
// the missed runs on those days give way at once, and the jobs' schedules are learned
// from the new history at once, instead of at the next missed-run pass and relearn.

// SupersedeMissed marks open missed runs superseded whose slot now has a real run (the
// rule of GenerateMissedRuns), recounts their jobs' summaries and notifies live views,
// in the caller's transaction. Returns how many it superseded.
func SupersedeMissed(ctx context.Context, idb bun.IDB, now time.Time) (int, error) {
	runIDs, jobIDs, err := supersedeMissedRuns(ctx, idb, now)
	if err != nil {
		return 0, fmt.Errorf("schedule: %w", err)
	}
	if len(runIDs) == 0 {
		return 0, nil
	}
	if err := review.RecountJobSummaries(ctx, idb, jobIDs); err != nil {
		return 0, err
	}
	return len(runIDs), live.Notify(ctx, idb, live.Event{Topic: live.TopicRuns, IDs: runIDs})
}

// LearnJobs learns the schedule of the given jobs now, as Relearn does for every
// learnable job (the same runs, rules and cadence guard); jobs that are not learnable
// (a workstation, an informational job, an inactive one) are left as they are.
func LearnJobs(ctx context.Context, idb bun.IDB, jobIDs []int64, loc *time.Location, now time.Time) error {
	if len(jobIDs) == 0 {
		return nil
	}
	var jobs []struct {
		ID      int64        `bun:"id"`
		Learned *db.Schedule `bun:"learned_schedule"` // the previous one: Learn's cadence guard
		Runs    []int64      `bun:"runs,array"`
	}
	err := idb.NewRaw(`
		SELECT j.id, j.learned_schedule, coalesce(r.runs, '{}') AS runs
		FROM jobs j
		JOIN customers c ON c.id = j.customer_id
		LEFT JOIN LATERAL (
			SELECT array_agg(extract(epoch FROM r.run_at)::bigint ORDER BY r.run_at) AS runs
			FROM job_runs r
			WHERE r.job_id = j.id AND r.run_at >= ? AND r.run_at <= ?
			  AND `+realRun+`
		) r ON true
		WHERE j.id IN (?) AND `+learnableJobs, now.AddDate(0, 0, -HistoryDays-1), now, bun.In(jobIDs)).Scan(ctx, &jobs)
	if err != nil {
		return fmt.Errorf("schedule: learn jobs: read: %w", err)
	}
	for _, j := range jobs {
		runs := make([]time.Time, len(j.Runs))
		for k, s := range j.Runs {
			runs[k] = time.Unix(s, 0)
		}
		s := Learn(runs, loc, now, j.Learned)
		if _, err := idb.NewUpdate().Table("jobs").Set("learned_schedule = ?", s).Set("schedule_learned_at = ?", now).
			Where("id = ?", j.ID).Exec(ctx); err != nil {
			return fmt.Errorf("schedule: learn job %d: store: %w", j.ID, err)
		}
	}
	return nil
}
