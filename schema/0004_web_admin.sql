-- 0004: what the web admin needs: a held sync run can be discarded (kept for the record, never applied).
-- SMTP settings live in `settings` under key 'smtp', their password sealed in `settings.secret`.
ALTER TABLE sync_runs DROP CONSTRAINT sync_runs_state_check;
ALTER TABLE sync_runs ADD CONSTRAINT sync_runs_state_check
    CHECK (state IN ('running', 'succeeded', 'failed', 'held', 'discarded'));
ALTER TABLE sync_runs ADD COLUMN discarded_by TEXT;
ALTER TABLE sync_runs ADD COLUMN discarded_at TIMESTAMPTZ;
