-- Autotask ticket defaults, picked from the tenant's own picklists, and the cached
-- picklists themselves ({"queueID": [{"value": "…", "label": "…"}, …], …}).
ALTER TABLE system_settings
    ADD COLUMN autotask_queue_id     bigint,
    ADD COLUMN autotask_source_id    bigint,
    ADD COLUMN autotask_priority_id  bigint,
    ADD COLUMN autotask_status_id    bigint,
    ADD COLUMN autotask_reference    jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN autotask_reference_at timestamptz;
