-- Autotask PSA connection (Settings → Integrations). Secrets are AES-GCM ciphertext
-- keyed from APP_SECRET_KEY (app/secrets); NULL = not set.
ALTER TABLE system_settings
    ADD COLUMN autotask_enabled             boolean NOT NULL DEFAULT false,
    ADD COLUMN autotask_environment         text    NOT NULL DEFAULT 'production' CHECK (autotask_environment IN ('sandbox', 'production')),
    ADD COLUMN autotask_username            text    NOT NULL DEFAULT '',
    ADD COLUMN autotask_secret              bytea,
    ADD COLUMN autotask_integration_code    bytea,
    ADD COLUMN autotask_tracking_identifier text    NOT NULL DEFAULT '',
    ADD COLUMN autotask_base_url            text    NOT NULL DEFAULT '',
    -- The last "Test connection": when, and the zone or the error it found.
    ADD COLUMN autotask_checked_at          timestamptz,
    ADD COLUMN autotask_check_result        text    NOT NULL DEFAULT '';
