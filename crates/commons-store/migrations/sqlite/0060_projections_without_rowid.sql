-- members and invites are only ever read and written by their primary key
-- (community, key). As rowid tables each row lived twice: in the table and
-- in the primary-key index. WITHOUT ROWID keeps one B-tree ordered by the
-- key, which halves the writes of a replay or a batch of invitations.
-- PostgreSQL has no such distinction; its tables stay as they are.

CREATE TABLE members_by_key (
    community_id TEXT NOT NULL,
    member_key TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    since_seq BIGINT NOT NULL,
    PRIMARY KEY (community_id, member_key)
) WITHOUT ROWID;
INSERT INTO members_by_key (community_id, member_key, name, role, status, since_seq)
    SELECT community_id, member_key, name, role, status, since_seq FROM members;
DROP TABLE members;
ALTER TABLE members_by_key RENAME TO members;

CREATE TABLE invites_by_key (
    community_id TEXT NOT NULL,
    invitee_key TEXT NOT NULL,
    inviter_key TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (community_id, invitee_key)
) WITHOUT ROWID;
INSERT INTO invites_by_key (community_id, invitee_key, inviter_key, seq)
    SELECT community_id, invitee_key, inviter_key, seq FROM invites;
DROP TABLE invites;
ALTER TABLE invites_by_key RENAME TO invites;
