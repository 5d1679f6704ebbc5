-- Inboard's first schema: people and groups synced from the directory, status types and statuses,
-- settings (secrets encrypted by the server before they get here), the audit log and sessions.

CREATE TABLE people (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    directory_id    TEXT UNIQUE,                 -- entryUUID / objectGUID: survives renames and moves; NULL for local accounts
    dn              TEXT,
    username        TEXT NOT NULL,
    display_name    TEXT NOT NULL DEFAULT '',
    given_name      TEXT,
    surname         TEXT,
    email           TEXT,
    phone           TEXT,
    mobile          TEXT,
    title           TEXT,
    department      TEXT,
    office          TEXT,
    manager_dn      TEXT,
    employee_id     TEXT,
    photo           BYTEA,
    role            TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'delegate', 'admin')),
    role_override   TEXT CHECK (role_override IN ('user', 'delegate', 'admin')),
    source          TEXT NOT NULL DEFAULT 'directory' CHECK (source IN ('directory', 'local')),
    password_hash   TEXT,                        -- bcrypt, local accounts only
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    disabled_reason TEXT,                        -- why active is false: deleted, disabled in directory, locally disabled
    disabled_at     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (source = 'local' OR directory_id IS NOT NULL)
);
CREATE UNIQUE INDEX people_username_key ON people (lower(username));
CREATE INDEX people_department_idx ON people (department) WHERE active;
CREATE INDEX people_display_name_idx ON people (lower(display_name));

CREATE TABLE groups (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    directory_id TEXT NOT NULL UNIQUE,
    dn           TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX groups_dn_idx ON groups (lower(dn));

-- Direct group-in-group edges as the directory states them (cycles allowed; resolution detects them).
CREATE TABLE group_nesting (
    parent_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    child_id  BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (parent_id, child_id)
);

-- Person-in-group, direct and through nesting, so that a login reads roles with one indexed query.
CREATE TABLE memberships (
    group_id  BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    direct    BOOLEAN NOT NULL,
    PRIMARY KEY (group_id, person_id)
);
CREATE INDEX memberships_person_idx ON memberships (person_id);

CREATE TABLE status_types (
    id                     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                   TEXT NOT NULL,
    colour                 TEXT NOT NULL CHECK (colour ~ '^#[0-9a-fA-F]{6}$'),
    icon                   TEXT NOT NULL DEFAULT '',
    presence               TEXT NOT NULL CHECK (presence IN ('in', 'out')),
    needs_return_time      BOOLEAN NOT NULL DEFAULT FALSE,
    default_expiry_minutes INTEGER CHECK (default_expiry_minutes > 0),
    fallback_type_id       BIGINT REFERENCES status_types (id),
    sort_order             INTEGER NOT NULL DEFAULT 0,
    active                 BOOLEAN NOT NULL DEFAULT TRUE,
    created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at             TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX status_types_name_key ON status_types (lower(name));

INSERT INTO status_types (name, colour, icon, presence, needs_return_time, default_expiry_minutes, sort_order) VALUES
    ('In',       '#2e7d32', 'check',    'in',  FALSE, NULL, 10),
    ('Out',      '#c62828', 'door',     'out', TRUE,  NULL, 20),
    ('Lunch',    '#ef6c00', 'cutlery',  'out', TRUE,  90,   30),
    ('Meeting',  '#6a1b9a', 'people',   'out', TRUE,  240,  40),
    ('Remote',   '#1565c0', 'house',    'in',  FALSE, NULL, 50),
    ('Vacation', '#00838f', 'sun',      'out', TRUE,  NULL, 60),
    ('Sick',     '#5d4037', 'thermo',   'out', FALSE, NULL, 70);
-- Statuses that expire fall back to "In" unless an admin chooses otherwise.
UPDATE status_types SET fallback_type_id = (SELECT id FROM status_types WHERE name = 'In') WHERE name <> 'In';

-- A person's current status: one row per person.
CREATE TABLE statuses (
    person_id   BIGINT PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    type_id     BIGINT NOT NULL REFERENCES status_types (id),
    note        TEXT CHECK (char_length(note) <= 280),
    note_hidden BOOLEAN NOT NULL DEFAULT FALSE,
    return_at   TIMESTAMPTZ,
    expires_at  TIMESTAMPTZ,
    set_by      BIGINT REFERENCES people (id),
    set_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX statuses_expires_idx ON statuses (expires_at) WHERE expires_at IS NOT NULL;

-- Every change, appended, never updated.
CREATE TABLE status_history (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id   BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    type_id     BIGINT NOT NULL REFERENCES status_types (id),
    note        TEXT,
    note_hidden BOOLEAN NOT NULL DEFAULT FALSE,
    return_at   TIMESTAMPTZ,
    expires_at  TIMESTAMPTZ,
    set_by      BIGINT REFERENCES people (id),
    set_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    source      TEXT                          -- client address or "expiry", "sync", "auto-away"
);
CREATE INDEX status_history_person_idx ON status_history (person_id, set_at DESC);

-- Admin-managed settings; secret values are AES-GCM sealed by the server (never plain text here).
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      JSONB NOT NULL DEFAULT '{}'::jsonb,
    secret     BYTEA,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by TEXT
);

CREATE TABLE audit_log (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor   TEXT NOT NULL,                    -- username, or "system"
    action  TEXT NOT NULL,
    target  TEXT,
    before  JSONB,                            -- secrets masked before they are written
    after   JSONB,
    address TEXT
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);

-- Web sessions and API tokens: only a SHA-256 of the token is stored.
CREATE TABLE sessions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash   BYTEA NOT NULL UNIQUE,
    person_id    BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('web', 'api')),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at   TIMESTAMPTZ,
    address      TEXT,
    user_agent   TEXT
);
CREATE INDEX sessions_person_idx ON sessions (person_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
