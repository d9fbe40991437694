-- Projections of the intel.* kinds. Every table is keyed by community_id
-- first so a PostgreSQL deployment can shard by community.

-- One row per stored version of a STIX object. added_us is the object's
-- TAXII date_added in microseconds, strictly increasing per community (see
-- intel_heads), so it is both the feed order and the keyset paging key.
CREATE TABLE intel_objects (
    community_id TEXT NOT NULL,
    added_us BIGINT NOT NULL,
    object_id TEXT NOT NULL,
    object_type TEXT NOT NULL,
    version_ns BIGINT NOT NULL,
    version TEXT NOT NULL,
    spec_version TEXT NOT NULL,
    author TEXT NOT NULL,
    seq BIGINT NOT NULL,
    labels TEXT NOT NULL,
    is_latest BIGINT NOT NULL,
    is_first BIGINT NOT NULL,
    object TEXT NOT NULL,
    PRIMARY KEY (community_id, added_us)
);
CREATE UNIQUE INDEX intel_objects_version ON intel_objects (community_id, object_id, version_ns);
CREATE INDEX intel_objects_latest ON intel_objects (community_id, is_latest, added_us);
CREATE INDEX intel_objects_type ON intel_objects (community_id, object_type, added_us);

-- The last date_added handed out per community; never decreases, even when
-- objects are deleted, so a paging token never sees a key reused.
CREATE TABLE intel_heads (
    community_id TEXT PRIMARY KEY NOT NULL,
    last_added_us BIGINT NOT NULL
);

-- What confidence scoring needs about the newest version of each indicator.
CREATE TABLE intel_indicators (
    community_id TEXT NOT NULL,
    object_id TEXT NOT NULL,
    author TEXT NOT NULL,
    kind BIGINT NOT NULL,
    name TEXT NOT NULL,
    pattern TEXT NOT NULL,
    published_confidence BIGINT NOT NULL,
    valid_from_s BIGINT NOT NULL,
    valid_until_s BIGINT NOT NULL,
    revoked BIGINT NOT NULL,
    sightings BIGINT NOT NULL,
    false_positives BIGINT NOT NULL,
    last_sighting_s BIGINT NOT NULL,
    added_us BIGINT NOT NULL,
    PRIMARY KEY (community_id, object_id)
);

-- Sightings, false-positive reports and revocations, for an indicator's history.
CREATE TABLE intel_evidence (
    community_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    object_id TEXT NOT NULL,
    evidence TEXT NOT NULL,
    author TEXT NOT NULL,
    count BIGINT NOT NULL,
    first_seen_s BIGINT NOT NULL,
    last_seen_s BIGINT NOT NULL,
    note TEXT NOT NULL,
    ts_ms BIGINT NOT NULL,
    PRIMARY KEY (community_id, seq)
);
CREATE INDEX intel_evidence_object ON intel_evidence (community_id, object_id, seq);

-- Per-community confidence model (JSON of commons_stix ConfidenceModel).
CREATE TABLE intel_settings (
    community_id TEXT PRIMARY KEY NOT NULL,
    model TEXT NOT NULL
);

-- Local: TAXII status resources of adds made on this node; never in a log.
CREATE TABLE intel_taxii_status (
    status_id TEXT PRIMARY KEY NOT NULL,
    community_id TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    status TEXT NOT NULL
);
