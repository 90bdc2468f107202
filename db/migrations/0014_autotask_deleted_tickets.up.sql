-- A ticket deleted in Autotask resolves its mirrored internal ticket (so it stops
-- following the job onto new runs and is no longer read by every sync); this says why
-- it was resolved.
ALTER TABLE tickets ADD COLUMN autotask_deleted_at timestamptz;
