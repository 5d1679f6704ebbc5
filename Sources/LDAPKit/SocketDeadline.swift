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
        /// Which `run` is in progress: a timer left over from an earlier one does nothing.
        var generation = 0
        var armed = false
        var expired = false
    }

    private let state = Mutex(State())

    /// The socket to shut down; libldap names it once TCP is connected (see `LDAPConnection`).
    func watch(_ socket: Int32) {
        state.withLock { state in
            state.socket = socket
            if state.armed, state.expired, socket >= 0 { _ = shutdown(socket, Int32(SHUT_RD)) }
        }
    }

    /// The socket was closed: never touch that descriptor number again.
    func forget() {
        state.withLock { $0.socket = -1 }
    }

    /// Runs `body` (which blocks) with the socket shut down if it outlives `timeout`; tells whether it did.
    func run<T>(within timeout: Duration, _ body: () -> T) -> (value: T, expired: Bool) {
        let generation = state.withLock { state in
            state.generation += 1
            state.armed = true
            state.expired = false
            return state.generation
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(timeout.nanoseconds))) { [weak self] in
            self?.expire(generation)
        }
        let value = body()
        let expired = state.withLock { state in
            state.armed = false
            return state.expired
        }
        return (value, expired)
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
