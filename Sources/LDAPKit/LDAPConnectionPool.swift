import Logging
import NIOPosix

/// Connections to an ordered server list, at most `maxConnections` at once. Which server to use comes from
/// the client's shared `LDAPServerHealth`: a server that cannot be reached, or that stopped answering, is
/// skipped until its back-off has passed; idle connections to a less preferred server are dropped once a
/// more preferred one may be back, so that traffic returns to it.
actor LDAPConnectionPool {
    let configuration: LDAPConfiguration
    let credentials: LDAPCredentials?
    let threadPool: NIOThreadPool
    let health: LDAPServerHealth
    let logger: Logger
    private var idle: [LDAPConnection] = []
    private var openCount = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(
        configuration: LDAPConfiguration, credentials: LDAPCredentials?, threadPool: NIOThreadPool,
        health: LDAPServerHealth, logger: Logger
    ) {
        self.configuration = configuration
        self.credentials = credentials
        self.threadPool = threadPool
        self.health = health
        self.logger = logger
    }

    func lease() async throws -> LDAPConnection {
        while true {
            if let connection = idle.popLast() {
                // Its server failed since (the connection is likely dead too), or a better one may be back.
                if !health.isAvailable(connection.serverIndex)
                    || health.preferredIsAvailable(than: connection.serverIndex)
                {
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

    /// Closes a connection whose operation failed on the network. A timeout also marks its server failed:
    /// a frozen server still accepts connections, so only this tells the next lease to go elsewhere.
    /// Returns whether another attempt may help: after a lost connection a new one may work, after a
    /// timeout only another server may.
    func discard(_ connection: LDAPConnection, after error: LDAPError) -> Bool {
        discard(connection)
        wakeOne()
        guard error.kind == .timeout else { return true }
        markFailed(connection.serverIndex, error)
        return health.anyAvailable
    }

    func shutdown() {
        idle.forEach { $0.close() }
        idle.removeAll()
    }

    /// Open and idle connections, for tests.
    func counts() -> (open: Int, idle: Int) { (openCount, idle.count) }

    private func discard(_ connection: LDAPConnection) {
        connection.close()
        openCount -= 1
    }

    private func wakeOne() {
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }

    private func connect() async throws -> LDAPConnection {
        var failures: [LDAPError] = []
        for index in health.candidateOrder() {
            let server = configuration.servers[index]
            let configuration = self.configuration, credentials = self.credentials
            do {
                let connection = try await threadPool.runIfActive {
                    try LDAPConnection(
                        server: server, serverIndex: index, configuration: configuration, credentials: credentials)
                }
                if health.markHealthy(index) { logger.notice("LDAP server is back", metadata: ["server": "\(server)"]) }
                return connection
            } catch let error as LDAPError where error.isConnectionFailure {
                markFailed(index, error)
                failures.append(error)
            }
        }
        let attempts = failures.map {
            "\($0.server ?? "?"): \($0.diagnosticMessage ?? LDAPError.summary(kind: $0.kind, code: $0.resultCode))"
        }
        // Every server silent: a timeout (callers may say so); any unreachable: the server is down.
        let kind: LDAPError.Kind =
            failures.allSatisfy { $0.kind == .timeout } && !failures.isEmpty ? .timeout : .serverDown
        throw LDAPError(
            kind: kind, diagnosticMessage: "no server answered (" + attempts.joined(separator: "; ") + ")",
            operation: "connect")
    }

    private func markFailed(_ index: Int, _ error: LDAPError) {
        let (delay, failures) = health.markFailed(index)
        logger.warning(
            "LDAP server unreachable or not answering; trying the next",
            metadata: [
                "server": "\(configuration.servers[index])", "retryIn": "\(delay)", "failures": "\(failures)",
                "error": "\(LDAPError.summary(kind: error.kind, code: error.resultCode))",
            ])
    }
}
