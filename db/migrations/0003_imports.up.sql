-- Mail import settings (Settings → Imports) and background task progress.

-- The mailbox to import from and how often. Secrets are AES-GCM ciphertext keyed from
-- APP_SECRET_KEY (app/secrets); NULL = not set.
ALTER TABLE system_settings
    ADD COLUMN mail_source                  text    NOT NULL DEFAULT 'none' CHECK (mail_source IN ('none', 'graph', 'imap')),
    ADD COLUMN mail_import_enabled          boolean NOT NULL DEFAULT false,
    ADD COLUMN mail_import_interval_minutes integer NOT NULL DEFAULT 15 CHECK (mail_import_interval_minutes BETWEEN 1 AND 1440),
    ADD COLUMN mail_import_batch_size       integer NOT NULL DEFAULT 50 CHECK (mail_import_batch_size BETWEEN 1 AND 500),
    ADD COLUMN graph_tenant_id              text    NOT NULL DEFAULT '',
    ADD COLUMN graph_client_id              text    NOT NULL DEFAULT '',
    ADD COLUMN graph_client_secret          bytea,
    ADD COLUMN graph_mailbox                text    NOT NULL DEFAULT '',
    ADD COLUMN graph_source_folder          text    NOT NULL DEFAULT 'Inbox',
    ADD COLUMN graph_processed_folder       text    NOT NULL DEFAULT '',
    ADD COLUMN imap_host                    text    NOT NULL DEFAULT '',
    ADD COLUMN imap_port                    integer CHECK (imap_port BETWEEN 1 AND 65535),
    ADD COLUMN imap_security                text    NOT NULL DEFAULT 'tls' CHECK (imap_security IN ('tls', 'starttls', 'none')),
    ADD COLUMN imap_username                text    NOT NULL DEFAULT '',
    ADD COLUMN imap_password                bytea,
    ADD COLUMN imap_folder                  text    NOT NULL DEFAULT 'INBOX',
    ADD COLUMN imap_processed_folder        text    NOT NULL DEFAULT '',
    -- The last automatic or manual import, for the interval and the settings page.
    ADD COLUMN mail_last_import_at          timestamptz,
    ADD COLUMN mail_last_import_result      text    NOT NULL DEFAULT '';

-- background_tasks: long-running work started from the UI (Import now, Re-parse all),
-- with progress that live views show. The River job does the work; this row is what a
-- person sees of it.
CREATE TABLE background_tasks (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text        NOT NULL CHECK (kind IN ('mail_import', 'mail_reparse')),
    status      text        NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    total       integer,                         -- NULL while unknown
    done        integer     NOT NULL DEFAULT 0,
    message     text        NOT NULL DEFAULT '',
    started_by  bigint      REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX background_tasks_kind_idx ON background_tasks (kind, created_at DESC);
