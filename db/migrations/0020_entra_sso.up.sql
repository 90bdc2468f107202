-- 0020_entra_sso: sign in with Microsoft Entra ID (issue 16).

-- entra_settings: the Entra sign-in configuration, one row (id = 1) like
-- system_settings, but its own table: only the sign-in pages and the settings section
-- read it, not every request. client_secret is AES-GCM ciphertext keyed from
-- APP_SECRET_KEY. Domains are lower case; groups are Entra object IDs (lower case).
CREATE TABLE entra_settings (
    id                smallint    PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    enabled           boolean     NOT NULL DEFAULT false,
    tenant_id         text        NOT NULL DEFAULT '',
    client_id         text        NOT NULL DEFAULT '',
    client_secret     bytea,
    allowed_domains   text[]      NOT NULL DEFAULT '{}',
    allowed_groups    text[]      NOT NULL DEFAULT '{}',
    auto_provision    boolean     NOT NULL DEFAULT false,
    -- Once sign-in with Entra is on, password sign-in is kept for admins only (the
    -- break-glass accounts); everyone else signs in with Microsoft.
    local_admins_only boolean     NOT NULL DEFAULT false,
    checked_at        timestamptz,
    check_result      text        NOT NULL DEFAULT '',
    updated_at        timestamptz NOT NULL DEFAULT now(),
    updated_by        bigint      REFERENCES users (id) ON DELETE SET NULL
);
INSERT INTO entra_settings (id) VALUES (1);

-- The Entra account a local user is linked to (tenant ID and the account's object ID,
-- the "oid" claim), stored at the first sign-in so that a later rename in Entra still
-- finds the same user. One local user per Entra account.
ALTER TABLE users ADD COLUMN entra_tenant_id text;
ALTER TABLE users ADD COLUMN entra_oid text;
ALTER TABLE users ADD CONSTRAINT users_entra_link_whole CHECK ((entra_tenant_id IS NULL) = (entra_oid IS NULL));
CREATE UNIQUE INDEX users_entra_oid_key ON users (entra_tenant_id, entra_oid) WHERE entra_oid IS NOT NULL;

-- entra_logins: sign-ins under way, between /auth/entra/login and the callback. In the
-- database, not in a replica's memory, so the callback may reach another replica. Each
-- row is used once (deleted when the callback reads it) and lives a few minutes.
-- Only hashes of the state and of the browser binding cookie are kept.
CREATE TABLE entra_logins (
    state_hash    bytea       PRIMARY KEY,
    browser_hash  bytea       NOT NULL,
    goth_session  text        NOT NULL, -- goth's marshalled session (its authorize URL)
    nonce         text        NOT NULL,
    code_verifier text        NOT NULL, -- PKCE
    next          text        NOT NULL DEFAULT '',
    ip            text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX entra_logins_expires_at_idx ON entra_logins (expires_at);
CREATE INDEX entra_logins_ip_idx ON entra_logins (ip, created_at);

-- entra_sessions: the sessions that began with an Entra sign-in, so that logging out
-- continues to Entra's sign-out. Ends with its session.
CREATE TABLE entra_sessions (
    token_hash bytea PRIMARY KEY REFERENCES sessions (token_hash) ON DELETE CASCADE,
    tenant_id  text  NOT NULL,
    login_hint text  NOT NULL DEFAULT ''
);
