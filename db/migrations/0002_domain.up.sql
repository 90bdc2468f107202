-- 0002_domain: the domain data model of DESIGN.md section 3 (everything except users,
-- sessions, system_settings, audit_log and login_attempts, which 0001_core creates).
--
-- Conventions:
-- - ids are bigint identities; times are timestamptz (UTC); calendar dates are date.
-- - Statuses are the exact strings the UI shows: a run is 'Success', 'Warning',
--   'Failed', 'Missed' or 'Info' ('Expected' in Daily Jobs is computed, never stored).
-- - ON DELETE: composition rows (a run's objects, a ticket's scopes, ...) CASCADE with
--   their owner; history (runs, review events, ticket/remark run links) is RESTRICT and
--   removed by the app explicitly; references to users are SET NULL (users are
--   deactivated rather than deleted, and a deleted user's rows stay).
-- - Deleting a job is set-based SQL in this FK order (retention of runs: steps 1-3):
--     1. job_run_review_events of its runs
--     2. ticket_job_runs and remark_job_runs of its runs
--     3. job_runs (run_object_links cascade)
--     4. UPDATE mail_messages SET job_id = NULL, location = 'inbox' (back to the Inbox)
--     5. jobs (job_object_links, overrides, ticket/remark scopes cascade;
--        cloud_connect_accounts are unlinked)
-- - No triggers: the per-job summary on jobs is written by the app in the same
--   transaction as the run or review change (DESIGN.md section 6).

-- Trigram indexes for the global search (ILIKE '%...%' on names and subjects).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- status_severity orders run statuses from best to worst, for "worst status first"
-- (Run Checks) and the per-job worst unreviewed status.
CREATE FUNCTION status_severity(status text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT
RETURN CASE status
    WHEN 'Info' THEN 0 WHEN 'Success' THEN 1 WHEN 'Warning' THEN 2
    WHEN 'Missed' THEN 3 WHEN 'Failed' THEN 4 END;

------------------------------------------------------------------------------
-- Customers and jobs
------------------------------------------------------------------------------

-- customers: the MSP's customers; jobs belong to one. Autotask columns hold the
-- customer -> Autotask company mapping and its last checked state.
CREATE TABLE customers (
    id                          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                        text NOT NULL CHECK (btrim(name) <> ''),
    active                      boolean NOT NULL DEFAULT true,
    autotask_company_id         bigint,
    autotask_company_name       text,
    autotask_mapping_status     text CHECK (autotask_mapping_status IN ('ok', 'renamed', 'missing', 'invalid')),
    autotask_mapping_checked_at timestamptz,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX customers_name_key ON customers (lower(name));
CREATE INDEX customers_name_trgm_idx ON customers USING gin (name gin_trgm_ops);

-- cove_accounts: staging of Cove Data Protection accounts seen by the cove_import poll.
-- An account is "linked" when a job carries its account_id in jobs.cove_account_id.
CREATE TABLE cove_accounts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id       bigint NOT NULL,      -- Cove's AccountId
    account_name     text,                 -- Cove device / account name
    computer_name    text,
    partner_name     text,                 -- the Cove customer (partner) the account is under
    os_type          text,                 -- as reported (workstation / server); workstations get no schedule
    data_sources     text,                 -- as reported, e.g. 'Files and folders, System state'
    last_status      text,                 -- Cove's last session status, unmapped
    last_session_at  timestamptz,
    colorbar         text,                 -- Cove's 28-day status colour bar, for the backfill
    statistics       jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(statistics) = 'object'),
    first_seen_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at     timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX cove_accounts_account_id_key ON cove_accounts (account_id);

-- jobs: one backup job of one customer (created by approving an Inbox mail or by an
-- integration). Also holds the schedule (learned and/or set by an admin) and the summary
-- the list pages read instead of aggregating job_runs.
CREATE TABLE jobs (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- RESTRICT: a customer with jobs is never deleted by accident; the app deletes its
    -- jobs first (set-based, in the order above) or refuses.
    customer_id             bigint NOT NULL REFERENCES customers (id) ON DELETE RESTRICT,
    job_name                text NOT NULL,
    backup_software         text NOT NULL,
    backup_type             text NOT NULL,
    -- The sender address of the job's report mails; stored lower-case so the matching
    -- index below is used with a plain equality. NULL for integration jobs.
    from_address            text CHECK (from_address = lower(from_address)),
    -- Cove's AccountId (cove_accounts.account_id). Deliberately no FK: a jobs JSON import
    -- must work before the first Cove poll, and staging rows may be purged.
    cove_account_id         bigint,
    active                  boolean NOT NULL DEFAULT true,
    archived_at             timestamptz,
    -- Informational jobs (Synology Updates, 3CX Update / SSL Certificate, ...) never get a
    -- schedule or missed runs.
    informational           boolean NOT NULL DEFAULT false,

    -- Schedule. Shapes are owned by app/schedule, e.g.
    -- {"kind":"weekly","weekdays":[1,3,5],"time":"22:00"}; NULL = nothing learned/set.
    learned_schedule        jsonb CHECK (jsonb_typeof(learned_schedule) = 'object'),
    schedule_learned_at     timestamptz,
    manual_schedule         jsonb CHECK (jsonb_typeof(manual_schedule) = 'object'),
    -- Locked: manual_schedule applies and a disagreeing learned schedule is only shown.
    schedule_locked         boolean NOT NULL DEFAULT false,
    schedule_grace_minutes  integer CHECK (schedule_grace_minutes >= 0),   -- NULL = default
    CONSTRAINT jobs_locked_schedule_set CHECK (NOT schedule_locked OR manual_schedule IS NOT NULL),

    -- Summary kept up to date on write (same transaction as the run/review change).
    -- Statuses here are effective ones (an override's status when one applied).
    unreviewed_count        integer NOT NULL DEFAULT 0 CHECK (unreviewed_count >= 0),
    worst_unreviewed_status text CHECK (worst_unreviewed_status IN ('Success', 'Warning', 'Failed', 'Missed', 'Info')),
    last_run_at             timestamptz,
    last_run_status         text CHECK (last_run_status IN ('Success', 'Warning', 'Failed', 'Missed', 'Info')),

    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);

-- The mail matching key: sender, software, type, job name. A mail's customer is not
-- known when it is matched, so the key is unique across customers: one report stream
-- belongs to exactly one job (approving a second time processes into that job). Mail
-- jobs only: integration jobs are keyed by cove_account_id / cloud_connect_accounts.job_id.
CREATE UNIQUE INDEX jobs_match_key ON jobs (from_address, backup_software, backup_type, job_name) WHERE from_address IS NOT NULL;
-- Jobs of a customer (Jobs page filter, Customers job count, the customers FK).
CREATE INDEX jobs_customer_id_idx ON jobs (customer_id, job_name);
-- One job per Cove account; the Cove importer finds the job by it.
CREATE UNIQUE INDEX jobs_cove_account_id_key ON jobs (cove_account_id) WHERE cove_account_id IS NOT NULL;
CREATE INDEX jobs_job_name_trgm_idx ON jobs USING gin (job_name gin_trgm_ops);

-- cloud_connect_accounts: staging of Veeam Cloud Connect tenants found by
-- cloud_connect_scan; linked to a job once an admin assigns it.
CREATE TABLE cloud_connect_accounts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    server_name     text NOT NULL DEFAULT '',   -- the Cloud Connect server reporting the tenant
    tenant_name     text NOT NULL,
    -- SET NULL: deleting the job puts the tenant back into staging, unlinked.
    job_id          bigint REFERENCES jobs (id) ON DELETE SET NULL,
    last_status     text,                       -- as reported, unmapped
    last_result_at  timestamptz,
    details         jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(details) = 'object'),
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX cloud_connect_accounts_tenant_key ON cloud_connect_accounts (server_name, tenant_name);
CREATE UNIQUE INDEX cloud_connect_accounts_job_id_key ON cloud_connect_accounts (job_id) WHERE job_id IS NOT NULL;

------------------------------------------------------------------------------
-- Mail
------------------------------------------------------------------------------

-- mail_messages: every imported mail, whatever the source, with its raw MIME, the
-- decoded bodies and the parse result. Never dropped: unparseable mail stays with its
-- parse_error. location is the Inbox state; job_id the job it belongs to.
CREATE TABLE mail_messages (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source                 text NOT NULL CHECK (source IN ('graph', 'imap', 'upload', 'cli')),
    -- The mailbox's id for the message (Graph immutable id; IMAP folder/UIDVALIDITY/UID);
    -- for upload and CLI the SHA-256 of the raw bytes, so the same file is stored once.
    source_id              text,
    message_id             text,                -- Message-ID header, without angle brackets
    size                   bigint NOT NULL CHECK (size >= 0),  -- raw size at the source, bytes
    raw_mime               bytea NOT NULL,      -- for "Download .eml" and cid: images
    -- Attachments over the size limit, left out of raw_mime: [{"filename":..,"size":..}].
    skipped_attachments    jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(skipped_attachments) = 'array'),
    from_address           text,
    subject                text,
    text_body              text,
    html_body              text,                -- as received; sanitised only when shown
    received_at            timestamptz NOT NULL,
    location               text NOT NULL DEFAULT 'inbox' CHECK (location IN ('inbox', 'processed', 'deleted')),
    -- SET NULL: a deleted job's mails go back to the Inbox unlinked (the app also sets
    -- location = 'inbox' first). No CHECK ties location to job_id, so this cannot fail.
    job_id                 bigint REFERENCES jobs (id) ON DELETE SET NULL,
    deleted_at             timestamptz,         -- soft delete (location = 'deleted')
    deleted_by             bigint REFERENCES users (id) ON DELETE SET NULL,

    -- Parse result (the latest parse; "Re-parse all" overwrites it).
    parser_name            text,                -- NULL = no parser matched
    parsed_backup_software text,
    parsed_backup_type     text,
    parsed_job_name        text,
    parsed_status          text CHECK (parsed_status IN ('Success', 'Warning', 'Failed', 'Info')),
    parsed_started_at      timestamptz,
    parsed_ended_at        timestamptz,
    parsed_host            text,
    parsed_message         text,
    parsed_informational   boolean NOT NULL DEFAULT false,
    parse_error            text,
    parsed_at              timestamptz,

    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);

-- Idempotent import: the same mailbox message is stored once ...
CREATE UNIQUE INDEX mail_messages_source_key ON mail_messages (source, source_id) WHERE source_id IS NOT NULL;
-- ... and so is the same mail through another path (issue 3: same Message-ID + size;
-- size too because some appliances reuse one Message-ID for different reports).
CREATE UNIQUE INDEX mail_messages_message_id_key ON mail_messages (message_id, size) WHERE message_id IS NOT NULL;
-- Inbox and Deleted mails pages: unlinked mail by location, newest first.
CREATE INDEX mail_messages_inbox_idx ON mail_messages (location, received_at DESC, id DESC) WHERE job_id IS NULL;
-- Mails of a job (job detail, job delete) and the jobs FK.
CREATE INDEX mail_messages_job_id_idx ON mail_messages (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX mail_messages_subject_trgm_idx ON mail_messages USING gin (subject gin_trgm_ops);

-- mail_objects: the objects the parser found in a mail (shown in the Inbox modal before
-- the mail has a job; copied into customer_objects when it is processed).
CREATE TABLE mail_objects (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- CASCADE: part of the mail's parse result; a re-parse or permanent delete replaces it.
    mail_message_id bigint NOT NULL REFERENCES mail_messages (id) ON DELETE CASCADE,
    object_name     text NOT NULL,
    object_type     text NOT NULL DEFAULT '',
    status          text CHECK (status IN ('Success', 'Warning', 'Failed', 'Info')),
    error_message   text
);

CREATE INDEX mail_objects_mail_message_id_idx ON mail_objects (mail_message_id);

------------------------------------------------------------------------------
-- Overrides (before job_runs, which records the override that applied)
------------------------------------------------------------------------------

-- overrides: rules that treat matching runs as successful. Global (all jobs, optionally
-- one backup software/type) or object level (one job, optionally one object in it);
-- object level wins. Criteria: status, error text (run or object messages), window.
CREATE TABLE overrides (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    level            text NOT NULL CHECK (level IN ('global', 'object')),
    backup_software  text,                   -- global only; NULL = any
    backup_type      text,                   -- global only; NULL = any
    -- CASCADE: an object-level override means nothing without its job.
    job_id           bigint REFERENCES jobs (id) ON DELETE CASCADE,
    object_name      text,                   -- object level; NULL = the whole job
    match_status     text CHECK (match_status IN ('Success', 'Warning', 'Failed', 'Missed', 'Info')),  -- NULL = any
    match_text       text,                   -- NULL or blank = any message
    match_mode       text NOT NULL DEFAULT 'contains' CHECK (match_mode IN ('contains', 'exact', 'starts_with', 'ends_with')),
    valid_from       timestamptz,            -- NULL = since always
    valid_until      timestamptz,            -- NULL = no expiry
    treat_as_success boolean NOT NULL DEFAULT true,
    comment          text,
    created_by       bigint REFERENCES users (id) ON DELETE SET NULL,
    updated_by       bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT overrides_level_target CHECK (
        (level = 'global' AND job_id IS NULL AND object_name IS NULL)
        OR (level = 'object' AND job_id IS NOT NULL AND backup_software IS NULL AND backup_type IS NULL)),
    CONSTRAINT overrides_window_order CHECK (valid_until IS NULL OR valid_from IS NULL OR valid_until > valid_from)
);

CREATE INDEX overrides_job_id_idx ON overrides (job_id) WHERE job_id IS NOT NULL;

------------------------------------------------------------------------------
-- Runs and objects
------------------------------------------------------------------------------

-- job_runs: one run of a job, from any source (mail, Cove, Cloud Connect) or generated
-- as Missed. The review state, the applied override and the Autotask ticket of the run
-- live here. About 7M rows at target scale: keep it narrow.
CREATE TABLE job_runs (
    id                         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- RESTRICT: years of history must never go with a stray DELETE FROM jobs; the app
    -- deletes a job's runs itself, set-based, in the FK order at the top of this file.
    job_id                     bigint NOT NULL REFERENCES jobs (id) ON DELETE RESTRICT,
    status                     text NOT NULL CHECK (status IN ('Success', 'Warning', 'Failed', 'Missed', 'Info')),
    -- NULL means 'email' (the reference system's convention); new rows say 'email'.
    source_type                text CHECK (source_type IN ('email', 'cove_api', 'cloud_connect', 'missed')),
    -- Dedup key, unique per job: 'missed-<job>-<local date>' for missed runs, the source's
    -- own id otherwise (e.g. mail:<mail_messages.id>, Cove account + session).
    external_id                text,
    run_at                     timestamptz NOT NULL,  -- start when known, else received / expected time
    started_at                 timestamptz,
    ended_at                   timestamptz,
    -- SET NULL: mail may be purged (retention, permanent delete) while the run stays.
    mail_message_id            bigint REFERENCES mail_messages (id) ON DELETE SET NULL,
    host                       text,
    message                    text,          -- the run's overall message (override text match)
    remark                     text,          -- free-text note on this run only

    reviewed_at                timestamptz,
    reviewed_by                bigint REFERENCES users (id) ON DELETE SET NULL,

    -- Override: effective status = COALESCE(overridden_status, status). override_id is
    -- NULL for a one-off "Mark as Success" and after the override is deleted (SET NULL:
    -- reviewed runs never change; the app re-evaluates unreviewed ones in that transaction).
    override_id                bigint REFERENCES overrides (id) ON DELETE SET NULL,
    overridden_status          text CHECK (overridden_status IN ('Success', 'Warning', 'Failed', 'Missed', 'Info')),
    overridden_at              timestamptz,
    overridden_by              bigint REFERENCES users (id) ON DELETE SET NULL,

    -- A missed run for which a real run arrived late is marked, not deleted, so its
    -- external_id keeps the slot taken and its review history stays.
    superseded_at              timestamptz,

    -- Autotask ticket created from (or propagated to) this run.
    autotask_ticket_id         bigint,
    autotask_ticket_number     text,
    autotask_ticket_created_at timestamptz,
    autotask_ticket_created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    autotask_ticket_deleted_at timestamptz,   -- the PSA no longer has the ticket

    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT job_runs_missed_status CHECK (source_type IS DISTINCT FROM 'missed' OR status = 'Missed'),
    CONSTRAINT job_runs_superseded_missed_only CHECK (superseded_at IS NULL OR source_type = 'missed')
);
-- The users FKs above have no index: users are deactivated, not deleted, and a rare
-- delete may scan this table.

-- Idempotent run creation: the dedup key is unique per job.
CREATE UNIQUE INDEX job_runs_external_id_key ON job_runs (job_id, external_id) WHERE external_id IS NOT NULL;
-- Run history, last run, heat strip, and the jobs FK.
CREATE INDEX job_runs_job_id_run_at_idx ON job_runs (job_id, run_at DESC);
-- Run Checks: unreviewed runs by job and time (a few thousand of ~7M rows).
CREATE INDEX job_runs_unreviewed_idx ON job_runs (job_id, run_at DESC) WHERE reviewed_at IS NULL;
-- Daily Jobs and Dashboard: all runs of one day.
CREATE INDEX job_runs_run_at_idx ON job_runs (run_at);
-- The run of a mail, and the mail_messages FK (SET NULL on purge).
CREATE INDEX job_runs_mail_message_id_idx ON job_runs (mail_message_id) WHERE mail_message_id IS NOT NULL;
-- Re-evaluation of an override's runs, and the overrides FK.
CREATE INDEX job_runs_override_id_idx ON job_runs (override_id) WHERE override_id IS NOT NULL;
-- Autotask: the job's most recent ticket (propagation) and sync by ticket id.
CREATE INDEX job_runs_autotask_job_idx ON job_runs (job_id, run_at DESC) WHERE autotask_ticket_id IS NOT NULL;
CREATE INDEX job_runs_autotask_ticket_id_idx ON job_runs (autotask_ticket_id) WHERE autotask_ticket_id IS NOT NULL;

-- customer_objects: the things a customer's backups protect (VMs, servers, mailboxes,
-- shares, ...), one row per name and type, shared by the customer's jobs.
CREATE TABLE customer_objects (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- CASCADE: objects are part of the customer; its jobs (and so every link to these
    -- objects) are already gone when a customer can be deleted.
    customer_id   bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    object_name   text NOT NULL,
    object_type   text NOT NULL DEFAULT '',
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX customer_objects_key ON customer_objects (customer_id, object_name, object_type);

-- job_object_links: which objects a job backs up (job detail "objects").
CREATE TABLE job_object_links (
    -- CASCADE (both): a pure link, meaningless without either side.
    job_id             bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    customer_object_id bigint NOT NULL REFERENCES customer_objects (id) ON DELETE CASCADE,
    first_seen_at      timestamptz NOT NULL DEFAULT now(),
    last_seen_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, customer_object_id)
);

CREATE INDEX job_object_links_customer_object_id_idx ON job_object_links (customer_object_id);

-- run_object_links: an object's result in one run (run modal objects table).
CREATE TABLE run_object_links (
    -- CASCADE: part of the run; goes when the app deletes the run.
    job_run_id         bigint NOT NULL REFERENCES job_runs (id) ON DELETE CASCADE,
    -- RESTRICT: an object that runs refer to is run history and is not pruned.
    customer_object_id bigint NOT NULL REFERENCES customer_objects (id) ON DELETE RESTRICT,
    status             text CHECK (status IN ('Success', 'Warning', 'Failed', 'Info')),
    error_message      text,
    PRIMARY KEY (job_run_id, customer_object_id)
);

CREATE INDEX run_object_links_customer_object_id_idx ON run_object_links (customer_object_id);

-- job_run_review_events: every review and unreview of a run (who, when, what); shown in
-- job history. Like audit_log, actor_name is copied so the trail survives a deleted user.
CREATE TABLE job_run_review_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- RESTRICT: audit trail never cascades away; the app deletes it explicitly only when
    -- it deletes the run itself (job delete, retention).
    job_run_id bigint NOT NULL REFERENCES job_runs (id) ON DELETE RESTRICT,
    action     text NOT NULL CHECK (action IN ('reviewed', 'unreviewed')),
    actor_id   bigint REFERENCES users (id) ON DELETE SET NULL,
    actor_name text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX job_run_review_events_job_run_id_idx ON job_run_review_events (job_run_id, created_at);

------------------------------------------------------------------------------
-- Tickets and remarks
------------------------------------------------------------------------------

-- tickets: internal tickets (generated code T<YYYYMMDD>.<NNNN> or a typed one, e.g. the
-- Autotask ticket number). Scopes say which jobs new runs inherit them on.
CREATE TABLE tickets (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_code        text NOT NULL CHECK (btrim(ticket_code) <> ''),
    description        text NOT NULL DEFAULT '',
    active_from_date   date,
    start_date         date,
    resolved_at        timestamptz,
    resolved_by        bigint REFERENCES users (id) ON DELETE SET NULL,
    autotask_ticket_id bigint,               -- set when the ticket mirrors an Autotask ticket
    created_by         bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX tickets_ticket_code_key ON tickets (ticket_code);
CREATE UNIQUE INDEX tickets_autotask_ticket_id_key ON tickets (autotask_ticket_id) WHERE autotask_ticket_id IS NOT NULL;

-- ticket_scopes: what a ticket covers (a job, a whole customer, or an object), each
-- with its own resolved_at. A scope is unresolved while
-- COALESCE(ticket_scopes.resolved_at, tickets.resolved_at) IS NULL.
CREATE TABLE ticket_scopes (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- CASCADE: scopes are part of the ticket and of their target; the ticket's run links
    -- (its history) are not touched by losing a scope.
    ticket_id          bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    scope_type         text NOT NULL CHECK (scope_type IN ('job', 'customer', 'object')),
    job_id             bigint REFERENCES jobs (id) ON DELETE CASCADE,
    customer_id        bigint REFERENCES customers (id) ON DELETE CASCADE,
    customer_object_id bigint REFERENCES customer_objects (id) ON DELETE CASCADE,
    resolved_at        timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    -- Exactly one target; an object scope may name the job the object is in.
    CONSTRAINT ticket_scopes_one_target CHECK (
        (scope_type = 'job' AND job_id IS NOT NULL AND customer_id IS NULL AND customer_object_id IS NULL)
        OR (scope_type = 'customer' AND customer_id IS NOT NULL AND job_id IS NULL AND customer_object_id IS NULL)
        OR (scope_type = 'object' AND customer_object_id IS NOT NULL AND customer_id IS NULL))
);

CREATE UNIQUE INDEX ticket_scopes_key ON ticket_scopes (ticket_id, scope_type, job_id, customer_id, customer_object_id) NULLS NOT DISTINCT;
-- Unresolved scopes per job / customer / object (resolved_at IS NULL is an index
-- condition), and the FKs.
CREATE INDEX ticket_scopes_job_id_idx ON ticket_scopes (job_id, resolved_at) WHERE job_id IS NOT NULL;
CREATE INDEX ticket_scopes_customer_id_idx ON ticket_scopes (customer_id, resolved_at) WHERE customer_id IS NOT NULL;
CREATE INDEX ticket_scopes_customer_object_id_idx ON ticket_scopes (customer_object_id, resolved_at) WHERE customer_object_id IS NOT NULL;

-- ticket_job_runs: the runs a ticket is linked to (made when the run was created while
-- the ticket was unresolved, or by hand). Old links stay after resolution.
CREATE TABLE ticket_job_runs (
    -- CASCADE: deleting a ticket (an explicit act) takes its links.
    ticket_id  bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    -- RESTRICT: links are the ticket's audit trail; the app deletes them explicitly
    -- with the run (job delete, retention).
    job_run_id bigint NOT NULL REFERENCES job_runs (id) ON DELETE RESTRICT,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,   -- NULL = propagation
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, job_run_id)
);

CREATE INDEX ticket_job_runs_job_run_id_idx ON ticket_job_runs (job_run_id);

-- remarks: notes that follow a job onto new runs until resolved (like tickets, no code).
CREATE TABLE remarks (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body             text NOT NULL CHECK (btrim(body) <> ''),
    active_from_date date,
    start_date       date,
    resolved_at      timestamptz,
    resolved_by      bigint REFERENCES users (id) ON DELETE SET NULL,
    created_by       bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- remark_scopes: what a remark covers; same rules as ticket_scopes.
CREATE TABLE remark_scopes (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    remark_id          bigint NOT NULL REFERENCES remarks (id) ON DELETE CASCADE,
    scope_type         text NOT NULL CHECK (scope_type IN ('job', 'customer', 'object')),
    job_id             bigint REFERENCES jobs (id) ON DELETE CASCADE,
    customer_id        bigint REFERENCES customers (id) ON DELETE CASCADE,
    customer_object_id bigint REFERENCES customer_objects (id) ON DELETE CASCADE,
    resolved_at        timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    -- Exactly one target; an object scope may name the job the object is in.
    CONSTRAINT remark_scopes_one_target CHECK (
        (scope_type = 'job' AND job_id IS NOT NULL AND customer_id IS NULL AND customer_object_id IS NULL)
        OR (scope_type = 'customer' AND customer_id IS NOT NULL AND job_id IS NULL AND customer_object_id IS NULL)
        OR (scope_type = 'object' AND customer_object_id IS NOT NULL AND customer_id IS NULL))
);

CREATE UNIQUE INDEX remark_scopes_key ON remark_scopes (remark_id, scope_type, job_id, customer_id, customer_object_id) NULLS NOT DISTINCT;
CREATE INDEX remark_scopes_job_id_idx ON remark_scopes (job_id, resolved_at) WHERE job_id IS NOT NULL;
CREATE INDEX remark_scopes_customer_id_idx ON remark_scopes (customer_id, resolved_at) WHERE customer_id IS NOT NULL;
CREATE INDEX remark_scopes_customer_object_id_idx ON remark_scopes (customer_object_id, resolved_at) WHERE customer_object_id IS NOT NULL;

-- remark_job_runs: the runs a remark is linked to; same rules as ticket_job_runs.
CREATE TABLE remark_job_runs (
    remark_id  bigint NOT NULL REFERENCES remarks (id) ON DELETE CASCADE,
    job_run_id bigint NOT NULL REFERENCES job_runs (id) ON DELETE RESTRICT,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,   -- NULL = propagation
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (remark_id, job_run_id)
);

CREATE INDEX remark_job_runs_job_run_id_idx ON remark_job_runs (job_run_id);

------------------------------------------------------------------------------
-- Feedback (in-app bug reports and feature requests from the product's users)
------------------------------------------------------------------------------

-- feedback_items: one bug report or feature request.
CREATE TABLE feedback_items (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_type   text NOT NULL CHECK (item_type IN ('bug', 'feature')),
    title       text NOT NULL CHECK (btrim(title) <> ''),
    description text NOT NULL DEFAULT '',
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolved_at timestamptz,
    resolved_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_by  bigint REFERENCES users (id) ON DELETE SET NULL,
    deleted_at  timestamptz,                 -- soft delete
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX feedback_items_status_idx ON feedback_items (status, created_at DESC);

-- feedback_votes: one vote per user per item.
CREATE TABLE feedback_votes (
    feedback_item_id bigint NOT NULL REFERENCES feedback_items (id) ON DELETE CASCADE,
    -- CASCADE: a vote is only the user's; it goes with them.
    user_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (feedback_item_id, user_id)
);

CREATE INDEX feedback_votes_user_id_idx ON feedback_votes (user_id);

-- feedback_replies: the discussion under an item.
CREATE TABLE feedback_replies (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    feedback_item_id bigint NOT NULL REFERENCES feedback_items (id) ON DELETE CASCADE,
    body             text NOT NULL CHECK (btrim(body) <> ''),
    created_by       bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX feedback_replies_feedback_item_id_idx ON feedback_replies (feedback_item_id, created_at);

-- feedback_attachments: files (screenshots) on an item or on one of its replies,
-- stored in the database.
CREATE TABLE feedback_attachments (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    feedback_item_id  bigint NOT NULL REFERENCES feedback_items (id) ON DELETE CASCADE,
    feedback_reply_id bigint REFERENCES feedback_replies (id) ON DELETE CASCADE,   -- NULL = on the item
    filename          text NOT NULL,
    content_type      text NOT NULL,
    size              bigint NOT NULL CHECK (size >= 0),
    data              bytea NOT NULL,
    created_by        bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX feedback_attachments_feedback_item_id_idx ON feedback_attachments (feedback_item_id);
CREATE INDEX feedback_attachments_feedback_reply_id_idx ON feedback_attachments (feedback_reply_id) WHERE feedback_reply_id IS NOT NULL;
