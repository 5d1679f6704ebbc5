import Logging
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO

/// A connection whose leases cannot wait for ever once it closes. PostgresNIO 1.33 hands each statement to its
/// channel without a promise (a fix was merged and reverted upstream, postgres-nio #487 and #501): a statement
/// written after the channel closed (PostgreSQL restarted, or ended the backend, between two statements of a lease;
/// or the ROLLBACK after a transaction's statement failed for that reason) is dropped, and its answer never comes.
/// Its caller waited for ever, and a pool lost the connection's slot for good. So a lease's body runs in a task of
/// its own, and once the connection has been closed for `grace` with the body still running, the lease fails with
/// `DatabaseUnavailable` (`closedUnderLease`) and the body is cancelled. A body waiting on a lost statement keeps its
/// task, and whatever that task holds, for good: code that holds a connection across long waits (a sync reading
/// the directory) calls `ensureOpen()` before its next statement, so that it fails and unwinds instead.
final class WatchedConnection: Sendable {
    let connection: PostgresConnection
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    private struct State {
        var closed = false
        var nextLease = 0
        /// The lease running now, and how to end it.
        var current: (id: Int, fail: @Sendable (DatabaseUnavailable) -> Void)?
    }

    /// How long a body may go on after its connection closed: every statement in flight is failed at the close, so
    /// a body that has not ended by then waits for an answer that will not come.
    static let grace: TimeAmount = .seconds(1)

    init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
        connection.closeFuture.whenComplete { [weak self] _ in self?.closed() }
    }

    var isClosed: Bool { connection.isClosed }

    /// Runs `body` on the connection; fails with `DatabaseUnavailable` if the connection closes under it and it
    /// has not ended `grace` later. Cancelling the caller cancels `body`.
    func run<Value: Sendable>(_ body: sending @escaping (PostgresConnection) async throws -> Value) async throws
        -> Value
    {
        let outcome = FirstOutcome<Value>()
        let connection = self.connection
        // Runs at once on this thread up to its first wait: no hop before the statement is sent.
        let work = Task.immediate {
            outcome.finish(await Result(catching: { try await body(connection) }))
        }
        let lease = begin { unavailable in
            work.cancel()  // first: the caller, resumed next, sees a body that has been told to stop
            outcome.finish(.failure(unavailable))
        }
        defer { end(lease) }
        return try await withTaskCancellationHandler {
            try await outcome.value()
        } onCancel: {
            work.cancel()
        }
    }

    private func begin(failing fail: @escaping @Sendable (DatabaseUnavailable) -> Void) -> Int {
        let (id, closedAlready) = state.withLockedValue { state in
            state.nextLease += 1
            state.current = (state.nextLease, fail)
            return (state.nextLease, state.closed)
        }
        if closedAlready { failAfterGrace(lease: id) }
        return id
    }

    private func end(_ lease: Int) {
        state.withLockedValue { state in
            if state.current?.id == lease { state.current = nil }
        }
    }

    private func closed() {
        let lease = state.withLockedValue { state in
            state.closed = true
            return state.current?.id
        }
        if let lease { failAfterGrace(lease: lease) }
    }

    private func failAfterGrace(lease: Int) {
        connection.eventLoop.scheduleTask(in: Self.grace) { [self] in
            let fail = state.withLockedValue { state -> (@Sendable (DatabaseUnavailable) -> Void)? in
                guard let current = state.current, current.id == lease else { return nil }
                state.current = nil
                return current.fail
            }
            guard let fail else { return }
            logger.warning(
                "a database connection closed while its user was still running; that work is given up",
                metadata: ["connection": "\(connection.id)", "after": "\(Self.grace)"])
            fail(
                DatabaseUnavailable(
                    reason: "the connection to PostgreSQL closed before it answered", closedUnderLease: true))
        }
    }
}
