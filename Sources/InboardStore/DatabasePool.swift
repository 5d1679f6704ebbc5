import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import PostgresNIO

/// A fixed-size pool of PostgreSQL connections that survives the database going away and coming back.
///
/// It replaces PostgresNIO's `DatabasePool`, whose pool (1.33) asserts when every connection drops while
/// `minimumConnections` is above zero (a PostgreSQL restart kills the process; postgres-nio #479), and which
/// arms a timer per release otherwise. This pool arms no timer per request: connections open on demand up to
/// `size`, a closed one is dropped when it comes back, and while PostgreSQL cannot be reached every lease fails
/// at once with `DatabaseUnavailable` instead of queueing (after a failed connect, leases fail fast for
/// `retryInterval` before the next attempt, so a returning database is noticed within that interval).
public final class DatabasePool: Sendable {
    public let url: DatabaseURL
    public let size: Int
    let logger: Logger
    /// How long a caller waits for a busy pool's next free connection before `DatabaseUnavailable`.
    public let acquireTimeout: Duration
    let retryInterval: Duration
    private let configuration: PostgresConnection.Configuration
    private let state = NIOLockedValueBox(State())
    private let connectionIDs = ManagedAtomicCounter()
    /// This process's announcements of committed events (see `EventLog.announce`).
    let eventAnnouncer = EventAnnouncer()
    /// This process's committed changes to sessions and to who people are (see `SessionStore.localChanges`).
    public let identityChanges = LocalSignal()

    /// How long a caller waits for a busy pool's next free connection before `DatabaseUnavailable` (a 503).
    public static let defaultAcquireTimeout: Duration = .seconds(5)

    /// `settings` are PostgreSQL settings every connection of the pool starts with (no extra round trip).
    public init(
        url: DatabaseURL, size: Int, logger: Logger,
        acquireTimeout: Duration = defaultAcquireTimeout, retryInterval: Duration = .milliseconds(200),
        settings: [(String, String)] = []
    ) throws {
        self.url = url
        self.size = max(1, size)
        self.logger = logger
        self.acquireTimeout = acquireTimeout
        self.retryInterval = retryInterval
        var configuration = try url.connectionConfiguration()
        configuration.options.additionalStartupParameters += settings
        self.configuration = configuration
    }

    struct Waiter {
        let id: Int
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<Handoff, any Error>
    }

    enum Handoff: Sendable {
        case connection(WatchedConnection)
        case openYourOwn
    }

    struct State {
        var idle: [WatchedConnection] = []
        var open = 0  // connections alive or being opened
        var waiters: [Waiter] = []  // few, and only while every connection is busy
        var nextWaiterID = 0
        var failFastUntil: ContinuousClock.Instant?
        var lastFailure: String?
        var isShutDown = false

        mutating func nextWaiter() -> Waiter? { waiters.isEmpty ? nil : waiters.removeFirst() }
    }

    private enum Step {
        case use(WatchedConnection)
        case connect
        case fail(any Error)
        case wait(Int)
    }

    // MARK: Leasing

    /// A connection for `body`'s exclusive use; it goes back to the pool afterwards (or is dropped if it closed).
    /// A connection that closes under `body` fails it with `DatabaseUnavailable` (`WatchedConnection`).
    public func withConnection<Result: Sendable>(
        _ body: sending @escaping (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await lease()
        defer { release(connection) }
        return try await connection.run(body)
    }

    func lease() async throws -> WatchedConnection {
        while true {
            let step = nextStep()
            switch step {
            case let .use(connection):
                return connection
            case let .fail(error):
                throw error
            case .connect:
                do { return try await connect() } catch let error as DatabaseUnavailable {
                    // PostgreSQL refusing a new connection for max_connections while the open ones work: wait for
                    // one. Anything else (down, restarting) fails at once: retrying until it is back held requests
                    // for as long as a restart took (over 10 s on a loaded machine) instead of answering 503.
                    if error.atCapacity, state.withLockedValue({ $0.open > 0 }) { continue }
                    throw error
                }
            case let .wait(id):
                let handoff = try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { continuation in
                        enqueue(Waiter(id: id, deadline: .now + acquireTimeout, continuation: continuation))
                    }
                } onCancel: {
                    cancelWaiter(id)
                }
                switch handoff {
                case let .connection(connection): return connection
                case .openYourOwn: continue
                }
            }
        }
    }

    private func nextStep() -> Step {
        state.withLockedValue { state in
            if state.isShutDown { return .fail(DatabaseUnavailable(reason: "the server is shutting down")) }
            while let connection = state.idle.popLast() {
                if !connection.isClosed { return .use(connection) }
                state.open -= 1
                Self.closeQuietly(connection.connection)
            }
            if state.open < size {
                if let until = state.failFastUntil, ContinuousClock.now < until {
                    // Cannot open more now: share the connections there are, or fail at once when there are none.
                    guard state.open > 0 else {
                        return .fail(DatabaseUnavailable(reason: state.lastFailure ?? "PostgreSQL cannot be reached"))
                    }
                } else {
                    state.open += 1
                    return .connect
                }
            }
            state.nextWaiterID += 1
            return .wait(state.nextWaiterID)
        }
    }

    private func enqueue(_ waiter: Waiter) {
        let immediate: Result<Handoff, any Error>? = state.withLockedValue { state in
            // A shutdown between deciding to wait and getting here would otherwise leave the waiter unanswered.
            if state.isShutDown { return .failure(DatabaseUnavailable(reason: "the server is shutting down")) }
            // Something may have come back between deciding to wait and getting here.
            while let connection = state.idle.popLast() {
                if !connection.isClosed { return .success(.connection(connection)) }
                state.open -= 1
                Self.closeQuietly(connection.connection)
            }
            if state.open == 0 || (state.open < size && state.failFastUntil.map { ContinuousClock.now >= $0 } ?? true) {
                return .success(.openYourOwn)
            }
            state.waiters.append(waiter)
            return nil
        }
        if let immediate { waiter.continuation.resume(with: immediate) }
    }

    private func cancelWaiter(_ id: Int) {
        let waiter: Waiter? = state.withLockedValue { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: CancellationError())
    }

    private func connect() async throws -> WatchedConnection {
        do {
            let connection = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration,
                id: connectionIDs.next(), logger: logger)
            let recovered = state.withLockedValue { state -> Bool in
                defer { state.failFastUntil = nil; state.lastFailure = nil }
                return state.lastFailure != nil
            }
            if recovered { logger.notice("PostgreSQL is reachable again") }
            return WatchedConnection(connection, logger: logger)
        } catch  where error is CancellationError || Task.isCancelled {
            // The caller gave up (a request ended): says nothing about PostgreSQL.
            let waiter: Waiter? = state.withLockedValue { state in
                state.open -= 1
                return state.nextWaiter()
            }
            waiter?.continuation.resume(returning: .openYourOwn)
            throw CancellationError()
        } catch {
            let failure = DatabaseError.describing(error, url: url)
            let (waiters, wasUp): ([Waiter], Bool) = state.withLockedValue { state in
                state.open -= 1
                let wasUp = state.lastFailure == nil
                state.failFastUntil = .now + retryInterval
                state.lastFailure = failure.message
                // Nothing will be released to those waiting while nothing can connect: fail them too.
                let waiting = state.open == 0 ? Array(state.waiters) : []
                if state.open == 0 { state.waiters.removeAll() }
                return (waiting, wasUp)
            }
            if wasUp {
                logger.warning(
                    "PostgreSQL cannot be reached; requests answer 503 until it is back",
                    metadata: ["error": "\(failure.message)"])
            }
            let unavailable = DatabaseUnavailable(reason: failure.message, atCapacity: failure.sqlState == "53300")
            for waiter in waiters { waiter.continuation.resume(throwing: unavailable) }
            throw unavailable
        }
    }

    func release(_ connection: WatchedConnection) {
        let (waiter, handoff): (Waiter?, Handoff?) = state.withLockedValue { state in
            if connection.isClosed || state.isShutDown {
                state.open -= 1
                Self.closeQuietly(connection.connection)
                // A waiter may open a replacement in the freed slot.
                guard !state.isShutDown, let waiter = state.nextWaiter() else { return (nil, nil) }
                return (waiter, .openYourOwn)
            }
            if let waiter = state.nextWaiter() { return (waiter, .connection(connection)) }
            state.idle.append(connection)
            return (nil, nil)
        }
        if let waiter, let handoff { waiter.continuation.resume(returning: handoff) }
    }

    private static func closeQuietly(_ connection: PostgresConnection) {
        // The callback holds the connection until it has closed (PostgresNIO asserts one is never dropped open).
        if !connection.isClosed { connection.close().whenComplete { _ in withExtendedLifetime(connection) {} } }
    }

    // MARK: Queries

    /// Runs `query` on a pooled connection and returns its rows, read in full before the connection goes back, and,
    /// when it may write, once it has committed (`confirmCommit`).
    @discardableResult
    public func query(_ query: PostgresQuery, logger: Logger) async throws -> DatabaseRows {
        try await withConnection { connection in
            let rows = try await DatabaseRows(collecting: connection.query(query, logger: logger))
            if StatementEffect.mayWrite(query.sql) { try await Self.confirmCommit(on: connection, logger: logger) }
            return rows
        }
    }

    /// Runs a prepared statement (parsed once per connection) and returns its rows; with `confirmingCommit`, once it
    /// has committed.
    public func execute<Statement: PostgresPreparedStatement>(
        _ statement: Statement, confirmingCommit: Bool, logger: Logger
    ) async throws -> DatabaseRows where Statement.Row == PostgresRow {
        try await withConnection { connection in
            let rows = try await DatabaseRows(collecting: connection.execute(statement, logger: logger))
            if confirmingCommit { try await Self.confirmCommit(on: connection, logger: logger) }
            return rows
        }
    }

    /// Runs `body` inside BEGIN … COMMIT on one pooled connection (ROLLBACK when it throws; see
    /// `PostgresConnection.inTransaction`). Errors come out as thrown, the database's as `PSQLError`.
    public func withTransaction<Value: Sendable>(
        logger: Logger, _ body: sending @escaping (PostgresConnection) async throws -> Value
    ) async throws -> Value {
        try await withConnection { connection in
            try await connection.inTransaction(logger: logger) { try await body(connection) }
        }
    }

    // MARK: Lifetime

    /// Fails waiters whose time is up, until cancelled or shut down; then closes every connection.
    public func run() async {
        while !Task.isCancelled, !state.withLockedValue(\.isShutDown) {
            try? await Task.sleep(for: .milliseconds(100))
            expireWaiters()
        }
        shutDown()
    }

    /// Fails waiters whose time is up; and once the pause after a failed connect is over, lets waiters open
    /// connections in the free slots (nothing else would wake them if no connection comes back).
    private func expireWaiters() {
        let now = ContinuousClock.now
        let (expired, retrying): ([Waiter], [Waiter]) = state.withLockedValue { state in
            let late = state.waiters.filter { $0.deadline <= now }
            state.waiters.removeAll { $0.deadline <= now }
            var retrying: [Waiter] = []
            if state.failFastUntil.map({ now >= $0 }) ?? true {
                while retrying.count < size - state.open, let waiter = state.nextWaiter() { retrying.append(waiter) }
            }
            return (late, retrying)
        }
        for waiter in retrying { waiter.continuation.resume(returning: .openYourOwn) }
        if !expired.isEmpty {
            logger.warning(
                "database requests waited too long for a connection", metadata: ["count": "\(expired.count)"])
        }
        for waiter in expired {
            waiter.continuation.resume(
                throwing: DatabaseUnavailable(reason: "every database connection stayed busy for \(acquireTimeout)"))
        }
    }

    public func shutDown() {
        let (idle, waiters) = state.withLockedValue { state in
            state.isShutDown = true
            defer { state.idle.removeAll(); state.waiters.removeAll() }
            state.open -= state.idle.count
            return (state.idle, Array(state.waiters))
        }
        for connection in idle { Self.closeQuietly(connection.connection) }
        for waiter in waiters {
            waiter.continuation.resume(throwing: DatabaseUnavailable(reason: "the server is shutting down"))
        }
    }
}

/// PostgreSQL cannot be used right now (unreachable, restarting, or every connection busy too long):
/// the API answers 503 `database_unavailable`.
public struct DatabaseUnavailable: Error, CustomStringConvertible {
    public let reason: String
    /// PostgreSQL refused the connection for max_connections (SQLSTATE 53300): it is up, only full.
    public var atCapacity = false
    /// The lease's connection closed under it and its body was given up (`WatchedConnection`): whatever it was
    /// doing stopped at an unknown point, and its own error handling never ran.
    public var closedUnderLease = false
    public var description: String { reason }

    public init(reason: String, atCapacity: Bool = false, closedUnderLease: Bool = false) {
        self.reason = reason
        self.atCapacity = atCapacity
        self.closedUnderLease = closedUnderLease
    }
}

/// A query's rows, read in full (so that the connection can go back to the pool before they are used).
public struct DatabaseRows: AsyncSequence, Sendable {
    public typealias Element = PostgresRow
    public let rows: [PostgresRow]

    init<Rows: AsyncSequence>(collecting sequence: Rows) async throws where Rows.Element == PostgresRow {
        var rows: [PostgresRow] = []
        for try await row in sequence { rows.append(row) }
        self.rows = rows
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: IndexingIterator<[PostgresRow]>
        public mutating func next() async throws -> PostgresRow? { base.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: rows.makeIterator()) }
}

/// Connection ids for logs.
final class ManagedAtomicCounter: Sendable {
    private let value = NIOLockedValueBox(100)
    func next() -> Int {
        value.withLockedValue {
            $0 += 1; return $0
        }
    }
}

extension DatabaseUnavailable {
    /// PostgreSQL sent what PostgresNIO did not expect: an ended backend in practice (unavailable), but a fault
    /// between the two would look the same, so it is logged louder.
    public static func mayBeAProtocolFault(_ error: any Error) -> Bool {
        (error as? PSQLError)?.code == .unexpectedBackendMessage
    }

    /// Whether `error` means "PostgreSQL cannot be used right now" (rather than a bug or bad data): the pool's
    /// own refusal, a dropped connection, or the server shutting down or starting up (SQLSTATE 57P01–57P03, 08xxx).
    /// A caller that gets it cannot tell whether its write committed (`BackendEndedAfterCommandTests`).
    public static func isUnavailable(_ error: any Error) -> Bool {
        if error is DatabaseUnavailable { return true }
        guard let psql = error as? PSQLError else { return false }
        if let state = psql.serverInfo?[.sqlState] {
            return DatabaseError.meansUnreachable(sqlState: state)
        }
        // PostgresNIO closes the connection on `unexpectedBackendMessage` too. In practice the backend was ended
        // (FATAL 57P01) after a statement's CommandComplete and before its ReadyForQuery; the statements queued
        // behind it fail with that code, not a closed connection's. Either way the outcome is unknown: a lost
        // connection. A protocol fault would give the same code: the API logs it as an error, not a warning, so
        // that one that recurs stays visible (`APIErrorMiddleware`).
        return [
            .serverClosedConnection, .connectionError, .uncleanShutdown, .clientClosedConnection,
            .unexpectedBackendMessage,
        ].contains(psql.code)
    }
}
