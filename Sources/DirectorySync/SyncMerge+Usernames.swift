import PostgresNIO

/// Usernames: one per person, unique, as the directory gives them. Clashes between entries, names held by people
/// not read (a local account, someone an incremental run did not see) and names freed by leavers are settled here
/// before anything is written, so the merge itself never meets a taken name.
extension SyncMerge {
    /// Entries read after another with the same username were staged and marked (`clashing`): of all the entries
    /// carrying one such name, the person who holds it in Inboard keeps it (and has their changes applied, whatever
    /// order the directory returned them in); with no holder among them, the first one read does. The others are
    /// skipped (kept in `sync_skipped`: still in the directory). Returns the warnings.
    func settleUsernameClashes() async throws -> [String] {
        guard !clashing.isEmpty else { return [] }
        return try await strings(
            """
            WITH clash AS (SELECT unnest(\(clashing)::text[]) AS directory_id),
            names AS (SELECT DISTINCT lower(s.username) AS name FROM sync_people s JOIN clash c USING (directory_id)),
            holders AS (
                SELECT n.name, s.directory_id FROM names n
                JOIN sync_people s ON lower(s.username) = n.name
                JOIN people p ON p.directory_id = s.directory_id AND lower(p.username) = n.name
            ),
            losers AS (
                SELECT s.ctid AS row FROM sync_people s JOIN names n ON lower(s.username) = n.name
                LEFT JOIN holders h ON h.name = n.name
                WHERE CASE WHEN h.directory_id IS NOT NULL THEN s.directory_id <> h.directory_id
                           ELSE EXISTS (SELECT 1 FROM clash c WHERE c.directory_id = s.directory_id) END
            ),
            skipped AS (
                DELETE FROM sync_people s USING losers l WHERE s.ctid = l.row
                RETURNING s.directory_id, s.disabled_reason,
                    'username ' || s.username || ' of ' || s.dn || ' is also carried by another directory entry: skipped' AS warning
            ), kept AS (INSERT INTO sync_skipped SELECT directory_id, disabled_reason, TRUE FROM skipped)
            SELECT warning FROM skipped
            """ as PostgresQuery)
    }

    /// A staged person whose username belongs to someone else: a full run frees it from people who no longer
    /// carry it in the directory (a leaver, or an entry that lost its login attribute: a new hire reusing the
    /// name); a local account, an unchanged person or one still carrying it keeps it, and the staged person is
    /// skipped (kept in `sync_skipped`: not a leaver either). Skipping one may leave the name it held to be
    /// claimed in turn by another staged person, so it repeats until nothing more is skipped.
    /// Leavers are looked for only when `leaversPossible`: a full run with directory people stored (on a first
    /// import nobody can have left, and an incremental run cannot tell who did). Returns the warnings, and
    /// whether any stored person's username was freed (which changes who a `memberUid` names; a staged person
    /// skipped changes nobody stored).
    func freeUsernames(leaversPossible: Bool) async throws -> (warnings: [String], any: Bool) {
        var freed: [String] = []
        if leaversPossible {
            freed = try await strings(
                """
                UPDATE people p SET username = p.username || '~' || p.id
                WHERE p.source = 'directory' AND NOT EXISTS (SELECT 1 FROM sync_people o WHERE o.directory_id = p.directory_id)
                  AND NOT EXISTS (SELECT 1 FROM sync_skipped k WHERE k.directory_id = p.directory_id AND k.claims_username)
                  AND EXISTS (SELECT 1 FROM sync_people s WHERE lower(s.username) = lower(p.username))
                RETURNING 'username ' || split_part(p.username, '~', 1) || ' passed to its new owner from a person who left the directory or no longer carries it'
                """)
        }
        var skipped: [String] = []
        while true {
            let round = try await strings(
                """
                WITH skipped AS (
                    DELETE FROM sync_people s USING people p
                    WHERE lower(p.username) = lower(s.username) AND p.directory_id IS DISTINCT FROM s.directory_id
                      AND NOT EXISTS (SELECT 1 FROM sync_people o WHERE o.directory_id = p.directory_id)
                    RETURNING s.directory_id, s.disabled_reason, 'username ' || s.username || ' of ' || s.dn || ' belongs to ' ||
                        CASE p.source WHEN 'local' THEN 'a local account' ELSE 'another person' END || ': skipped' AS warning
                ), kept AS (INSERT INTO sync_skipped SELECT directory_id, disabled_reason, TRUE FROM skipped)
                SELECT warning FROM skipped
                """ as PostgresQuery)
            if round.isEmpty { break }
            skipped += round
        }
        return (freed + skipped, !freed.isEmpty)
    }

    /// People in the directory whose entries were skipped for their username are disabled and re-enabled as the
    /// directory says, like everyone else (an account disabled at offboarding never stays active for a clash).
    /// An identity also staged (two entries sharing a custom identity attribute) is left to the staged entry.
    func applySkippedPeoplesState() async throws -> (disabled: Int, reenabled: Int) {
        let disabled = try await count(
            """
            UPDATE people p SET active = FALSE, disabled_reason = k.disabled_reason, disabled_at = now(), disabled_by_sync = TRUE
            FROM sync_skipped k WHERE p.directory_id = k.directory_id AND p.active AND k.disabled_reason IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM sync_people s WHERE s.directory_id = k.directory_id)
            RETURNING 1
            """)
        let reenabled = try await count(
            """
            UPDATE people p SET active = TRUE, disabled_reason = NULL, disabled_at = NULL, disabled_by_sync = FALSE
            FROM sync_skipped k WHERE p.directory_id = k.directory_id AND NOT p.active AND p.disabled_by_sync AND k.disabled_reason IS NULL
              AND NOT EXISTS (SELECT 1 FROM sync_people s WHERE s.directory_id = k.directory_id)
            RETURNING 1
            """)
        return (disabled, reenabled)
    }
}
