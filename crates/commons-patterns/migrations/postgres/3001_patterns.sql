-- Projections of the patterns.* kinds, keyed by community first, and one
-- local table (pattern_anonymous_authors) that never leaves the home node.

CREATE TABLE patterns (
    community_id TEXT NOT NULL,
    pattern_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    author_key TEXT,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    language TEXT NOT NULL,
    severity TEXT NOT NULL,
    category TEXT NOT NULL,
    performance TEXT NOT NULL,
    security TEXT NOT NULL,
    token_count BIGINT NOT NULL,
    hash_count BIGINT NOT NULL,
    key_epoch BIGINT NOT NULL,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL,
    state_seq BIGINT NOT NULL,
    submitted_ts BIGINT NOT NULL,
    PRIMARY KEY (community_id, pattern_id)
);
CREATE INDEX patterns_state ON patterns (community_id, state, seq);

CREATE TABLE pattern_hashes (
    community_id TEXT NOT NULL,
    hash TEXT NOT NULL,
    pattern_id TEXT NOT NULL,
    PRIMARY KEY (community_id, hash, pattern_id)
);

CREATE TABLE pattern_votes (
    community_id TEXT NOT NULL,
    pattern_id TEXT NOT NULL,
    voter_key TEXT NOT NULL,
    vote BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (community_id, pattern_id, voter_key)
);

CREATE TABLE pattern_approvals (
    community_id TEXT NOT NULL,
    pattern_id TEXT NOT NULL,
    expert_key TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (community_id, pattern_id, expert_key)
);

CREATE TABLE pattern_links (
    community_id TEXT NOT NULL,
    pattern_id TEXT NOT NULL,
    similar_id TEXT NOT NULL,
    PRIMARY KEY (community_id, pattern_id, similar_id)
);

CREATE TABLE pattern_transitions (
    community_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    pattern_id TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL,
    ts BIGINT NOT NULL,
    PRIMARY KEY (community_id, seq)
);
CREATE INDEX pattern_transitions_pattern ON pattern_transitions (community_id, pattern_id, seq);

-- Local: who submitted an anonymous pattern, for moderation on the home node.
CREATE TABLE pattern_anonymous_authors (
    community_id TEXT NOT NULL,
    pattern_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    PRIMARY KEY (community_id, pattern_id)
);
