-- Housekeeping now prunes the event log by id (from the oldest up to the first event inside the horizon,
-- found along the primary key), so nothing reads events by time any more: the index on `at` only cost every
-- status change one more index entry.
DROP INDEX IF EXISTS events_at_idx;
