package schedule

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/db"
)

// RelearnEvery is how old the oldest learned schedule may get before the missed_runs
// job learns all schedules again.
const RelearnEvery = 6 * time.Hour

// relearnBatch is how many jobs one read and one write cover.
const relearnBatch = 500

// learnableJobs is the condition on jobs j (joined to customers c) whose schedule is
// learned: active, not archived, not informational, of an active customer, and not a
// Cove workstation job (backup type containing "workstation": workstations are often
// off or away, so their runs show no schedule worth holding them to; an admin may
// still lock one by hand).
const learnableJobs = `j.active AND c.active AND j.archived_at IS NULL AND NOT j.informational
	AND j.backup_type NOT ILIKE '%workstation%'`

// Relearn learns the schedule of every learnable job from its real runs of the last
// HistoryDays and stores it in jobs.learned_schedule and schedule_learned_at, with the
// previous learned schedule as Learn's cadence guard. It reads and writes a batch of
// jobs at a time (keyset over job id; one query for the runs of the batch, one
// UPDATE … FROM (VALUES …)), so it costs a few queries per 500 jobs, not one per job.
// Returns how many jobs it learned.
func Relearn(ctx context.Context, idb bun.IDB, loc *time.Location, now time.Time) (int, error) {
	type jobRuns struct {
		ID      int64        `bun:"id"`
		Learned *db.Schedule `bun:"learned_schedule"` // the previous one: Learn's cadence guard
		Runs    []int64      `bun:"runs,array"`       // Unix seconds, ascending
	}
	type learned struct {
		ID       int64       `bun:"id"`
		Schedule db.Schedule `bun:"learned_schedule,type:jsonb"`
	}
	total := 0
	var after int64
	for {
		var batch []jobRuns
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
			WHERE j.id > ? AND `+learnableJobs+`
			ORDER BY j.id
			LIMIT ?`, now.AddDate(0, 0, -HistoryDays-1), now, after, relearnBatch).Scan(ctx, &batch)
		if err != nil {
			return total, fmt.Errorf("schedule: relearn: read jobs after %d: %w", after, err)
		}
		if len(batch) == 0 {
			return total, nil
		}
		out := make([]learned, len(batch))
		for i, j := range batch {
			runs := make([]time.Time, len(j.Runs))
			for k, s := range j.Runs {
				runs[k] = time.Unix(s, 0)
			}
			out[i] = learned{ID: j.ID, Schedule: Learn(runs, loc, now, j.Learned)}
		}
		_, err = idb.NewUpdate().
			With("_data", idb.NewValues(&out)).
			TableExpr("jobs AS j").
			TableExpr("_data").
			Set("learned_schedule = _data.learned_schedule").
			Set("schedule_learned_at = ?", now).
			Where("j.id = _data.id").
			Exec(ctx)
		if err != nil {
			return total, fmt.Errorf("schedule: relearn: store jobs %d-%d: %w", batch[0].ID, batch[len(batch)-1].ID, err)
		}
		total += len(batch)
		after = batch[len(batch)-1].ID
		if len(batch) < relearnBatch {
			return total, nil
		}
	}
}

// RelearnDue reports whether a learnable job has no learned schedule yet or one older
// than RelearnEvery, so the periodic job relearns only every few hours and soon after
// a job is created.
func RelearnDue(ctx context.Context, idb bun.IDB, now time.Time) (bool, error) {
	var due bool
	err := idb.NewRaw(`
		SELECT EXISTS (
			SELECT FROM jobs j JOIN customers c ON c.id = j.customer_id
			WHERE `+learnableJobs+`
			  AND (j.schedule_learned_at IS NULL OR j.schedule_learned_at <= ?))`,
		now.Add(-RelearnEvery)).Scan(ctx, &due)
	if err != nil {
		return false, fmt.Errorf("schedule: relearn due: %w", err)
	}
	return due, nil
}
