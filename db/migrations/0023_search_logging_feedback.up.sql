-- 0023_search_logging_feedback: the global search's trigram indexes, the Logging
-- page's filters and retention, and the feedback board's rules (issue 18).

------------------------------------------------------------------------------
-- Global search (app/search): ILIKE '%term%' on the searched text columns. pg_trgm
-- was created by 0002 with the indexes on customers.name, jobs.job_name and
-- mail_messages.subject; these cover the other searched columns of the tables that
-- grow. Every searched column of a table needs one: the terms are ORed over the
-- columns, and one column without an index makes the planner read the whole table
-- (measured at 10,000 jobs: 50 ms by a scan, 1 ms by BitmapOr/BitmapAnd).
------------------------------------------------------------------------------
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX jobs_backup_software_trgm_idx ON jobs USING gin (backup_software gin_trgm_ops);
CREATE INDEX jobs_backup_type_trgm_idx ON jobs USING gin (backup_type gin_trgm_ops);
CREATE INDEX mail_messages_from_address_trgm_idx ON mail_messages USING gin (from_address gin_trgm_ops);
CREATE INDEX mail_messages_parsed_job_name_trgm_idx ON mail_messages USING gin (parsed_job_name gin_trgm_ops);
CREATE INDEX mail_messages_parsed_backup_software_trgm_idx ON mail_messages USING gin (parsed_backup_software gin_trgm_ops);
CREATE INDEX mail_messages_parsed_backup_type_trgm_idx ON mail_messages USING gin (parsed_backup_type gin_trgm_ops);
-- Run Checks searches the messages of the runs waiting for review: a few thousand of
-- millions of runs, so the index holds those only.
CREATE INDEX job_runs_unreviewed_message_trgm_idx ON job_runs USING gin (message gin_trgm_ops) WHERE reviewed_at IS NULL;
CREATE INDEX tickets_ticket_code_trgm_idx ON tickets USING gin (ticket_code gin_trgm_ops);
CREATE INDEX tickets_description_trgm_idx ON tickets USING gin (description gin_trgm_ops);
CREATE INDEX remarks_body_trgm_idx ON remarks USING gin (body gin_trgm_ops);
CREATE INDEX customer_objects_object_name_trgm_idx ON customer_objects USING gin (object_name gin_trgm_ops);

------------------------------------------------------------------------------
-- Logging (the audit log page): filters by event type and user over a table that
-- grows with every login, and a retention that deletes by age.
------------------------------------------------------------------------------
-- Event type filter (exact action or its prefix) and the list of actions seen (a
-- skip scan over this index, not a scan of the table).
CREATE INDEX audit_log_action_idx ON audit_log (action, at DESC);
-- User filter: by name, since failed logins of unknown users have no actor_id.
CREATE INDEX audit_log_actor_name_idx ON audit_log (lower(actor_name), at DESC);

-- How long audit entries are kept; the audit_cleanup job deletes older ones.
ALTER TABLE system_settings ADD COLUMN audit_retention_days integer NOT NULL DEFAULT 730
    CHECK (audit_retention_days BETWEEN 30 AND 3650);

------------------------------------------------------------------------------
-- Feedback board: items are bugs or ideas, open / planned / done; soft delete by the
-- author or an admin (who it was is kept), permanent delete by an admin afterwards.
------------------------------------------------------------------------------
UPDATE feedback_items SET item_type = 'idea' WHERE item_type = 'feature';
ALTER TABLE feedback_items DROP CONSTRAINT feedback_items_item_type_check;
ALTER TABLE feedback_items ADD CONSTRAINT feedback_items_item_type_check CHECK (item_type IN ('bug', 'idea'));
UPDATE feedback_items SET status = 'done' WHERE status = 'resolved';
ALTER TABLE feedback_items DROP CONSTRAINT feedback_items_status_check;
ALTER TABLE feedback_items ADD CONSTRAINT feedback_items_status_check CHECK (status IN ('open', 'planned', 'done'));
-- resolved_at / resolved_by: when and by whom the item was set to done.
ALTER TABLE feedback_items ADD COLUMN deleted_by bigint REFERENCES users (id) ON DELETE SET NULL;
-- The board: items not deleted, newest first.
CREATE INDEX feedback_items_board_idx ON feedback_items (created_at DESC, id DESC) WHERE deleted_at IS NULL;

-- Attachments are images only, typed by their bytes when stored (app/feedback); the
-- type served is this column, so nothing else may get in.
ALTER TABLE feedback_attachments ADD CONSTRAINT feedback_attachments_image_type
    CHECK (content_type IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp'));
ALTER TABLE feedback_attachments ADD CONSTRAINT feedback_attachments_size_matches CHECK (size = octet_length(data));
