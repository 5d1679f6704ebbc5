-- Statuses in use: the live event log (SSE replay and LISTEN/NOTIFY fan-out), watches, notes, login
-- throttling, auto-away and the organisation's settings.

ALTER TABLE statuses ADD COLUMN auto_away BOOLEAN NOT NULL DEFAULT FALSE;   -- set by presence, not by the person

INSERT INTO status_types (name, colour, icon, presence, needs_return_time, default_expiry_minutes, sort_order, fallback_type_id)
SELECT 'Away', '#757575', 'moon', 'out', FALSE, NULL, 15, id FROM status_types WHERE name = 'In'
ON CONFLICT DO NOTHING;

-- Every change that clients are told about, in order. recipient_id NULL: everyone who may see it.
CREATE TABLE events (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    kind         TEXT NOT NULL CHECK (kind IN ('status', 'note', 'watch')),
    subject_id   BIGINT REFERENCES people (id) ON DELETE CASCADE,
    recipient_id BIGINT REFERENCES people (id) ON DELETE CASCADE,
    payload      JSONB NOT NULL
);
CREATE INDEX events_at_idx ON events (at);

CREATE TABLE watches (
    watcher_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    watched_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    only_in    BOOLEAN NOT NULL DEFAULT FALSE,        -- tell me only when they become In
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (watcher_id, watched_id),
    CHECK (watcher_id <> watched_id)
);
CREATE INDEX watches_watched_idx ON watches (watched_id);

CREATE TABLE notes (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    author_id    BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    body         TEXT NOT NULL CHECK (char_length(body) BETWEEN 1 AND 1000),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at TIMESTAMPTZ
);
CREATE INDEX notes_undelivered_idx ON notes (recipient_id) WHERE delivered_at IS NULL;

-- Failed logins per username and per client address, shared by every server process.
CREATE TABLE login_throttle (
    key             TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at TIMESTAMPTZ NOT NULL,
    blocked_until   TIMESTAMPTZ
);

INSERT INTO settings (key, value) VALUES
    ('organisation', '{"allowHiddenNotes": true, "idleMinutes": 15, "awayType": "Away", "editableFields": ["mobile", "office"]}')
ON CONFLICT (key) DO NOTHING;
