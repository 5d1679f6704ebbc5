-- 0005: the mail outbox grows into a durable queue: retries with back-off, a lease so a row claimed by a
-- process that died is claimed again, a Message-ID fixed per row, and a dead-letter state; people choose
-- which events mail them.
ALTER TABLE outbox DROP CONSTRAINT outbox_state_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_state_check CHECK (state IN ('pending', 'sending', 'sent', 'dead', 'skipped'));
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE outbox ADD COLUMN lease_until TIMESTAMPTZ;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN message_id TEXT;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
ALTER TABLE outbox ADD COLUMN sent_at TIMESTAMPTZ;
DROP INDEX outbox_pending_idx;
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at, id) WHERE state IN ('pending', 'sending');

CREATE TABLE mail_preferences (
    person_id  BIGINT PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    events     JSONB NOT NULL DEFAULT '{}'::jsonb,     -- {"note": false} turns one event's mail off
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
