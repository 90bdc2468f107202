-- 0018_cove: Cove Data Protection (issue 14): the connection and import settings, the
-- accounts page's search, backfilled runs and the Cove import task.

-- Settings → Integrations → Cove. The password is AES-GCM ciphertext keyed from
-- APP_SECRET_KEY (app/secrets); NULL = not set. cove_partner_id is what Cove's Login
-- answered for the user (filled in by Test connection and every import).
ALTER TABLE system_settings
    ADD COLUMN cove_enabled                 boolean NOT NULL DEFAULT false,
    ADD COLUMN cove_api_url                 text    NOT NULL DEFAULT 'https://api.backup.management/jsonapi',
    ADD COLUMN cove_username                text    NOT NULL DEFAULT '',
    ADD COLUMN cove_password                bytea,
    ADD COLUMN cove_import_enabled          boolean NOT NULL DEFAULT false,
    ADD COLUMN cove_import_interval_minutes integer NOT NULL DEFAULT 30 CHECK (cove_import_interval_minutes BETWEEN 5 AND 1440),
    ADD COLUMN cove_partner_id              bigint,
    ADD COLUMN cove_checked_at              timestamptz,
    ADD COLUMN cove_check_result            text    NOT NULL DEFAULT '',
    -- The last automatic or manual import, for the interval and the settings page.
    ADD COLUMN cove_last_import_at          timestamptz,
    ADD COLUMN cove_last_import_result      text    NOT NULL DEFAULT '',
    ADD COLUMN cove_last_import_failed      boolean NOT NULL DEFAULT false,
    -- Offline workstations: a linked workstation whose colour bar ends in this many
    -- days without a backup gets a Warning run (Failed from the second threshold).
    ADD COLUMN cove_offline_enabled         boolean NOT NULL DEFAULT false,
    ADD COLUMN cove_offline_warning_days    integer NOT NULL DEFAULT 3 CHECK (cove_offline_warning_days BETWEEN 1 AND 28),
    ADD COLUMN cove_offline_failed_days     integer NOT NULL DEFAULT 7 CHECK (cove_offline_failed_days BETWEEN 1 AND 28),
    ADD CONSTRAINT system_settings_cove_offline_order CHECK (cove_offline_failed_days > cove_offline_warning_days);

-- The Cove import is a background task too ("Run import now").
ALTER TABLE background_tasks DROP CONSTRAINT background_tasks_kind_check,
    ADD CONSTRAINT background_tasks_kind_check CHECK (kind IN ('mail_import', 'mail_reparse', 'cove_import'));

-- A run reconstructed from a source's history (Cove's 28-day colour bar) rather than
-- reported as it happened: it arrives reviewed, and the run dialog says so.
ALTER TABLE job_runs ADD COLUMN backfilled boolean NOT NULL DEFAULT false;

-- cove_accounts: what the import derives from the statistics. session_key is the
-- last session's Unix time as Cove sent it (D09F15, else D09F09): a linked account's
-- run for it is external_id cove-<account_id>-<session_key>. backup_type is Server,
-- Workstation or Microsoft 365 (from I32 and the data sources).
ALTER TABLE cove_accounts
    ADD COLUMN session_key text CHECK (session_key ~ '^[0-9]{1,12}$'),
    ADD COLUMN backup_type text NOT NULL DEFAULT '';

-- The accounts page searches device, computer and customer names as one text.
CREATE INDEX cove_accounts_search_trgm_idx ON cove_accounts
    USING gin ((coalesce(account_name, '') || ' ' || coalesce(computer_name, '') || ' ' || coalesce(partner_name, '')) gin_trgm_ops);
