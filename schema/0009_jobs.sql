-- Maintenance jobs (status expiry, housekeeping, the sync schedule): every server process offers to run each,
-- and the row decides which one does: a claim moves next_run_at forward in one UPDATE, so exactly one process
-- runs a job at a time across all servers. A claim older than stale_after_seconds (its server died mid-run)
-- may be taken over. The last run's outcome is what the admin Jobs page shows.
CREATE TABLE jobs (
    name                TEXT PRIMARY KEY,
    every_seconds       INTEGER NOT NULL CHECK (every_seconds > 0),
    stale_after_seconds INTEGER NOT NULL CHECK (stale_after_seconds > 0),
    next_run_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    running_on          TEXT,
    running_since       TIMESTAMPTZ,
    last_started_at     TIMESTAMPTZ,
    last_finished_at    TIMESTAMPTZ,
    last_duration_ms    INTEGER,
    last_result         TEXT CHECK (last_result IN ('succeeded', 'failed')),
    last_detail         TEXT,
    last_server         TEXT,
    runs                BIGINT NOT NULL DEFAULT 0
);
