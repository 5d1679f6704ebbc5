import InboardStore
import Foundation
import Logging
import PostgresNIO

/// Run records in `sync_runs`, written outside the sync's own transaction so progress is readable while
/// it runs and a failed run's record survives the rollback.
public struct SyncRunStore: Sendable {
    let database: DatabasePool
    let logger: Logger

    public init(database: DatabasePool, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    static let selectJSON = """
        SELECT json_build_object(
            'id', id, 'mode', mode, 'dryRun', dry_run, 'state', state, 'trigger', trigger,
            'startedAt', extract(epoch FROM started_at), 'finishedAt', extract(epoch FROM finished_at),
            'phase', phase, 'processed', processed, 'estimated', estimated, 'seen', seen, 'created', created,
            'updated', updated, 'moved', moved, 'disabled', disabled, 'reenabled', reenabled, 'groups', groups,
            'memberships', memberships, 'activeBefore', active_before, 'warnings', warnings, 'errors', errors,
            'heldReason', held_reason, 'approvedBy', approved_by, 'approvesRun', approves_run)::text
        FROM sync_runs
        """

    func start(mode: SyncMode, dryRun: Bool, trigger: String, requestedBy: String?, estimated: Int?, approves: Int64?)
        async throws -> Int64
    {
        let rows = try await database.query(
            """
            INSERT INTO sync_runs (mode, dry_run, trigger, requested_by, estimated, approves_run)
            VALUES (\(mode.rawValue), \(dryRun), \(trigger), \(requestedBy), \(estimated), \(approves)) RETURNING id
            """, logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        throw SyncError.internalFailure("no run id returned")
    }

    func progress(_ id: Int64, _ progress: SyncProgress) async throws {
        try await database.query(
            """
            UPDATE sync_runs SET processed = \(progress.processed), estimated = \(progress.estimated), phase = \(progress.phase.rawValue)
            WHERE id = \(id) AND state = 'running'
            """, logger: logger)
    }

    /// Records how a run ended, its mode (the plan may have turned an incremental run into a full one) included;
    /// false when it had ended already (given up and recorded elsewhere).
    @discardableResult
    func finish(_ id: Int64, _ outcome: DirectorySyncer.Outcome, processed: Int) async throws -> Bool {
        var heldReason: String?
        if case let .hold(reason) = outcome.ending { heldReason = reason }
        return try await finish(
            id, mode: outcome.mode, state: heldReason == nil ? .succeeded : .held, processed: processed,
            counts: outcome.counts,
            activeBefore: outcome.activeBefore, warnings: outcome.warnings, errors: [], heldReason: heldReason)
    }

    /// Records run `id` as failed with `error`; false when it had ended already (given up and recorded elsewhere).
    @discardableResult
    func finish(_ id: Int64, failedWith error: String, processed: Int, mode: SyncMode, warnings: [String])
        async throws -> Bool
    {
        try await finish(
            id, mode: mode, state: .failed, processed: processed, counts: SyncCounts(), activeBefore: nil,
            warnings: warnings,
            errors: [error], heldReason: nil)
    }

    /// Only a run still running is finished: one given up and recorded as failed stays so.
    @discardableResult
    private func finish(
        _ id: Int64, mode: SyncMode, state: SyncRun.State, processed: Int, counts: SyncCounts, activeBefore: Int?,
        warnings: [String], errors: [String], heldReason: String?
    ) async throws -> Bool {
        let warningsJSON = String(decoding: try JSONEncoder().encode(warnings), as: UTF8.self)
        let errorsJSON = String(decoding: try JSONEncoder().encode(errors), as: UTF8.self)
        let updated = try await database.query(
            """
            UPDATE sync_runs SET state = \(state.rawValue), mode = \(mode.rawValue), finished_at = clock_timestamp(), phase = 'finished',
                processed = \(processed), seen = \(counts.seen), created = \(counts.created), updated = \(counts.updated), moved = \(counts.moved),
                disabled = \(counts.disabled), reenabled = \(counts.reenabled), groups = \(counts.groups),
                memberships = \(counts.memberships), active_before = \(activeBefore), warnings = \(warningsJSON)::jsonb,
                errors = \(errorsJSON)::jsonb, held_reason = \(heldReason)
            WHERE id = \(id) AND state = 'running' RETURNING id
            """, logger: logger)
        return !updated.rows.isEmpty
    }

    /// Tells the admins by mail (a held or failed run): an outbox row without a recipient goes to every admin.
    func tellAdmins(_ event: String, _ values: [String: Any]) async throws {
        let payload = String(
            decoding: try JSONSerialization.data(withJSONObject: values, options: [.sortedKeys]), as: UTF8.self)
        try await Outbox(database: database, logger: logger).enqueue(event: event, payload: payload)
    }

    /// One sync at a time across every process: an advisory lock held by the run's own connection, so a killed
    /// process releases it with its connection.
    static let lockKey: Int64 = 0x496E_626F_6172_6401

    static func tryLock(on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        for try await locked in try await connection.query("SELECT pg_try_advisory_lock(\(lockKey))", logger: logger)
            .decode(Bool.self)
        {
            return locked
        }
        return false
    }

    static func unlock(on connection: PostgresConnection, logger: Logger) async throws {
        // The lock ended with a closed connection; a statement written to one is never answered (`WatchedConnection`).
        guard !connection.isClosed else { return }
        try await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
    }

    /// Marks a held run discarded (kept, never applied) and audits it; false when `id` is not a held run.
    public func discard(_ id: Int64, by actor: String) async throws -> Bool {
        try await database.withTransaction(logger: logger) { connection in
            var discarded = false
            let rows = try await connection.query(
                """
                UPDATE sync_runs SET state = 'discarded', discarded_by = \(actor), discarded_at = now()
                WHERE id = \(id) AND state = 'held' RETURNING id
                """, logger: logger)
            for try await _ in rows { discarded = true }
            if discarded {
                try await AuditLog.record(
                    AuditEntry(actor: actor, action: "sync.discard", target: "run " + String(id)), on: connection,
                    logger: logger)
            }
            return discarded
        }
    }

    public func run(_ id: Int64) async throws -> SyncRun? {
        try await fetch(PostgresQuery(unsafeSQL: Self.selectJSON + " WHERE id = $1", binds: binds(id))).first
    }

    public func recent(limit: Int = 20) async throws -> [SyncRun] {
        try await fetch(PostgresQuery(unsafeSQL: Self.selectJSON + " ORDER BY id DESC LIMIT $1", binds: binds(limit)))
    }

    /// The newest run that finished as `state` (for schedules and estimates).
    func latest(state: SyncRun.State, mode: SyncMode? = nil) async throws -> SyncRun? {
        var binds = PostgresBindings()
        binds.append(state.rawValue, context: .default)
        binds.append(mode?.rawValue, context: .default)
        return try await fetch(
            PostgresQuery(
                unsafeSQL: Self.selectJSON
                    + " WHERE state = $1 AND NOT dry_run AND ($2::text IS NULL OR mode = $2) ORDER BY id DESC LIMIT 1",
                binds: binds)
        ).first
    }

    /// When the newest real (not dry) run of `mode` (any mode when nil) started, whatever its outcome.
    func lastStarted(mode: SyncMode?) async throws -> Date? {
        let rows = try await database.query(
            """
            SELECT extract(epoch FROM max(started_at))::float8 FROM sync_runs
            WHERE NOT dry_run AND (\(mode?.rawValue)::text IS NULL OR mode = \(mode?.rawValue))
            """, logger: logger)
        for try await epoch in rows.decode(Double?.self) { return epoch.map(Date.init(timeIntervalSince1970:)) }
        return nil
    }

    /// Records a held run's approval; only a held run not approved before qualifies.
    func approve(_ id: Int64, by actor: String) async throws -> SyncRun {
        let rows = try await database.query(
            """
            UPDATE sync_runs SET approved_by = \(actor), approved_at = now()
            WHERE id = \(id) AND state = 'held' AND approved_by IS NULL RETURNING id
            """, logger: logger)
        var updated = false
        for try await _ in rows.decode(Int64.self) { updated = true }
        guard updated, let run = try await run(id) else {
            let existing = try await run(id)
            throw SyncError.notApprovable(id: id, state: existing?.state, approvedBy: existing?.approvedBy)
        }
        return run
    }

    /// Marks run `id` failed with `reason` (every running run when nil) unless it has ended already, and tells the
    /// admins of each run it marked, as of any failed run. Whichever records a run's end first wins.
    @discardableResult
    func failRunning(_ id: Int64?, reason: String) async throws -> [Int64] {
        let reasonJSON = String(decoding: try JSONEncoder().encode([reason]), as: UTF8.self)
        let rows = try await database.query(
            """
            UPDATE sync_runs SET state = 'failed', finished_at = clock_timestamp(), phase = 'finished',
                errors = errors || \(reasonJSON)::jsonb
            WHERE state = 'running' AND (\(id)::bigint IS NULL OR id = \(id)) RETURNING id
            """, logger: logger)
        var marked: [Int64] = []
        for try await run in rows.decode(Int64.self) { marked.append(run) }
        for run in marked { try? await tellAdmins("sync.failed", ["run": run, "error": reason]) }
        return marked
    }

    /// Why runs left "running" by a process that died (or lost its connection) failed; they are marked so only
    /// while holding the sync lock.
    static let interrupted =
        "interrupted: the process running it stopped before it finished; nothing it read was applied"

    private func binds(_ value: some PostgresEncodable & Sendable) -> PostgresBindings {
        var binds = PostgresBindings()
        try! binds.append(value)  // encoding an Int64 or a String cannot fail
        return binds
    }

    private func fetch(_ query: PostgresQuery) async throws -> [SyncRun] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        var runs: [SyncRun] = []
        for try await json in try await database.query(query, logger: logger).decode(String.self) {
            runs.append(try decoder.decode(SyncRun.self, from: Data(json.utf8)))
        }
        return runs
    }
}
