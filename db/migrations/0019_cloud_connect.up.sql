-- 0019_cloud_connect: Veeam Cloud Connect accounts (issue 15).
--
-- A provider's daily Cloud Connect report lists every tenant repository as a row; each
-- row is an account an operator links to a job, and a linked account gets a run per
-- report (job_runs.source_type 'cloud_connect').

-- cloud_connect_accounts was keyed by (server, tenant): one row per tenant. A tenant
-- with a standard and an immutable repository is two accounts, each linked to a job of
-- its own, so the key becomes (user, section, repo name). Nothing wrote the table
-- before (its staging was never built); a row made by hand keeps its tenant as the
-- user of a Backup account, and of two servers' rows for one tenant the linked (else
-- the older) one stays.
DROP INDEX cloud_connect_accounts_tenant_key;
DELETE FROM cloud_connect_accounts a USING cloud_connect_accounts b
WHERE a.tenant_name = b.tenant_name AND a.id <> b.id
  AND ((b.job_id IS NOT NULL AND a.job_id IS NULL) OR ((a.job_id IS NULL) = (b.job_id IS NULL) AND b.id < a.id));
ALTER TABLE cloud_connect_accounts RENAME COLUMN tenant_name TO user_name;
ALTER TABLE cloud_connect_accounts DROP COLUMN server_name, DROP COLUMN details, DROP COLUMN last_status;
ALTER TABLE cloud_connect_accounts
    ADD COLUMN section         text NOT NULL DEFAULT 'Backup' CHECK (section IN ('Backup', 'Replication', 'Agent')),
    -- The cloud repository (Replication: the hardware plan); '' when the row has none.
    ADD COLUMN repo_name       text NOT NULL DEFAULT '',
    -- The latest report's row, as shown and (sizes) in bytes.
    ADD COLUMN repository      text NOT NULL DEFAULT '',   -- the backup repository behind it
    ADD COLUMN machines        text NOT NULL DEFAULT '',   -- "#VM", or Agent "#WS / #Server"
    ADD COLUMN quota_text      text NOT NULL DEFAULT '',
    ADD COLUMN used_text       text NOT NULL DEFAULT '',
    ADD COLUMN free_text       text NOT NULL DEFAULT '',
    ADD COLUMN quota_bytes     bigint CHECK (quota_bytes >= 0),
    ADD COLUMN used_bytes      bigint CHECK (used_bytes >= 0),
    ADD COLUMN free_bytes      bigint CHECK (free_bytes >= 0),
    ADD COLUMN last_active     text NOT NULL DEFAULT '',
    ADD COLUMN last_active_at  timestamptz,                -- last_active read as a time, when it could be
    ADD COLUMN expiry          text NOT NULL DEFAULT '',
    ADD COLUMN colour          text NOT NULL DEFAULT '',   -- the row's background colour
    ADD COLUMN reported_status text CHECK (reported_status IN ('Success', 'Warning', 'Failed')),  -- Veeam's, from the colour
    -- After the quota and inactivity rules (app/cloudconnect), with their message.
    ADD COLUMN status          text CHECK (status IN ('Success', 'Warning', 'Failed')),
    ADD COLUMN message         text NOT NULL DEFAULT '',
    -- SET NULL: the report may be purged; the account keeps its figures.
    ADD COLUMN last_mail_id    bigint REFERENCES mail_messages (id) ON DELETE SET NULL;
COMMENT ON COLUMN cloud_connect_accounts.last_result_at IS 'when the latest report listing the account was received';

CREATE UNIQUE INDEX cloud_connect_accounts_key ON cloud_connect_accounts (user_name, section, repo_name);
-- The accounts page: unlinked first, by user.
CREATE INDEX cloud_connect_accounts_list_idx ON cloud_connect_accounts ((job_id IS NOT NULL), lower(user_name), section, repo_name, id);
CREATE INDEX cloud_connect_accounts_last_mail_id_idx ON cloud_connect_accounts (last_mail_id) WHERE last_mail_id IS NOT NULL;

-- cloud_connect_report_rows: every report's row of every account, as parsed (the run
-- dialog shows a run's own row from here, never the provider's whole mail, which lists
-- the other customers' tenants). Linking an account makes runs from its stored rows.
CREATE TABLE cloud_connect_report_rows (
    -- CASCADE (both): the row is part of its report and of its account.
    mail_message_id bigint NOT NULL REFERENCES mail_messages (id) ON DELETE CASCADE,
    account_id      bigint NOT NULL REFERENCES cloud_connect_accounts (id) ON DELETE CASCADE,
    position        integer NOT NULL,                -- the row's place in the report
    received_at     timestamptz NOT NULL,            -- the report mail's
    report_date     date NOT NULL,                   -- received_at's day in the UI timezone
    -- The run this row makes for a linked account (job_runs.external_id):
    -- vcc-{user}-{section}-{repo slug}-{report date}.
    external_id     text NOT NULL,
    repository      text NOT NULL DEFAULT '',
    machines        text NOT NULL DEFAULT '',
    quota_text      text NOT NULL DEFAULT '',
    used_text       text NOT NULL DEFAULT '',
    free_text       text NOT NULL DEFAULT '',
    quota_bytes     bigint CHECK (quota_bytes >= 0),
    used_bytes      bigint CHECK (used_bytes >= 0),
    free_bytes      bigint CHECK (free_bytes >= 0),
    last_active     text NOT NULL DEFAULT '',
    last_active_at  timestamptz,
    expiry          text NOT NULL DEFAULT '',
    colour          text NOT NULL DEFAULT '',
    reported_status text NOT NULL CHECK (reported_status IN ('Success', 'Warning', 'Failed')),
    status          text NOT NULL CHECK (status IN ('Success', 'Warning', 'Failed')),
    message         text NOT NULL DEFAULT '',
    PRIMARY KEY (mail_message_id, account_id)
);
-- An account's reports (linking makes its runs), and the accounts FK.
CREATE INDEX cloud_connect_report_rows_account_idx ON cloud_connect_report_rows (account_id, received_at);

-- The thresholds of the rules (Settings → Integrations): an account using this share of
-- its quota or more is a Warning (NULL: off); one whose last activity is older than this
-- many days before the report is a Warning although Veeam left its row white (NULL: off).
ALTER TABLE system_settings
    ADD COLUMN cloud_connect_quota_percent integer DEFAULT 90 CHECK (cloud_connect_quota_percent BETWEEN 1 AND 100),
    ADD COLUMN cloud_connect_inactive_days integer CHECK (cloud_connect_inactive_days BETWEEN 1 AND 3650);
