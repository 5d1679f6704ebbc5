import Logging
import NIOPosix

/// An async LDAP client over libldap: a pool of service-account connections for searches and a pool of
/// connections for checking passwords, failover across the configured servers, blocking calls on a
/// thread pool of its own. Call `shutdown()` when done.
public final class LDAPClient: Sendable {
    public let configuration: LDAPConfiguration
    let searchPool: LDAPConnectionPool
    let bindPool: LDAPConnectionPool
    /// Shared by both pools: a server that failed a search is avoided by the next password check too.
    let health: LDAPServerHealth
    let threadPool: NIOThreadPool
    let logger: Logger

    /// `serviceAccount` binds the search connections (nil: anonymous).
    public init(
        configuration: LDAPConfiguration, serviceAccount: LDAPCredentials?, logger: Logger = Logger(label: "ldap")
    ) throws(LDAPError) {
        guard !configuration.servers.isEmpty else {
            throw LDAPError(kind: .configuration, diagnosticMessage: "no LDAP server configured", operation: "setup")
        }
        try serviceAccount?.validate()
        if configuration.insecureSkipVerify,
            configuration.tls != .none || configuration.servers.contains(where: \.secure)
        {
            logger.warning(
                "LDAP TLS certificate verification is OFF (insecureSkipVerify): connections can be intercepted")
        }
        self.configuration = configuration
        self.logger = logger
        threadPool = NIOThreadPool(numberOfThreads: max(2, configuration.maxConnections))
        threadPool.start()
        let health = LDAPServerHealth(configuration: configuration)
        self.health = health
        searchPool = LDAPConnectionPool(
            configuration: configuration, credentials: serviceAccount, threadPool: threadPool, health: health,
            logger: logger)
        bindPool = LDAPConnectionPool(
            configuration: configuration, credentials: nil, threadPool: threadPool, health: health, logger: logger)
    }

    public func shutdown() async {
        await searchPool.shutdown()
        await bindPool.shutdown()
        try? await threadPool.shutdownGracefully()
    }

    /// Runs one blocking operation on a pooled connection; a connection lost on the way is replaced and the
    /// operation tried once more (possibly on the next server), as every search here is idempotent. A
    /// connection whose operation timed out is never reused, and the retry goes to another server, unless
    /// `retryAfterTimeout` is false: a password bind that timed out may have been counted as a failure by the
    /// directory, and a second one would count again towards its lockout.
    func withConnection<T: Sendable>(
        _ pool: LDAPConnectionPool, retryAfterTimeout: Bool = true,
        _ body: @escaping @Sendable (LDAPConnection) throws -> T
    ) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            let connection = try await pool.lease()
            do {
                let value = try await threadPool.runIfActive { try body(connection) }
                await pool.release(connection, reusable: true)
                return value
            } catch let error as LDAPError where error.isConnectionFailure {
                let worthRetrying = await pool.discard(connection, after: error)
                if attempt >= 2 || !worthRetrying || (error.kind == .timeout && !retryAfterTimeout) { throw error }
                logger.info("LDAP connection lost; retrying on a new one", metadata: ["server": "\(connection.server)"])
            } catch {
                await pool.release(connection, reusable: (error as? LDAPError)?.kind != .tls)
                throw error
            }
        }
    }

    /// Checks a password by a simple bind. An empty or blank password, and a password or bind name with a
    /// control character (a NUL would cut it short), are refused here, before any network call (see
    /// `LDAPCredentials.validate()`): servers take an empty password for an unauthenticated bind and answer
    /// "success" (RFC 4513 §5.1.2).
    public func bind(_ credentials: LDAPCredentials) async throws {
        try credentials.validate()
        try await withConnection(bindPool, retryAfterTimeout: false) { try $0.bind(credentials) }
    }

    /// All entries matching `filter`, fetched a page at a time as the sequence is consumed.
    public func search(
        base: String, scope: LDAPScope = .subtree, filter: LDAPFilter, attributes: [String] = [], pageSize: Int = 1000
    ) -> LDAPSearchResults {
        LDAPSearchResults(
            client: self,
            request: .init(
                base: base, scope: scope, filter: filter.description, attributes: attributes, pageSize: Int32(pageSize))
        )
    }

    /// Every entry matching `filter` in one unpaged request and one trip to the thread pool: for lookups
    /// whose answer is a handful of entries (a login finding its user), where paging costs a second hop.
    public func lookup(base: String, scope: LDAPScope = .subtree, filter: LDAPFilter, attributes: [String] = [])
        async throws -> [LDAPEntry]
    {
        let request = LDAPConnection.SearchRequest(
            base: base, scope: scope, filter: filter.description, attributes: attributes, pageSize: 0)
        return try await withConnection(searchPool) { try $0.search(request) }
    }

    /// One entry by DN, or nil when it does not exist.
    public func read(dn: String, attributes: [String] = []) async throws -> LDAPEntry? {
        do {
            return try await withConnection(searchPool) {
                try $0.search(
                    .init(base: dn, scope: .base, filter: "(objectClass=*)", attributes: attributes, pageSize: 0)
                ).first
            }
        } catch let error as LDAPError where error.kind == .noSuchObject {
            return nil
        }
    }

    /// The root DSE: naming contexts, supported controls, AD's highestCommittedUSN and dsServiceName.
    public func rootDSE(attributes: [String] = ["*", "+"]) async throws -> LDAPEntry {
        guard let entry = try await read(dn: "", attributes: attributes) else {
            throw LDAPError(kind: .noSuchObject, operation: "read root DSE")
        }
        return entry
    }

    /// Every value of a multi-valued attribute, following AD's range retrieval (`member;range=0-1499`) to the end.
    public func allValues(of attribute: String, in dn: String) async throws -> [[UInt8]] {
        var values: [[UInt8]] = []
        var start = 0
        while true {
            let requested = "\(attribute);range=\(start)-*"
            guard let entry = try await read(dn: dn, attributes: [requested]) else {
                throw LDAPError(kind: .noSuchObject, matchedDN: nil, operation: "read \(attribute) of \(dn)")
            }
            if let chunk = entry.rangedValues(attribute) {
                values += chunk.values
                guard let next = chunk.nextStart else { return values }
                start = next
            } else {
                // The server sent the attribute whole (or not at all): that is every value.
                return values + entry.values(attribute)
            }
        }
    }

    /// Which server a new connection would go to first (diagnostics, tests).
    public func preferredServers() async -> [LDAPServerURL] {
        health.candidateOrder().map { configuration.servers[$0] }
    }
}
