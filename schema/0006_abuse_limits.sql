-- Abuse limits and housekeeping: notes are counted per author over a recent window (each note is an email),
-- and the maintenance job prunes old throttle rows, ended sessions and delivered events by time.
CREATE INDEX notes_author_recent_idx ON notes (author_id, created_at);
