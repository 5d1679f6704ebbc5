import Synchronization

/// How each configured server has been doing, shared by a client's pools, so that a server found failing by
/// a search is also avoided by the next password check. A failed server (unreachable, or silent past the
/// operation timeout) is skipped until a back-off that doubles per failure (`retryDelay` up to
/// `maxRetryDelay`) has passed; it stays a last resort meanwhile.
final class LDAPServerHealth: Sendable {
    private struct Server {
        var failures = 0
        var retryAt: ContinuousClock.Instant?
    }

    private let servers: Mutex<[Server]>
    private let retryDelay: Duration
    private let maxRetryDelay: Duration

    init(configuration: LDAPConfiguration) {
        servers = Mutex(Array(repeating: Server(), count: configuration.servers.count))
        retryDelay = configuration.retryDelay
        maxRetryDelay = configuration.maxRetryDelay
    }

    /// Whether the server may be used now: it never failed, or its back-off has passed.
    func isAvailable(_ index: Int) -> Bool {
        let now = ContinuousClock.now
        return servers.withLock { Self.isAvailable($0[index], now: now) }
    }

    /// Whether a server preferred to `index` may be used now (traffic should return to it).
    func preferredIsAvailable(than index: Int) -> Bool {
        let now = ContinuousClock.now
        return servers.withLock { servers in servers[..<index].contains { Self.isAvailable($0, now: now) } }
    }

    var anyAvailable: Bool {
        let now = ContinuousClock.now
        return servers.withLock { servers in servers.contains { Self.isAvailable($0, now: now) } }
    }

    /// Available servers in preference order, then those in back-off, soonest first (a last resort).
    func candidateOrder() -> [Int] {
        let now = ContinuousClock.now
        return servers.withLock { servers in
            let ready = servers.indices.filter { Self.isAvailable(servers[$0], now: now) }
            let waiting = servers.indices.filter { !ready.contains($0) }.sorted {
                servers[$0].retryAt! < servers[$1].retryAt!
            }
            return ready + waiting
        }
    }

    /// Records a failure; the back-off and failure count are for the log.
    func markFailed(_ index: Int) -> (delay: Duration, failures: Int) {
        let now = ContinuousClock.now
        return servers.withLock { servers in
            servers[index].failures += 1
            let failures = servers[index].failures
            let delay = min(retryDelay * (1 << min(failures - 1, 16)), maxRetryDelay)
            servers[index].retryAt = now + delay
            return (delay, failures)
        }
    }

    /// Records a success; whether the server had been failing.
    func markHealthy(_ index: Int) -> Bool {
        servers.withLock { servers in
            defer { servers[index] = Server() }
            return servers[index].failures > 0
        }
    }

    private static func isAvailable(_ server: Server, now: ContinuousClock.Instant) -> Bool {
        server.retryAt.map { $0 <= now } ?? true
    }
}
