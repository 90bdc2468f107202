package schedule

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/app/review"
)

// The missed-run rules.
//
// A slot is a local date on which the job's effective schedule expects a run, at the
// expected instant E (schedule_expected_at). The slot is satisfied by any real run
// (not a missed run, not an Info run) of the job in [E − 12h, E + max(grace, 12h)):
// a run 40 minutes late, or one that started early, counts. With the default grace
// the windows of a daily job's consecutive slots touch without overlapping, so one
// run never satisfies two days; a run more than 12 hours late counts for the next
// day (a grace over 12 hours widens the window to match and accepts that overlap).
//
// A slot becomes a Missed run once E + grace has passed without a real run in its
// window, for slots on the last MissedDays local dates (today included), never
// before the job's created_at nor the schedule's since date. A real run that arrives
// later inside the window supersedes the missed run: superseded_at is set, the row
// stays (its external_id keeps the slot taken, so it is never created again, and its
// review history stays), and it no longer counts in the job's summary (unreviewed
// count, worst unreviewed status, last run): see review.RecountJobSummaries. Lists that show
// runs to review should leave out superseded runs (superseded_at IS NULL).
const (
	// MissedDays is how many past local dates (besides today) get missed runs.
	MissedDays = 7
	// DefaultGrace applies when jobs.schedule_grace_minutes is NULL.
	DefaultGrace = 120 * time.Minute
	// EarlyWindow is how long before the expected instant a run still counts, and the
	// least it may come after it.
	EarlyWindow = 12 * time.Hour
	// SupersedeDays is how far back missed runs are checked for a late real run
	// (a Cove backfill brings runs of up to 28 days back).
	SupersedeDays = 35
)

// eligibleJobs selects the jobs that can be expected to run, with their effective
// schedule (s), its time of day (tm) and grace; one argument, the default grace in
// minutes. Eligible are active jobs, not archived, not informational, of an active
// customer, whose effective schedule expects runs at a valid time of day. Cove
// workstation jobs (backup type containing "workstation") are left out unless an
// admin locked a schedule on them: workstations are often off or away, so their gaps
// are no missed backups.
const eligibleJobs = `
	SELECT j.id, j.created_at, e.s, e.s->>'time' AS tm,
	       coalesce(j.schedule_grace_minutes, ?) * interval '1 minute' AS grace
	FROM jobs j
	CROSS JOIN LATERAL (SELECT schedule_effective(j.learned_schedule, j.manual_schedule, j.schedule_locked) AS s) e
	WHERE ` + watchedJob + `
	  AND (j.schedule_locked OR j.backup_type NOT ILIKE '%workstation%')
	  AND e.s->>'kind' IN ('daily', 'weekly', 'monthly_days', 'monthly_nth')
	  AND e.s->>'time' ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'`

// watchedJob is the condition on jobs j for a job whose runs Daily Jobs and missed-run
// generation look at: active, not archived, not informational, of an active customer.
// The customer test is not a join: the planner estimates the job filter at a row or two
// and then joined customers by a scan per job (0.5 s at 10,000 jobs). A hashed list of
// the few inactive customers cannot go that way.
const watchedJob = `j.active AND j.archived_at IS NULL AND NOT j.informational
	  AND j.customer_id NOT IN (SELECT id FROM customers WHERE NOT active)`

// slots is a WITH list ending in slots (job_id, created_at, grace, day, expected_at):
// the expected slots of the eligible jobs on the local dates from the 2nd to the 3rd
// argument in the zone of the 4th (the 1st is eligibleJobs'), never before the job's
// created_at. It is schedule_expected_at spelled out, so the DST rules run once per
// local date and time of day, not once per job.
const slots = `
	eligible AS MATERIALIZED (` + eligibleJobs + `
	), job_days AS MATERIALIZED (
		SELECT e.id AS job_id, e.created_at, e.grace, g.day::date AS day, e.tm
		FROM eligible e
		CROSS JOIN generate_series(?::date, ?::date, interval '1 day') AS g(day)
		WHERE schedule_runs_on(e.s, g.day::date)
	), instants AS MATERIALIZED (
		SELECT day, tm, schedule_local_instant(day + tm::time, ?) AS expected_at
		FROM (SELECT DISTINCT day, tm FROM job_days) x
	), slots AS (
		SELECT d.job_id, d.created_at, d.grace, d.day, i.expected_at
		FROM job_days d JOIN instants i ON i.day = d.day AND i.tm = d.tm
		WHERE i.expected_at >= d.created_at
	)`

func slotArgs(from, to Date, loc *time.Location) []any {
	return []any{graceMinutes(), from.String(), to.String(), loc.String()}
}

// realRun is the condition on job_runs r for a run that satisfies a slot.
const realRun = `r.source_type IS DISTINCT FROM 'missed' AND r.status <> 'Info'`

func graceMinutes() int { return int(DefaultGrace / time.Minute) }

// interval formats d as a PostgreSQL interval.
func interval(d time.Duration) string { return fmt.Sprintf("%d seconds", int64(d/time.Second)) }

// GenerateMissedRuns creates a Missed run for every slot that passed without a real
// run (then ingest.RunsCreated, as for runs of every source), marks missed runs
// superseded whose slot got a late real run and recounts their jobs' summaries, and
// notifies live views; all set-based, in one transaction (a savepoint when idb is one).
// Idempotent: external_id missed-<job>-<local date> is unique per job. Returns how many
// missed runs it created. The rules are above.
func GenerateMissedRuns(ctx context.Context, idb bun.IDB, loc *time.Location, now time.Time) (int, error) {
	today := DateOf(now.In(loc))
	var created int
	err := idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var newIDs []int64
		// The slot's run is looked up with LIMIT 1 in a lateral subquery, so it is one
		// index probe per slot whatever the planner thinks of NOT EXISTS.
		err := tx.NewRaw(`
			WITH `+slots+`
			INSERT INTO job_runs (job_id, status, source_type, external_id, run_at)
			SELECT s.job_id, 'Missed', 'missed', s.external_id, s.expected_at
			FROM (SELECT *, 'missed-' || job_id || '-' || to_char(day::timestamp, 'YYYY-MM-DD') AS external_id FROM slots) s
			LEFT JOIN LATERAL (
				SELECT true AS found
				FROM job_runs r
				WHERE r.job_id = s.job_id
				  AND r.run_at >= s.expected_at - ?::interval
				  AND r.run_at < s.expected_at + greatest(s.grace, ?::interval)
				  AND (`+realRun+` OR r.external_id = s.external_id)
				LIMIT 1) r ON true
			WHERE s.expected_at + s.grace <= ? AND r.found IS NULL
			ON CONFLICT (job_id, external_id) WHERE external_id IS NOT NULL DO NOTHING
			RETURNING id`,
			append(slotArgs(today.AddDays(-MissedDays), today, loc), interval(EarlyWindow), interval(EarlyWindow), now)...).Scan(ctx, &newIDs)
		if err != nil {
			return fmt.Errorf("create missed runs: %w", err)
		}
		created = len(newIDs)
		if err := ingest.RunsCreated(ctx, tx, newIDs); err != nil {
			return err
		}
		superseded, jobIDs, err := supersedeMissedRuns(ctx, tx, now)
		if err != nil {
			return err
		}
		if len(superseded) == 0 {
			return nil
		}
		if err := review.RecountJobSummaries(ctx, tx, jobIDs); err != nil {
			return err
		}
		return live.Notify(ctx, tx, live.Event{Topic: live.TopicRuns, IDs: superseded})
	})
	if err != nil {
		return 0, fmt.Errorf("schedule: generate missed runs: %w", err)
	}
	return created, nil
}

// supersedeMissedRuns marks open missed runs of the last SupersedeDays superseded when
// a real run is now in their slot's window. Returns the runs and their jobs.
func supersedeMissedRuns(ctx context.Context, idb bun.IDB, now time.Time) (runIDs, jobIDs []int64, err error) {
	var rows []struct {
		ID    int64 `bun:"id"`
		JobID int64 `bun:"job_id"`
	}
	// The late run is looked up with LIMIT 1 per missed run (an index probe), and the
	// outer superseded_at IS NULL is re-checked should another pass have got there first.
	err = idb.NewRaw(`
		UPDATE job_runs m SET superseded_at = ?, updated_at = now()
		FROM (
			SELECT o.id
			FROM job_runs o
			JOIN jobs j ON j.id = o.job_id
			CROSS JOIN LATERAL (
				SELECT FROM job_runs r
				WHERE r.job_id = o.job_id
				  AND r.run_at >= o.run_at - ?::interval
				  AND r.run_at < o.run_at + greatest(coalesce(j.schedule_grace_minutes, ?) * interval '1 minute', ?::interval)
				  AND `+realRun+`
				LIMIT 1) r
			WHERE o.source_type = 'missed' AND o.superseded_at IS NULL
			  AND o.run_at >= ?::timestamptz - ?::interval
		) late
		WHERE m.id = late.id AND m.superseded_at IS NULL
		RETURNING m.id, m.job_id`,
		now, interval(EarlyWindow), graceMinutes(), interval(EarlyWindow), now, fmt.Sprintf("%d days", SupersedeDays)).Scan(ctx, &rows)
	if err != nil {
		return nil, nil, fmt.Errorf("supersede missed runs: %w", err)
	}
	seen := map[int64]bool{}
	for _, r := range rows {
		runIDs = append(runIDs, r.ID)
		if !seen[r.JobID] {
			seen[r.JobID] = true
			jobIDs = append(jobIDs, r.JobID)
		}
	}
	return runIDs, jobIDs, nil
}

// ExpectedRun is a job's expected run on one local date.
type ExpectedRun struct {
	JobID      int64     `bun:"job_id"`
	ExpectedAt time.Time `bun:"expected_at"`
	// MissedAfter is ExpectedAt + grace: without a real run by then, the slot is missed.
	MissedAfter time.Time `bun:"missed_after"`
	// A real run in [WindowStart, WindowEnd) satisfies the slot.
	WindowStart time.Time `bun:"window_start"`
	WindowEnd   time.Time `bun:"window_end"`
}

// ExpectedOn returns the jobs expected to run on local date d in loc, by job id, with
// the same rules as GenerateMissedRuns (one set-based query; the Daily Jobs page joins
// the rest).
func ExpectedOn(ctx context.Context, idb bun.IDB, d Date, loc *time.Location) ([]ExpectedRun, error) {
	var out []ExpectedRun
	err := idb.NewRaw(`
		WITH `+slots+`
		SELECT job_id, expected_at, expected_at + grace AS missed_after,
		       expected_at - ?::interval AS window_start,
		       expected_at + greatest(grace, ?::interval) AS window_end
		FROM slots
		ORDER BY job_id`,
		append(slotArgs(d, d, loc), interval(EarlyWindow), interval(EarlyWindow))...).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("schedule: jobs expected on %s: %w", d, err)
	}
	return out, nil
}
