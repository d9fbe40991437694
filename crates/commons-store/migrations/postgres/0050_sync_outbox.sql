-- Local: records signed on this node for communities it is not home for,
-- waiting to be forwarded to the home node. A row leaves when its record
-- arrives back in the replicated log.
CREATE TABLE sync_outbox (
    community_id TEXT NOT NULL,
    record_id TEXT NOT NULL,
    record TEXT NOT NULL,
    record_sig TEXT NOT NULL,
    created_ts BIGINT NOT NULL,
    PRIMARY KEY (community_id, record_id)
);
