import Foundation
import InboardStore
import LDAPKit
import Logging
import PostgresNIO
import Synchronization

/// What a caller asks of a sync.
public struct SyncRequest: Sendable {
    public var mode: SyncMode
    public var dryRun: Bool
    public var trigger: String
    public var requestedBy: String?
    /// A held run an admin approves: a full run that may disable as many people as that run would have.
    public var approving: Int64?

    public init(
        mode: SyncMode, dryRun: Bool = false, trigger: String = "command", requestedBy: String? = nil,
        approving: Int64? = nil
    ) {
        self.mode = approving == nil ? mode : .full
        self.dryRun = dryRun
        self.trigger = approving == nil ? trigger : "approval"
        self.requestedBy = requestedBy
        self.approving = approving
    }
}

/// Everything one run's steps share.
struct SyncContext: Sendable {
    let settings: DirectorySettings
    let client: LDAPClient
    let logger: Logger
    let progress: SyncProgressBox
    let changedSince: String?
}

/// Runs directory syncs: one at a time across every server process (a PostgreSQL advisory lock held by the
/// run's own connection, so a killed process releases it), streaming entries into staging tables and
/// merging them in one transaction that a failure, a dry run or the mass-disable guard rolls back.
public struct DirectorySyncer: Sendable {

    let database: Database
    let pool: DatabasePool
    let settingsStore: DirectorySettingsStore
    public let runs: SyncRunStore
    let logger: Logger
    /// How often `onProgress` is called (the run record is updated every fourth time).
    let progressInterval: Duration

    public init(
        database: Database, pool: DatabasePool, secrets: SecretBox, logger: Logger,
        progressInterval: Duration = .milliseconds(250)
    ) {
        self.database = database
        self.progressInterval = progressInterval
        self.pool = pool
        settingsStore = DirectorySettingsStore(secrets: secrets, logger: logger)
        runs = SyncRunStore(database: pool, logger: logger)
        self.logger = logger
    }

    /// Runs a sync and returns its record; a run that fails is recorded as failed and its error thrown.
    /// `onProgress` is called every `progressInterval` while it runs.
    /// `onStarted` is told the run's id as soon as its record exists.
    public func run(
        _ request: SyncRequest, onStarted: @escaping @Sendable (Int64) -> Void = { _ in },
        onProgress: @escaping @Sendable (SyncProgress) -> Void = { _ in }
    ) async throws -> SyncRun {
        let started = Mutex<Int64?>(nil)
        do {
            return try await runHoldingTheLock(request, onProgress: onProgress) { id in
                started.withLock { $0 = id }
                onStarted(id)
            }
        } catch let error as DatabaseUnavailable where error.closedUnderLease {
            // A connection closed under a lease and the run was given up there (`WatchedConnection`): if that was
            // its own connection, its bookkeeping may never run, so the record says how it ended here. Whichever
            // records first wins (a run that recorded already, or one whose pool lease was given up and that
            // unwound through its own catch, is left as it is).
            if let id = started.withLock({ $0 }) {
                _ = try? await runs.failRunning(id, reason: Self.connectionLost)
            }
            throw error
        }
    }

    /// Why a run whose own connection closed under it failed. Its merge commits as a whole, so it applied all or
    /// nothing; the next run catches up either way.
    static let connectionLost =
        "the connection to PostgreSQL was lost during the run; the next run applies whatever this one did not"

    private func runHoldingTheLock(
        _ request: SyncRequest, onProgress: @escaping @Sendable (SyncProgress) -> Void,
        onStarted: @escaping @Sendable (Int64) -> Void
    ) async throws -> SyncRun {
        try await database.withConnection { connection in
            guard try await SyncRunStore.tryLock(on: connection, logger: logger) else {
                let running = try await runs.recent(limit: 5).first { $0.state == .running }
                throw SyncError.alreadyRunning(
                    id: running?.id, since: running.map { ISO8601DateFormatter().string(from: $0.startedAt) })
            }
            do {
                let run = try await runLocked(
                    request, connection: connection, onStarted: onStarted, onProgress: onProgress)
                try await SyncRunStore.unlock(on: connection, logger: logger)
                return run
            } catch {
                try? await SyncRunStore.unlock(on: connection, logger: logger)
                throw error
            }
        }
    }

    private func runLocked(
        _ request: SyncRequest, connection: PostgresConnection, onStarted: @Sendable (Int64) -> Void,
        onProgress: @escaping @Sendable (SyncProgress) -> Void
    ) async throws -> SyncRun {
        try await runs.failRunning(nil, reason: SyncRunStore.interrupted)
        guard let settings = try await settingsStore.load(on: connection) else { throw SyncError.notConfigured }
        var approvedDisable: Int?
        if let held = request.approving {
            approvedDisable = try await runs.approve(held, by: request.requestedBy ?? "admin").counts.disabled
        }
        let cursor = try await SyncCursor.load(on: connection, logger: logger)
        let plan = SyncPlan(requested: request.mode, cursor: cursor, settings: settings)
        let estimated = plan.mode == .full ? try await estimateEntries() : nil
        let id = try await runs.start(
            mode: plan.mode, dryRun: request.dryRun, trigger: request.trigger, requestedBy: request.requestedBy,
            estimated: estimated, approves: request.approving)
        onStarted(id)
        let progress = SyncProgressBox(estimated: estimated)
        let reporter = Task { await report(id, progress: progress, onProgress: onProgress) }
        defer { reporter.cancel() }
        // A run given up while it waits (its connection closed under it) stops reporting as well.
        try await withTaskCancellationHandler {
            try await applyAndRecord(
                id: id, request: request, settings: settings, connection: connection, plan: plan, cursor: cursor,
                approvedDisable: approvedDisable, progress: progress, reporter: reporter)
        } onCancel: {
            reporter.cancel()
        }
        guard let record = try await runs.run(id) else { throw SyncError.internalFailure("run \(id) vanished") }
        onProgress(SyncProgress(phase: .finished, processed: record.processed, estimated: record.estimated))
        return record
    }

    private func applyAndRecord(
        id: Int64, request: SyncRequest, settings: DirectorySettings, connection: PostgresConnection, plan: SyncPlan,
        cursor: SyncCursor?, approvedDisable: Int?, progress: SyncProgressBox, reporter: Task<Void, Never>
    ) async throws {
        do {
            let outcome = try await settings.withClient(logger: logger) { client in
                try await stageAndMerge(
                    settings: settings, client: client, connection: connection, plan: plan, cursor: cursor,
                    dryRun: request.dryRun, approvedDisable: approvedDisable, progress: progress)
            }
            reporter.cancel()
            let recorded = try await runs.finish(id, outcome, processed: progress.current.processed)
            if recorded, case let .hold(reason) = outcome.ending {
                try await runs.tellAdmins("sync.held", ["run": id, "reason": reason])
            }
        } catch {
            reporter.cancel()
            // A stopping server cancels the run: its record must still say how it ended, so the bookkeeping
            // runs in a task of its own that the cancellation does not reach.
            // A run given up because its connection closed is cancelled too: say which it was.
            let lost = connection.isClosed && (error is CancellationError || DatabaseUnavailable.isUnavailable(error))
            let interrupted = !lost && (Task.isCancelled || error is CancellationError)
            let reason =
                lost
                ? Self.connectionLost
                : interrupted
                    ? "interrupted: the server stopped before the run finished; nothing it read was applied"
                    : "\(describe(error))"
            let processed = progress.current.processed, runs = self.runs
            try await Task {
                let recorded = try await runs.finish(
                    id, failedWith: reason, processed: processed, mode: plan.mode, warnings: plan.warnings)
                if recorded { try? await runs.tellAdmins("sync.failed", ["run": id, "error": reason]) }
            }.value
            throw interrupted ? CancellationError() : describe(error)
        }
    }

    /// Saves settings (validated first; a nil password keeps the stored one) and audits the change.
    public func save(_ settings: DirectorySettings, by actor: String) async throws {
        try await pool.withConnection { try await settingsStore.save(settings, by: actor, on: $0) }
    }

    /// The saved settings (password opened), or nil before any were saved.
    public func storedSettings() async throws -> DirectorySettings? {
        try await pool.withConnection { try await settingsStore.load(on: $0) }
    }

    /// PostgreSQL's errors describe themselves vaguely on purpose; say what failed.
    func describe(_ error: any Error) -> any Error {
        error is PSQLError ? DatabaseError.describing(error, url: database.url) : error
    }

    private func estimateEntries() async throws -> Int? {
        if let last = try await runs.latest(state: .succeeded, mode: .full) {
            return last.counts.seen + last.counts.groups
        }
        return nil
    }

    /// Progress to the caller (every `progressInterval`) and to the run record (every fourth time).
    private func report(_ id: Int64, progress: SyncProgressBox, onProgress: @Sendable (SyncProgress) -> Void) async {
        var tick = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: progressInterval)
            if Task.isCancelled { return }
            let current = progress.current
            onProgress(current)
            tick += 1
            if tick % 4 == 0 { try? await runs.progress(id, current) }
        }
    }

}
