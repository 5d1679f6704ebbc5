import Dispatch
import Foundation
import Synchronization

/// A deadline for a blocking libldap call that ignores its own timeouts: libldap 2.5's TLS handshake (LDAPS
/// connect, StartTLS) waits, spinning on EAGAIN, for as long as a frozen server stays silent. When the
/// deadline passes, the socket's reading side is shut down: the handshake then reads end-of-file and fails
/// at once. Reading only, so that a later write (an unbind) cannot raise SIGPIPE. The connection is
/// discarded afterwards.
final class SocketDeadline: Sendable {
    private struct State {
        var socket: Int32 = -1
        /// Which deadline is current: a timer left over from an earlier one does nothing.
        var generation = 0
        var armed = false
        var expired = false
        var limit = Duration.zero
    }

    private let state = Mutex(State())

    /// The socket to shut down, named by libldap once TCP is connected (see `LDAPConnection`). A deadline
    /// waiting for it starts now: TCP connect has a timeout of its own.
    func watch(_ socket: Int32) {
        let start = state.withLock { state -> (generation: Int, limit: Duration)? in
            state.socket = socket
            guard state.armed, socket >= 0 else { return nil }
            state.generation += 1
            return (state.generation, state.limit)
        }
        if let start { schedule(start.generation, after: start.limit) }
    }

    /// The socket was closed: never touch that descriptor number again.
    func forget() {
        state.withLock { $0.socket = -1 }
    }

    /// Runs `body` (which blocks) with the socket shut down if, once connected, it outlives `timeout`;
    /// tells whether it did.
    func run<T>(within timeout: Duration, _ body: () -> T) -> (value: T, expired: Bool) {
        let start = state.withLock { state -> Int? in
            state.generation += 1
            state.armed = true
            state.expired = false
            state.limit = timeout
            return state.socket >= 0 ? state.generation : nil
        }
        if let start { schedule(start, after: timeout) }
        let value = body()
        let expired = state.withLock { state in
            state.armed = false
            return state.expired
        }
        return (value, expired)
    }

    private func schedule(_ generation: Int, after limit: Duration) {
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(limit.nanoseconds))) { [weak self] in
            self?.expire(generation)
        }
    }

    private func expire(_ generation: Int) {
        state.withLock { state in
            guard state.armed, state.generation == generation else { return }
            state.expired = true
            if state.socket >= 0 { _ = shutdown(state.socket, Int32(SHUT_RD)) }
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
