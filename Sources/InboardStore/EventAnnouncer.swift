import Foundation
import Logging
import NIOConcurrencyHelpers

/// Tells every server process that events were committed, after the writer's transaction, never inside it:
/// a NOTIFY in the writing transaction holds PostgreSQL's notification lock through that commit's flush to
/// disk, so every writer that notifies waits for the others' flushes (no group commit). Here this process's own
/// readers wake at once, and other processes get one NOTIFY for all the commits of a moment (one in flight,
/// at most one more queued behind it), in a transaction that writes nothing else. A lost NOTIFY only delays
/// delivery to the readers' next poll: the events themselves are committed rows.
final class EventAnnouncer: Sendable {
    private struct State {
        var sending = false
        var pending = false
        var localReaders: [UUID: @Sendable ([StoredEvent]) async -> Void] = [:]
    }

    private let state = NIOLockedValueBox(State())
    /// The NOTIFY payload naming this announcer (one pool, one per server process), so that its own pool's
    /// listener skips what its readers already read.
    let origin = UUID().uuidString

    /// Wakes `reader` after every commit this process announces, with the events committed when the writer gave
    /// them, until the returned id is removed.
    func addLocalReader(_ reader: @escaping @Sendable ([StoredEvent]) async -> Void) -> UUID {
        let id = UUID()
        state.withLockedValue { $0.localReaders[id] = reader }
        return id
    }

    func removeLocalReader(_ id: UUID) {
        _ = state.withLockedValue { $0.localReaders.removeValue(forKey: id) }
    }

    func announce(on pool: DatabasePool, committed: [StoredEvent], logger: Logger) {
        let (readers, startSending) = state.withLockedValue {
            state -> ([@Sendable ([StoredEvent]) async -> Void], Bool) in
            let start = !state.sending
            if start { state.sending = true } else { state.pending = true }
            return (Array(state.localReaders.values), start)
        }
        for reader in readers { Task { await reader(committed) } }
        if startSending { Task { await sendWhilePending(on: pool, logger: logger) } }
    }

    private func sendWhilePending(on pool: DatabasePool, logger: Logger) async {
        repeat {
            do {
                try await pool.query("SELECT pg_notify(\(EventLog.channel), \(origin))", logger: logger)
            } catch {
                logger.debug(
                    "NOTIFY for new events failed; other processes read them at their next poll",
                    metadata: ["error": "\(String(reflecting: type(of: error)))"])
            }
        } while state.withLockedValue { state in
            if state.pending {
                state.pending = false
                return true
            }
            state.sending = false
            return false
        }
    }
}
