-- Key epochs and opt-in match counts (projections of patterns.rotate and
-- patterns.counts), and two local tables that never leave this node: the
-- scan roots registered for security alerts and the alerts raised.

CREATE TABLE pattern_key_epochs (
    community_id TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    ts BIGINT NOT NULL,
    PRIMARY KEY (community_id, epoch)
);

-- One row per reporter, pattern and period: a later report of the same
-- period replaces the earlier one.
CREATE TABLE pattern_match_counts (
    community_id TEXT NOT NULL,
    pattern_id TEXT NOT NULL,
    period TEXT NOT NULL,
    reporter_key TEXT NOT NULL,
    matches BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (community_id, pattern_id, period, reporter_key)
);

-- Local: directories re-scanned when a security pattern is accepted.
CREATE TABLE pattern_scan_roots (
    path TEXT NOT NULL PRIMARY KEY,
    added_ts BIGINT NOT NULL
);

-- Local: security alerts, with the places matched as JSON.
CREATE TABLE pattern_notifications (
    notification_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ts BIGINT NOT NULL,
    community_id TEXT NOT NULL,
    pattern_id TEXT NOT NULL,
    title TEXT NOT NULL,
    severity TEXT NOT NULL,
    places TEXT NOT NULL
);
CREATE UNIQUE INDEX pattern_notifications_pattern ON pattern_notifications (community_id, pattern_id);
