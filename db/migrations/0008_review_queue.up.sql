-- The Run Checks queue reads jobs with runs to review, worst first then newest. At the
-- target scale (10,000 jobs) a full scan of jobs per page load was most of the page's
-- cost. The sort key becomes a stored column so that one partial index holds the whole
-- queue in order, with the columns its filters need: an index-only scan of the ~1,000
-- jobs to review instead of a scan of all jobs.
ALTER TABLE jobs
    ADD COLUMN queue_severity integer
        GENERATED ALWAYS AS (status_severity(coalesce(worst_unreviewed_status, last_run_status))) STORED;

CREATE INDEX jobs_review_queue_idx ON jobs (queue_severity DESC NULLS LAST, last_run_at DESC NULLS LAST, id)
    INCLUDE (customer_id, backup_software, backup_type)
    WHERE unreviewed_count > 0 AND archived_at IS NULL;

-- Index-only scans need the visibility map, and every new run and review updates its
-- job's summary: vacuum this small, hot table after ~2% of its rows changed rather than
-- the default 20%.
ALTER TABLE jobs SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);

-- Run Checks' status filter asks whether a job has runs of one
-- status. Nine runs in ten are a success: for the others, one small index finds a job's
-- runs of a status, newest first, without reading the job's years of history.
CREATE INDEX job_runs_not_success_idx ON job_runs (job_id, (coalesce(overridden_status, status)), run_at DESC)
    WHERE coalesce(overridden_status, status) <> 'Success';
