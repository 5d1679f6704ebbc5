-- Servers cache sessions (token → person) to answer without a query per request. The database itself says
-- when what they hold may be wrong, whoever wrote the change (a server, `inboard` on the command line, a sync
-- run elsewhere): a NOTIFY on inboard_sessions when a session ends or changes, and when a person's identity
-- (what a session carries: name, email, department, role, active, source) changes. The payload is empty and
-- identical, so a statement touching 100,000 rows sends one notification at its commit.
CREATE FUNCTION inboard_sessions_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('inboard_sessions', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER sessions_changed AFTER UPDATE OF revoked_at, expires_at, person_id, token_hash ON sessions
    FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
                       OR OLD.person_id IS DISTINCT FROM NEW.person_id OR OLD.token_hash IS DISTINCT FROM NEW.token_hash)
    EXECUTE FUNCTION inboard_sessions_changed();
CREATE TRIGGER sessions_deleted AFTER DELETE OR TRUNCATE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION inboard_sessions_changed();

CREATE TRIGGER people_identity_changed AFTER UPDATE ON people
    FOR EACH ROW WHEN ((OLD.username, OLD.display_name, OLD.email, OLD.department, OLD.mapped_department, OLD.role,
                        OLD.role_override, OLD.active, OLD.source, OLD.directory_id)
                       IS DISTINCT FROM
                       (NEW.username, NEW.display_name, NEW.email, NEW.department, NEW.mapped_department, NEW.role,
                        NEW.role_override, NEW.active, NEW.source, NEW.directory_id))
    EXECUTE FUNCTION inboard_sessions_changed();
CREATE TRIGGER people_deleted_sessions_changed AFTER DELETE OR TRUNCATE ON people
    FOR EACH STATEMENT EXECUTE FUNCTION inboard_sessions_changed();
