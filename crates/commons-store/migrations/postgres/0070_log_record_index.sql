-- Record ids are looked up (duplicate checks, the outbox) through an index
-- on their 32 bytes instead of UNIQUE (community_id, record_id) over two
-- 64-digit hex texts, the same key as on SQLite (see its migration 0070):
-- a smaller index, written at random places by every append since record
-- ids are hashes. A record id is unique across communities too: it hashes
-- the record's encoding, which names the community, and no log accepts a
-- record of another community, so the narrower key refuses exactly what the
-- old one did. `unhex` is the name SQLite gives the conversion, so both
-- backends run the same statements.

CREATE FUNCTION unhex(hex TEXT) RETURNS BYTEA
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT decode(hex, 'hex') $$;
CREATE UNIQUE INDEX log_entries_record ON log_entries (unhex(record_id));
ALTER TABLE log_entries DROP CONSTRAINT log_entries_community_id_record_id_key;
