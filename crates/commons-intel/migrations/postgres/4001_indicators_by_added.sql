-- intel_indicators was keyed by (community_id, object_id). STIX ids are
-- random (uuid4), so every new indicator wrote its primary-key index at a
-- random leaf. The row is now keyed by the date_added of the indicator's
-- latest version, which new indicators append at the end; it is found by id
-- through intel_objects_version.
ALTER TABLE intel_indicators DROP CONSTRAINT intel_indicators_pkey;
ALTER TABLE intel_indicators ADD PRIMARY KEY (community_id, added_us);
