-- intel_indicators was keyed by (community_id, object_id). STIX ids are
-- random (uuid4), so every new indicator wrote its primary-key index at a
-- random leaf: with two such indexes (this and intel_objects_version) an add
-- of 1,000 indicators dirtied about one page per object once the
-- collection held 100,000. The row is now keyed by the date_added of the
-- indicator's latest version, which new indicators append at the end; it is
-- found by id through intel_objects_version.
CREATE TABLE intel_indicators_by_added (
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
    PRIMARY KEY (community_id, added_us)
);
INSERT INTO intel_indicators_by_added (community_id, object_id, author, kind, name, pattern,
    published_confidence, valid_from_s, valid_until_s, revoked, sightings, false_positives,
    last_sighting_s, added_us)
    SELECT community_id, object_id, author, kind, name, pattern, published_confidence,
        valid_from_s, valid_until_s, revoked, sightings, false_positives, last_sighting_s,
        added_us FROM intel_indicators;
DROP TABLE intel_indicators;
ALTER TABLE intel_indicators_by_added RENAME TO intel_indicators;
