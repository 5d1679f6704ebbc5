import Logging
import NIOPosix

/// Connections to an ordered server list, at most `maxConnections` at once. A server that cannot be reached is
/// skipped and retried after a back-off that doubles per failure; idle connections to a less preferred server
/// are dropped once a more preferred one may be back, so that traffic returns to it.
actor LDAPConnectionPool {
    private struct ServerHealth {
        var failures = 0
        var retryAt: ContinuousClock.Instant?
        var lastError: String?
    }

    let configuration: LDAPConfiguration
    let credentials: LDAPCredentials?
    let threadPool: NIOThreadPool
    let logger: Logger
    private var idle: [LDAPConnection] = []
    private var openCount = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var health: [ServerHealth]
    private let clock = ContinuousClock()

    init(configuration: LDAPConfiguration, credentials: LDAPCredentials?, threadPool: NIOThreadPool, logger: Logger) {
        self.configuration = configuration
        self.credentials = credentials
        self.threadPool = threadPool
        self.logger = logger
        self.health = Array(repeating: ServerHealth(), count: configuration.servers.count)
    }

    func lease() async throws -> LDAPConnection {
        while true {
            if let connection = idle.popLast() {
                if preferredServerMayBeBack(than: connection.serverIndex) {
                    discard(connection)
                    continue
                }
                return connection
            }
            if openCount < configuration.maxConnections {
                openCount += 1
                do {
                    return try await connect()
                } catch {
                    openCount -= 1
                    wakeOne()
                    throw error
                }
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    /// Returns a connection; a broken one (or one in the middle of an abandoned search) is closed instead.
    func release(_ connection: LDAPConnection, reusable: Bool) {
        if reusable { idle.append(connection) } else { discard(connection) }
        wakeOne()
    }

    func shutdown() {
        idle.forEach { $0.close() }
        idle.removeAll()
    }

    /// Which server would be tried first now, for diagnostics and tests.
    func serverOrder() -> [LDAPServerURL] { candidateOrder().map { configuration.servers[$0] } }

    private func discard(_ connection: LDAPConnection) {
        connection.close()
        openCount -= 1
    }

    private func wakeOne() {
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }

    private func preferredServerMayBeBack(than index: Int) -> Bool {
        let now = clock.now
        return (0..<index).contains { health[$0].retryAt.map { $0 <= now } ?? true }
    }

    /// Servers not in back-off, in preference order, then those in back-off, soonest first (a last resort).
    private func candidateOrder() -> [Int] {
        let now = clock.now
        let indices = Array(configuration.servers.indices)
        let ready = indices.filter { health[$0].retryAt.map { $0 <= now } ?? true }
        let waiting = indices.filter { !ready.contains($0) }.sorted { health[$0].retryAt! < health[$1].retryAt! }
        return ready + waiting
    }

    private func connect() async throws -> LDAPConnection {
        var attempts: [String] = []
        for index in candidateOrder() {
            let server = configuration.servers[index]
            let configuration = self.configuration, credentials = self.credentials
            do {
                let connection = try await threadPool.runIfActive {
                    try LDAPConnection(server: server, serverIndex: index, configuration: configuration, credentials: credentials)
                }
                if health[index].failures > 0 { logger.notice("LDAP server is back", metadata: ["server": "\(server)"]) }
                health[index] = ServerHealth()
                return connection
            } catch let error as LDAPError where error.isConnectionFailure {
                markFailed(index, error)
                attempts.append("\(server): \(error.diagnosticMessage ?? LDAPError.summary(kind: error.kind, code: error.resultCode))")
            }
        }
        throw LDAPError(kind: .serverDown, diagnosticMessage: "no server answered (" + attempts.joined(separator: "; ") + ")", operation: "connect")
    }

    private func markFailed(_ index: Int, _ error: LDAPError) {
        var state = health[index]
        state.failures += 1
        let delay = min(configuration.retryDelay * (1 << min(state.failures - 1, 16)), configuration.maxRetryDelay)
        state.retryAt = clock.now + delay
        state.lastError = error.diagnosticMessage
        health[index] = state
        logger.warning("LDAP server unreachable; trying the next", metadata: [
            "server": "\(configuration.servers[index])", "retryIn": "\(delay)", "failures": "\(state.failures)"])
    }

    /// Marks the server of a connection whose operation failed on the network, so the next lease avoids it.
    func reportConnectionFailure(_ connection: LDAPConnection, _ error: LDAPError) {
        markFailed(connection.serverIndex, error)
    }
}
