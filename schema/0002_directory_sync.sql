-- Directory sync: run records with live progress, the incremental cursor, group mappings' results and a
-- minimal outbox (the notifications issue sends what is queued here).

CREATE TABLE sync_runs (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mode           TEXT NOT NULL CHECK (mode IN ('full', 'incremental')),
    dry_run        BOOLEAN NOT NULL DEFAULT FALSE,
    state          TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'succeeded', 'failed', 'held')),
    trigger        TEXT NOT NULL DEFAULT 'command',       -- command, schedule, api, approval
    requested_by   TEXT,
    started_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at    TIMESTAMPTZ,
    processed      INTEGER NOT NULL DEFAULT 0,            -- live progress: entries read so far
    estimated      INTEGER,                               -- live progress: entries expected
    phase          TEXT NOT NULL DEFAULT 'starting',
    seen           INTEGER NOT NULL DEFAULT 0,
    created        INTEGER NOT NULL DEFAULT 0,
    updated        INTEGER NOT NULL DEFAULT 0,
    moved          INTEGER NOT NULL DEFAULT 0,
    disabled       INTEGER NOT NULL DEFAULT 0,
    reenabled      INTEGER NOT NULL DEFAULT 0,
    groups         INTEGER NOT NULL DEFAULT 0,
    memberships    INTEGER NOT NULL DEFAULT 0,
    active_before  INTEGER,                               -- for the guard's share
    warnings       JSONB NOT NULL DEFAULT '[]'::jsonb,
    errors         JSONB NOT NULL DEFAULT '[]'::jsonb,
    held_reason    TEXT,
    approved_by    TEXT,                                  -- a held run an admin approved
    approved_at    TIMESTAMPTZ,
    approves_run   BIGINT REFERENCES sync_runs (id)       -- the held run this run was approved from
);
CREATE INDEX sync_runs_started_idx ON sync_runs (started_at DESC);

-- Where the last complete run left the directory: entryCSN (OpenLDAP) or uSN + invocationId (AD).
CREATE TABLE sync_cursor (
    id                 BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    flavour            TEXT NOT NULL,
    settings_hash      TEXT NOT NULL,      -- a settings change forces a full run
    entry_csn          TEXT,
    highest_usn        BIGINT,
    invocation_id      TEXT,
    server             TEXT,
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);

ALTER TABLE groups ADD COLUMN role TEXT CHECK (role IN ('user', 'delegate', 'admin'));
ALTER TABLE groups ADD COLUMN department TEXT;
ALTER TABLE groups ADD COLUMN board TEXT;
ALTER TABLE groups ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;

CREATE INDEX people_dn_idx ON people (lower(dn));

-- Notifications waiting to be sent. A NULL recipient means "every admin".
CREATE TABLE outbox (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event       TEXT NOT NULL,
    recipient   BIGINT REFERENCES people (id) ON DELETE CASCADE,
    payload     JSONB NOT NULL DEFAULT '{}'::jsonb,
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'dead')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX outbox_pending_idx ON outbox (created_at) WHERE state = 'pending';

-- Whether the sync disabled this person (and may re-enable them); an admin's local disable is never undone by a sync.
ALTER TABLE people ADD COLUMN disabled_by_sync BOOLEAN NOT NULL DEFAULT FALSE;
-- Department given by a group mapping; shown in place of the directory attribute when set.
ALTER TABLE people ADD COLUMN mapped_department TEXT;

-- Memberships and nesting are written only by the sync, which builds every row from a join with the people
-- and groups of its own transaction. Row-level foreign-key checks cost more than half of a 100,000-person
-- sync, so the cascades are kept as statement-level triggers instead and the foreign keys are dropped.
ALTER TABLE memberships DROP CONSTRAINT memberships_group_id_fkey, DROP CONSTRAINT memberships_person_id_fkey;
ALTER TABLE group_nesting DROP CONSTRAINT group_nesting_parent_id_fkey, DROP CONSTRAINT group_nesting_child_id_fkey;
CREATE INDEX group_nesting_child_idx ON group_nesting (child_id);

CREATE FUNCTION people_deleted_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM memberships m USING gone g WHERE m.person_id = g.id;
    RETURN NULL;
END $$;
CREATE TRIGGER people_deleted AFTER DELETE ON people REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION people_deleted_cascade();

CREATE FUNCTION groups_deleted_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM memberships m USING gone g WHERE m.group_id = g.id;
    DELETE FROM group_nesting n USING gone g WHERE n.parent_id = g.id OR n.child_id = g.id;
    RETURN NULL;
END $$;
CREATE TRIGGER groups_deleted AFTER DELETE ON groups REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION groups_deleted_cascade();
