-- Record ids are looked up (duplicate checks, the outbox) through an index
-- on their 32 bytes instead of UNIQUE (community_id, record_id) over two
-- 64-digit hex texts. Record ids are hashes, so every append writes that
-- index at random places: a batch of 1,000 dirtied about 1,100 of its pages
-- (each a 4 KiB WAL frame at commit), against about 500 for this one.
-- A record id is unique across communities too: it hashes the record's
-- encoding, which names the community, and no log accepts a record of
-- another community, so the narrower key refuses exactly what the old one did.
-- SQLite cannot drop a UNIQUE table constraint; the table is rebuilt.

CREATE TABLE log_entries_new (
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
    PRIMARY KEY (community_id, seq)
);
INSERT INTO log_entries_new (community_id, seq, entry_hash, prev_hash, record_id, kind, author,
                             record_ts, appended_ts, record, record_sig, entry_sig)
    SELECT community_id, seq, entry_hash, prev_hash, record_id, kind, author,
           record_ts, appended_ts, record, record_sig, entry_sig
    FROM log_entries ORDER BY community_id, seq;
DROP TABLE log_entries;
ALTER TABLE log_entries_new RENAME TO log_entries;
CREATE UNIQUE INDEX log_entries_record ON log_entries (unhex(record_id));
