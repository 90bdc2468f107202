-- 0021_reports: customer reports (issue 17): saved definitions, their recipients and
-- deliveries, generated files kept for download, and the branding of Settings → Reporting.

-- report_definitions: a saved report: which customers (some, or all), optional job
-- filters, the period and what it shows; optionally delivered on a schedule.
CREATE TABLE report_definitions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             text NOT NULL CHECK (btrim(name) <> ''),
    all_customers    boolean NOT NULL DEFAULT false,
    -- The chosen customers when not all; ids of customers deleted since are ignored.
    customer_ids     bigint[] NOT NULL DEFAULT '{}',
    -- Job filters; empty = any.
    backup_software  text[] NOT NULL DEFAULT '{}',
    backup_types     text[] NOT NULL DEFAULT '{}',
    period           text NOT NULL CHECK (period IN ('yesterday', 'last_7_days', 'last_14_days', 'last_30_days',
                         'last_90_days', 'last_week', 'current_week', 'previous_month', 'current_month',
                         'last_quarter', 'current_quarter', 'previous_year', 'current_year', 'custom')),
    custom_from      date,
    custom_to        date,
    -- Content options.
    show_jobs        boolean NOT NULL DEFAULT true,
    show_grid        boolean NOT NULL DEFAULT true,
    show_trend       boolean NOT NULL DEFAULT true,
    show_failures    boolean NOT NULL DEFAULT true,
    -- Scheduled delivery: none, or after each full week / month / quarter.
    schedule         text NOT NULL DEFAULT 'none' CHECK (schedule IN ('none', 'weekly', 'monthly', 'quarterly')),
    -- The first day of the next period not yet delivered (set when a schedule is set).
    next_period_from date,
    created_by       bigint REFERENCES users (id) ON DELETE SET NULL,
    updated_by       bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT report_definitions_custom_range CHECK (period <> 'custom' OR (custom_from IS NOT NULL AND custom_to >= custom_from)),
    CONSTRAINT report_definitions_customers CHECK (all_customers OR cardinality(customer_ids) > 0)
);
CREATE UNIQUE INDEX report_definitions_name_key ON report_definitions (lower(name));
-- The delivery sweep: scheduled definitions.
CREATE INDEX report_definitions_schedule_idx ON report_definitions (next_period_from) WHERE schedule <> 'none';

-- report_recipients: who receives a scheduled report. customer_id names the customer
-- whose PDF the address receives; NULL is an MSP copy that receives every customer's.
CREATE TABLE report_recipients (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    definition_id bigint NOT NULL REFERENCES report_definitions (id) ON DELETE CASCADE,
    customer_id   bigint REFERENCES customers (id) ON DELETE CASCADE,
    email         text NOT NULL CHECK (btrim(email) <> '')
);
CREATE UNIQUE INDEX report_recipients_key ON report_recipients (definition_id, customer_id, lower(email)) NULLS NOT DISTINCT;
CREATE INDEX report_recipients_customer_id_idx ON report_recipients (customer_id) WHERE customer_id IS NOT NULL;

-- report_deliveries: one mail of a scheduled report (its history): to whom, how, and
-- what became of it. Retried by its River job; each attempt counts here.
CREATE TABLE report_deliveries (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    definition_id bigint NOT NULL REFERENCES report_definitions (id) ON DELETE CASCADE,
    customer_id   bigint REFERENCES customers (id) ON DELETE SET NULL,   -- NULL: the MSP copy
    customer_name text NOT NULL DEFAULT '',
    recipients    text[] NOT NULL,
    period_from   date NOT NULL,
    period_to     date NOT NULL,
    channel       text NOT NULL CHECK (channel IN ('graph', 'smtp')),
    status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'retrying', 'sent', 'failed')),
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz
);
-- One mail per definition, period and addressee, however often the sweep runs.
CREATE UNIQUE INDEX report_deliveries_key ON report_deliveries (definition_id, period_from, customer_id) NULLS NOT DISTINCT;
CREATE INDEX report_deliveries_history_idx ON report_deliveries (definition_id, created_at DESC);

-- report_files: a generated report kept for download (large reports are built by a
-- River job), removed after the retention period.
CREATE TABLE report_files (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    definition_id bigint REFERENCES report_definitions (id) ON DELETE CASCADE,
    task_id       bigint REFERENCES background_tasks (id) ON DELETE SET NULL,
    filename      text NOT NULL,
    content_type  text NOT NULL,
    size          bigint NOT NULL CHECK (size >= 0),
    data          bytea NOT NULL,
    period_from   date NOT NULL,
    period_to     date NOT NULL,
    created_by    bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX report_files_definition_idx ON report_files (definition_id, created_at DESC);
CREATE INDEX report_files_expires_at_idx ON report_files (expires_at);
CREATE UNIQUE INDEX report_files_task_id_key ON report_files (task_id) WHERE task_id IS NOT NULL;

-- report_settings: one row (id = 1): the branding of every report and how scheduled
-- reports are mailed. A separate table rather than more system_settings columns: the
-- logo is a blob that the per-request settings read must not carry.
CREATE TABLE report_settings (
    id                 smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    company_name       text NOT NULL DEFAULT '',
    logo               bytea,                    -- PNG or JPEG, checked on upload
    logo_type          text CHECK (logo_type IN ('image/png', 'image/jpeg')),
    accent_color       text NOT NULL DEFAULT '#1f5fa8' CHECK (accent_color ~ '^#[0-9a-f]{6}$'),
    footer_text        text NOT NULL DEFAULT '',
    -- Delivery: 'graph' sends from the import mailbox of Settings → Imports (the app
    -- registration needs Mail.Send); 'smtp' through the server below.
    delivery_channel   text NOT NULL DEFAULT 'none' CHECK (delivery_channel IN ('none', 'graph', 'smtp')),
    smtp_host          text NOT NULL DEFAULT '',
    smtp_port          integer CHECK (smtp_port BETWEEN 1 AND 65535),
    smtp_security      text NOT NULL DEFAULT 'starttls' CHECK (smtp_security IN ('starttls', 'tls')),
    smtp_username      text NOT NULL DEFAULT '',
    smtp_password      bytea,                    -- encrypted (app/secrets)
    smtp_from          text NOT NULL DEFAULT '',
    file_retention_days integer NOT NULL DEFAULT 7 CHECK (file_retention_days BETWEEN 1 AND 365),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    updated_by         bigint REFERENCES users (id) ON DELETE SET NULL
);
INSERT INTO report_settings (id) VALUES (1);

-- Report generation is a background task. The kinds are named by app/tasks; the check
-- keeps them identifiers rather than listing them, so that areas adding kinds in
-- parallel migrations cannot drop each other's.
ALTER TABLE background_tasks DROP CONSTRAINT background_tasks_kind_check;
ALTER TABLE background_tasks ADD CONSTRAINT background_tasks_kind_check CHECK (kind ~ '^[a-z][a-z_]*$');

