/// How LDAPKit reaches a directory. Certificate verification is on unless `insecureSkipVerify` is chosen.
public struct LDAPConfiguration: Sendable {
    public enum TLSMode: String, Sendable, CaseIterable {
        case none
        case startTLS = "starttls"
        case ldaps
    }

    /// In order of preference: the first reachable one is used, the others are failover.
    public var servers: [LDAPServerURL]
    public var tls: TLSMode
    public var caFile: String?
    public var insecureSkipVerify: Bool
    public var connectTimeout: Duration
    public var operationTimeout: Duration
    public var maxConnections: Int
    /// First wait before a failed server is tried again; doubles per failure up to `maxRetryDelay`.
    public var retryDelay: Duration
    public var maxRetryDelay: Duration
    /// Off by default: AD answers referrals for partitions (Configuration, DomainDnsZones) a sync never wants.
    public var chaseReferrals: Bool

    public init(
        servers: [LDAPServerURL], tls: TLSMode = .none, caFile: String? = nil, insecureSkipVerify: Bool = false,
        connectTimeout: Duration = .seconds(3), operationTimeout: Duration = .seconds(30), maxConnections: Int = 8,
        retryDelay: Duration = .seconds(1), maxRetryDelay: Duration = .seconds(60), chaseReferrals: Bool = false
    ) {
        self.servers = servers
        self.tls = tls
        self.caFile = caFile
        self.insecureSkipVerify = insecureSkipVerify
        self.connectTimeout = connectTimeout
        self.operationTimeout = operationTimeout
        self.maxConnections = maxConnections
        self.retryDelay = retryDelay
        self.maxRetryDelay = maxRetryDelay
        self.chaseReferrals = chaseReferrals
    }
}

/// A simple-bind identity and its password. The password is never printed.
public struct LDAPCredentials: Sendable, CustomStringConvertible {
    public let bindName: String
    public let password: String

    public init(bindName: String, password: String) {
        self.bindName = bindName
        self.password = password
    }

    public var description: String { "\(bindName) (password hidden)" }
}
