-- A task's worker touches heartbeat_at while it runs. A running task whose heartbeat
-- stopped was interrupted (its process was killed or crashed): the UI says so at once
-- instead of showing it as running until River's rescuer notices the job.
ALTER TABLE background_tasks ADD COLUMN heartbeat_at timestamptz;
