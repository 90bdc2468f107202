-- Core tables: users and their sessions, the single settings row, the audit log and
-- login attempts (for throttling). The domain model follows in 0002.

-- users: local accounts. A user may hold several roles and works in one active role at
-- a time (remembered across logins). Users are deactivated, rarely deleted: audit rows
-- keep a copy of the actor's name so they survive a deletion.
CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text        NOT NULL,
    display_name  text        NOT NULL DEFAULT '',
    email         text        NOT NULL DEFAULT '',
    password_hash text        NOT NULL,
    roles         text[]      NOT NULL,
    active_role   text        NOT NULL,
    theme         text        NOT NULL DEFAULT 'auto',
    is_active     boolean     NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz,
    CONSTRAINT users_username_not_blank CHECK (btrim(username) <> ''),
    CONSTRAINT users_roles_valid CHECK (
        cardinality(roles) > 0
        AND roles <@ ARRAY['admin', 'operator', 'viewer', 'reporter']::text[]),
    CONSTRAINT users_active_role_held CHECK (active_role = ANY (roles)),
    CONSTRAINT users_theme_valid CHECK (theme IN ('auto', 'light', 'dark'))
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

-- sessions: server-side login sessions. The cookie carries a random token; only its
-- SHA-256 is stored, so a database dump does not hand out live sessions. Deleting or
-- deactivating a user ends their sessions.
CREATE TABLE sessions (
    token_hash   bytea       PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    ip           text        NOT NULL DEFAULT '',
    user_agent   text        NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

-- system_settings: exactly one row (id = 1). Secret columns (added by later
-- migrations) hold AES-GCM ciphertext keyed from APP_SECRET_KEY.
CREATE TABLE system_settings (
    id                    smallint    PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    ui_timezone           text        NOT NULL DEFAULT 'Europe/Amsterdam',
    login_captcha_enabled boolean     NOT NULL DEFAULT false,
    sandbox_enabled       boolean     NOT NULL DEFAULT false,
    updated_at            timestamptz NOT NULL DEFAULT now(),
    updated_by            bigint      REFERENCES users (id) ON DELETE SET NULL
);
INSERT INTO system_settings (id) VALUES (1);

-- audit_log: who did what, when, from where. actor_name is copied so the trail
-- survives a deleted user (actor_id becomes NULL). details holds old → new values with
-- secrets masked.
CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor_id   bigint      REFERENCES users (id) ON DELETE SET NULL,
    actor_name text        NOT NULL DEFAULT '',
    action     text        NOT NULL,
    target     text        NOT NULL DEFAULT '',
    ip         text        NOT NULL DEFAULT '',
    details    jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at DESC);

-- login_attempts: every login try, kept for a day, for per-account and per-IP
-- throttling that works across replicas.
CREATE TABLE login_attempts (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    username text        NOT NULL,
    ip       text        NOT NULL,
    success  boolean     NOT NULL
);
CREATE INDEX login_attempts_username_idx ON login_attempts (lower(username), at DESC) WHERE NOT success;
CREATE INDEX login_attempts_ip_idx ON login_attempts (ip, at DESC) WHERE NOT success;
CREATE INDEX login_attempts_at_idx ON login_attempts (at);
