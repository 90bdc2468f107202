-- Data retention (Settings → Maintenance): the River job "retention" deletes runs and
-- mails older than retention_years years, in small batches; 0 keeps everything. The
-- last pass's time and result are shown beside the setting.
ALTER TABLE system_settings
    ADD COLUMN retention_years       integer     NOT NULL DEFAULT 0 CHECK (retention_years BETWEEN 0 AND 25),
    ADD COLUMN retention_last_run_at timestamptz,
    ADD COLUMN retention_last_result text        NOT NULL DEFAULT '';

-- The purge and its preview find old mail by date (job_runs has its run_at index).
CREATE INDEX mail_messages_received_at_idx ON mail_messages (received_at);
