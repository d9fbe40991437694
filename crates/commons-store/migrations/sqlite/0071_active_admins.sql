-- Every append reads the number of active admins (a record may remove or
-- demote the last one). Without an index that count read every member row
-- of the community; this partial index holds the active admins alone. Its
-- columns repeat the condition: SQLite, without statistics, picks the index
-- with the most equality terms, and with `community_id` alone it took the
-- primary key instead.
CREATE INDEX members_active_admins ON members (community_id, role, status)
    WHERE role = 'admin' AND status = 'active';
