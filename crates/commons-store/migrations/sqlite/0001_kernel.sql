-- Kernel tables. Every shared table is keyed by community_id first so a
-- PostgreSQL deployment can shard by community.

CREATE TABLE node_meta (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- The logs themselves: the source of truth every projection derives from.
CREATE TABLE log_entries (
    community_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    entry_hash TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    record_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    author TEXT NOT NULL,
    record_ts BIGINT NOT NULL,
    appended_ts BIGINT NOT NULL,
    record TEXT NOT NULL,
    record_sig TEXT NOT NULL,
    entry_sig TEXT NOT NULL,
    PRIMARY KEY (community_id, seq),
    UNIQUE (community_id, record_id)
);

CREATE TABLE log_heads (
    community_id TEXT PRIMARY KEY NOT NULL,
    community_key TEXT NOT NULL,
    next_seq BIGINT NOT NULL,
    head_hash TEXT NOT NULL,
    bytes BIGINT NOT NULL
);

-- Local: secret keys of the communities this node is home for, encrypted.
CREATE TABLE community_secrets (
    community_id TEXT PRIMARY KEY NOT NULL,
    secret_enc TEXT NOT NULL
);

-- Local: public communities followed without membership.
CREATE TABLE follows (
    community_id TEXT PRIMARY KEY NOT NULL,
    since_ts BIGINT NOT NULL
);

-- Projections of the community.* kinds.
CREATE TABLE communities (
    community_id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    visibility TEXT NOT NULL,
    policy TEXT NOT NULL,
    home_node TEXT NOT NULL,
    community_key TEXT NOT NULL,
    created_ts BIGINT NOT NULL
);

CREATE TABLE members (
    community_id TEXT NOT NULL,
    member_key TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    since_seq BIGINT NOT NULL,
    PRIMARY KEY (community_id, member_key)
);

CREATE TABLE invites (
    community_id TEXT NOT NULL,
    invitee_key TEXT NOT NULL,
    inviter_key TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (community_id, invitee_key)
);

-- Local: accounts, sessions, API tokens and the audit trail never enter a log.
CREATE TABLE users (
    user_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    is_admin BIGINT NOT NULL,
    disabled BIGINT NOT NULL,
    public_key TEXT NOT NULL UNIQUE,
    secret_enc TEXT NOT NULL,
    locale TEXT,
    setup_hash TEXT,
    created_ts BIGINT NOT NULL
);

CREATE TABLE sessions (
    session_hash TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_ts BIGINT NOT NULL,
    expires_ts BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    token_id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_ts BIGINT NOT NULL,
    last_used_ts BIGINT,
    revoked_ts BIGINT
);

CREATE TABLE audit (
    audit_id INTEGER PRIMARY KEY,
    ts BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    address TEXT NOT NULL,
    outcome TEXT NOT NULL,
    request_id TEXT NOT NULL
);
CREATE INDEX audit_ts ON audit (ts);
