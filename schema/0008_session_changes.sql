-- Servers cache sessions (token → person) to answer without a query per request. The database itself says
-- when what they hold may be wrong, whoever wrote the change (a server, `inboard` on the command line, a sync
-- run elsewhere, plain SQL), with a NOTIFY on inboard_sessions:
--   * a session revoked or changed: its person's id (caches forget that person's sessions);
--   * a person's identity changed (what a session carries: name, email, department, role, active, source),
--     a live session deleted, or a table truncated: an empty payload (caches forget everything). Identical
--     payloads are sent once per transaction, so a sync touching 100,000 people sends one.
-- Servers also send 'heartbeat' on the channel to prove their LISTEN connection still hears it.
CREATE FUNCTION inboard_session_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('inboard_sessions', CASE WHEN OLD.person_id = NEW.person_id THEN NEW.person_id::text ELSE '' END);
    RETURN NULL;
END
$$;

CREATE FUNCTION inboard_identities_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('inboard_sessions', '');
    RETURN NULL;
END
$$;

-- Housekeeping deletes only ended sessions, which no cache holds: those deletions say nothing.
CREATE FUNCTION inboard_live_sessions_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM gone WHERE revoked_at IS NULL AND expires_at > now()) THEN
        PERFORM pg_notify('inboard_sessions', '');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER sessions_changed AFTER UPDATE OF revoked_at, expires_at, person_id, token_hash ON sessions
    FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
                       OR OLD.person_id IS DISTINCT FROM NEW.person_id OR OLD.token_hash IS DISTINCT FROM NEW.token_hash)
    EXECUTE FUNCTION inboard_session_changed();
CREATE TRIGGER sessions_deleted AFTER DELETE ON sessions REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION inboard_live_sessions_deleted();
CREATE TRIGGER sessions_truncated AFTER TRUNCATE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION inboard_identities_changed();

CREATE TRIGGER people_identity_changed AFTER UPDATE ON people
    FOR EACH ROW WHEN ((OLD.username, OLD.display_name, OLD.email, OLD.department, OLD.mapped_department, OLD.role,
                        OLD.role_override, OLD.active, OLD.source, OLD.directory_id)
                       IS DISTINCT FROM
                       (NEW.username, NEW.display_name, NEW.email, NEW.department, NEW.mapped_department, NEW.role,
                        NEW.role_override, NEW.active, NEW.source, NEW.directory_id))
    EXECUTE FUNCTION inboard_identities_changed();
CREATE TRIGGER people_deleted_sessions_changed AFTER DELETE OR TRUNCATE ON people
    FOR EACH STATEMENT EXECUTE FUNCTION inboard_identities_changed();
