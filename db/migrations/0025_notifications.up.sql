-- 0025_notifications: tell people without them looking (issue 20): channels (mail,
-- Teams, Slack, signed webhook), alert rules (admin rules and each user's own
-- subscription), the candidate alerts recorded with the runs, the daily digest and
-- every delivery with its outcome.

-- notify_channels: where a message goes. url and secret are encrypted (app/secrets):
-- a Teams / Slack webhook URL is a credential in itself.
CREATE TABLE notify_channels (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                 text NOT NULL CHECK (btrim(name) <> ''),
    kind                 text NOT NULL CHECK (kind IN ('email', 'teams', 'slack', 'webhook')),
    recipients           text[] NOT NULL DEFAULT '{}',   -- email
    url                  bytea,                          -- teams, slack, webhook (encrypted)
    secret               bytea,                          -- webhook HMAC key (encrypted)
    -- The daily digest to this channel at this local time (UI timezone); NULL: none.
    digest_time          time,
    enabled              boolean NOT NULL DEFAULT true,
    -- Health: deliveries that failed for good in a row (reset by a success).
    consecutive_failures integer NOT NULL DEFAULT 0,
    last_error           text NOT NULL DEFAULT '',
    last_failure_at      timestamptz,
    last_success_at      timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notify_channels_target CHECK ((kind = 'email' AND cardinality(recipients) > 0) OR (kind <> 'email' AND url IS NOT NULL))
);
CREATE UNIQUE INDEX notify_channels_name_key ON notify_channels (lower(name));

-- notify_rules: which new runs alert whom. An admin rule sends to a channel; a user's
-- subscription (profile page) has user_id set and mails the user's address.
CREATE TABLE notify_rules (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL DEFAULT '',
    channel_id    bigint REFERENCES notify_channels (id) ON DELETE CASCADE,
    user_id       bigint REFERENCES users (id) ON DELETE CASCADE,
    statuses      text[] NOT NULL CHECK (cardinality(statuses) > 0 AND statuses <@ ARRAY['Failed', 'Missed', 'Warning']),
    -- Empty: all customers / any job of them.
    customer_ids  bigint[] NOT NULL DEFAULT '{}',
    job_ids       bigint[] NOT NULL DEFAULT '{}',
    -- Grouping: one message per this many minutes listing every new problem.
    group_minutes integer NOT NULL DEFAULT 15 CHECK (group_minutes BETWEEN 1 AND 1440),
    -- Quiet hours (local, may wrap midnight) and working days (ISO 1 = Monday … 7):
    -- problems found then are held and sent, grouped, when they end.
    quiet_from    time,
    quiet_to      time,
    working_days  smallint[] NOT NULL DEFAULT '{1,2,3,4,5,6,7}' CHECK (working_days <@ ARRAY[1,2,3,4,5,6,7]::smallint[]),
    enabled       boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notify_rules_target CHECK ((channel_id IS NULL) <> (user_id IS NULL)),
    CONSTRAINT notify_rules_quiet CHECK ((quiet_from IS NULL) = (quiet_to IS NULL))
);
CREATE INDEX notify_rules_channel_id_idx ON notify_rules (channel_id) WHERE channel_id IS NOT NULL;
-- One subscription per user.
CREATE UNIQUE INDEX notify_rules_user_id_key ON notify_rules (user_id) WHERE user_id IS NOT NULL;

-- notify_digest_subscriptions: a user's daily digest (profile page), mailed at the
-- local time to the user's address.
CREATE TABLE notify_digest_subscriptions (
    user_id     bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    digest_time time NOT NULL DEFAULT '07:30'
);

-- notify_deliveries: one message to one target and what became of it. The message is
-- rendered when the delivery is made, so every retry sends the same.
CREATE TABLE notify_deliveries (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('alert', 'digest', 'test')),
    channel_id   bigint REFERENCES notify_channels (id) ON DELETE SET NULL,
    user_id      bigint REFERENCES users (id) ON DELETE SET NULL,
    rule_id      bigint REFERENCES notify_rules (id) ON DELETE SET NULL,
    target       text NOT NULL,             -- what it was sent to, for the history ("Teams: On call", "ann@msp")
    subject      text NOT NULL,
    message      jsonb NOT NULL,            -- notify.Message
    -- The digest's local date: one digest per target and day.
    digest_date  date,
    status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'retrying', 'sent', 'failed')),
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz
);
CREATE INDEX notify_deliveries_created_at_idx ON notify_deliveries (created_at DESC, id DESC);
CREATE INDEX notify_deliveries_queued_idx ON notify_deliveries (id) WHERE status = 'queued';
CREATE UNIQUE INDEX notify_deliveries_digest_channel_key ON notify_deliveries (channel_id, digest_date) WHERE kind = 'digest' AND channel_id IS NOT NULL;
CREATE UNIQUE INDEX notify_deliveries_digest_user_key ON notify_deliveries (user_id, digest_date) WHERE kind = 'digest' AND user_id IS NOT NULL;

-- notify_alerts: a new problem run for a rule, recorded in the transaction that
-- created the run (ingest.RunsCreated), so none is lost; the primary key makes a run
-- alert once per rule. delivery_id is set when it went into a message; rows that never
-- will (ticketed, overridden or reviewed meanwhile) get skipped_at.
CREATE TABLE notify_alerts (
    rule_id     bigint NOT NULL REFERENCES notify_rules (id) ON DELETE CASCADE,
    run_id      bigint NOT NULL REFERENCES job_runs (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    delivery_id bigint REFERENCES notify_deliveries (id) ON DELETE SET NULL,
    skipped_at  timestamptz,
    PRIMARY KEY (rule_id, run_id)
);
-- The flush: pending alerts per rule.
CREATE INDEX notify_alerts_pending_idx ON notify_alerts (rule_id, created_at) WHERE delivery_id IS NULL AND skipped_at IS NULL;
CREATE INDEX notify_alerts_run_id_idx ON notify_alerts (run_id);
