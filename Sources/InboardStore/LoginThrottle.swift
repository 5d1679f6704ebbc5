import Crypto
import Foundation
import InboardCore
import Logging
import PostgresNIO

/// Back-off after failed logins, per account, per client address and per IPv6 /64, shared by every server process.
///
/// The account is what the typed name resolves to (every spelling of one person shares a budget; a name that
/// resolves to nobody is counted under its canonical form). Each attempt is counted before the password is
/// checked, in one atomic statement, so parallel attempts cannot all slip through; a success takes its count
/// back. After `freeFailures` (per address: `freeAddressFailures`, per /64: `freeNetworkFailures`) within `window`, each further attempt waits
/// twice as long as the one before (`firstDelay`, twice that … up to `maxDelay`). Keys are stored as SHA-256 digests.
///
/// Its writes should go through `makePool`'s connections: every login from one address (a NAT, a proxy, a
/// load test) updates that address's row twice, and with a synchronous commit each holds the row's lock through
/// a flush to disk, so every login in the organisation would wait for two flushes of the others.
public struct LoginThrottle: Sendable {
    let database: DatabasePool
    let logger: Logger
    public var freeFailures = 5
    public var freeAddressFailures = 20
    /// An IPv6 client changes its address within its /64 at will; the /64 shares a budget five times an
    /// address's, so an office LAN on one /64 has more room than an office behind one IPv4 NAT address.
    public var freeNetworkFailures = 100
    public var window: Duration = .seconds(900)
    public var maxDelay: Duration = .seconds(900)
    /// The first lock after the free failures; each further one doubles it.
    public var firstDelay: Duration = .seconds(1)

    public init(database: DatabasePool, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// A small pool for the throttle whose commits do not wait for the disk (`synchronous_commit = off`): each
    /// change is visible to every other login as soon as it commits, and the row locks keep every statement
    /// atomic, so no parallel attempt slips through; what a PostgreSQL crash can lose is the last fraction of a
    /// second of counts (at most three times `wal_writer_delay`, 600 ms by default).
    public static func makePool(
        url: DatabaseURL, logger: Logger, acquireTimeout: Duration = DatabasePool.defaultAcquireTimeout
    ) throws -> DatabasePool {
        try DatabasePool(
            url: url, size: 4, logger: logger, acquireTimeout: acquireTimeout, settings: [("synchronous_commit", "off")]
        )
    }

    /// The counters one attempt touches.
    public struct Keys: Sendable, Equatable {
        public let account: String
        public let address: String?
        /// The address's IPv6 /64, when it is an IPv6 address.
        public let network: String?

        public init(account: String, address: String?, network: String? = nil) {
            self.account = account
            self.address = address
            self.network = network
        }

        /// Every counter's key: the account's, and the address's and its /64's when there are.
        var all: [String] { [account] + [address, network].compactMap { $0 } }
    }

    /// Resolves the typed name to an account (a person, or the canonical name when it matches none).
    public func keys(username: String, address: String?) async throws -> Keys {
        let name = LoginName(username)
        var binds = PostgresBindings()
        binds.append(name.usernames)
        binds.append(name.distinguishedName)
        var account = "name:" + name.canonical
        for try await id in try await database.query(prepared: ResolveSQL.self, binds, logger: logger).decode(
            Int64.self)
        {
            account = "person:\(id)"
        }
        return Keys(
            account: Self.digest(account), address: address.map { Self.digest("addr:" + Self.client(of: $0)) },
            network: address.flatMap(Self.network(of:)).map { Self.digest("net:" + $0) })
    }

    /// What one client's address is counted as: the address in one spelling (`2001:DB8::1` and
    /// `2001:db8:0:0::1` are one client; an IPv4 address a dual-stack socket gives as `::ffff:192.0.2.7` is
    /// `192.0.2.7`). Not its IPv6 /64 (an office LAN shares one): that is `network(of:)`, with a larger budget.
    static func client(of address: String) -> String {
        guard let bytes = ipv6Bytes(address) else { return address }
        if isIPv4Mapped(bytes) { return bytes[12...].map(String.init).joined(separator: ".") }
        return groups(bytes[...]).joined(separator: ":")
    }

    /// The /64 an IPv6 address is in (`2001:db8:1:2::/64`); nil for IPv4, IPv4-mapped and unreadable addresses.
    static func network(of address: String) -> String? {
        guard let bytes = ipv6Bytes(address), !isIPv4Mapped(bytes) else { return nil }
        return groups(bytes[0..<8]).joined(separator: ":") + "::/64"
    }

    private static func ipv6Bytes(_ address: String) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: 16)
        guard address.contains(":"), inet_pton(AF_INET6, address, &bytes) == 1 else { return nil }
        return bytes
    }

    private static func isIPv4Mapped(_ bytes: [UInt8]) -> Bool {
        bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
    }

    private static func groups(_ bytes: ArraySlice<UInt8>) -> [String] {
        stride(from: bytes.startIndex, to: bytes.endIndex, by: 2).map {
            String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16)
        }
    }

    /// The stored key for an account named the way `keys(username:address:)` names one ("person:ID", …).
    public static func accountKey(_ account: String) -> String { digest(account) }

    enum ResolveSQL: PreparedSQL {
        static let sql = """
            SELECT id FROM people
            WHERE lower(username) = ANY($1) OR ($2::text IS NOT NULL AND regexp_replace(lower(dn), '\\s*([,=])\\s*', '\\1', 'g') = $2)
            ORDER BY array_position($1, lower(username)) NULLS LAST LIMIT 1
            """
    }

    static func digest(_ key: String) -> String {
        SHA256.hash(data: Data(key.utf8)).lowercaseHex
    }

    /// Counts an attempt; returns the seconds to wait when any of the keys is locked (the attempt must then
    /// be refused, and is not counted for that key).
    public func beginAttempt(_ keys: Keys) async throws -> Int? {
        try await beginAttempt(counters(keys))
    }

    /// The same for a further account key found later in the login (the directory entry a name led to).
    public func beginAttempt(account key: String) async throws -> Int? {
        try await beginAttempt([(key, freeFailures)])
    }

    /// Each counter's key with the failures it allows before it locks, sorted by key: rows are locked in this
    /// order, and every statement that locks several takes them sorted, so parallel logins never wait for each
    /// other in a cycle (PostgreSQL would abort one with "deadlock detected").
    private func counters(_ keys: Keys) -> [(key: String, free: Int)] {
        let others = [keys.address.map { ($0, freeAddressFailures) }, keys.network.map { ($0, freeNetworkFailures) }]
        return ([(keys.account, freeFailures)] + others.compactMap { $0 }).sorted { $0.key < $1.key }
    }

    private func beginAttempt(_ counters: [(key: String, free: Int)]) async throws -> Int? {
        var binds = PostgresBindings()
        binds.append(counters.map(\.key))
        binds.append(Double(window.components.seconds))
        binds.append(Double(maxDelay.components.seconds))
        binds.append(counters.map(\.free))
        binds.append(Double(firstDelay.components.seconds))
        var wait: Int?
        for try await (seconds, counted) in try await database.query(prepared: AttemptSQL.self, binds, logger: logger)
            .decode((Int?, Bool).self)
        where !counted {
            wait = max(wait ?? 1, seconds ?? 1)
        }
        return wait
    }

    /// One statement decides from each row's latest committed version (the upsert waits for a parallel
    /// attempt's row lock and re-reads the row): a row locked before this attempt is left as it is and comes
    /// back uncounted with its wait; any other row counts this attempt (and may lock the next ones).
    enum AttemptSQL: PreparedSQL {
        static let sql = """
            INSERT INTO login_throttle AS t (key, failures, last_failure_at)
            SELECT k, 1, now() FROM unnest($1::text[]) AS k
            ON CONFLICT (key) DO UPDATE SET
                failures = CASE WHEN t.blocked_until > now() THEN t.failures
                                WHEN t.last_failure_at < now() - make_interval(secs => $2) THEN 1 ELSE t.failures + 1 END,
                last_failure_at = CASE WHEN t.blocked_until > now() THEN t.last_failure_at ELSE now() END,
                blocked_until = CASE
                    WHEN t.blocked_until > now() THEN t.blocked_until
                    WHEN t.last_failure_at >= now() - make_interval(secs => $2)
                         AND t.failures + 1 > $4[array_position($1, t.key)]
                    THEN now() + make_interval(secs => least($3, $5 * power(2, t.failures - $4[array_position($1, t.key)])::float8))
                END
            RETURNING ceil(extract(epoch FROM t.blocked_until - now()))::int, t.last_failure_at = now()
            """
    }

    /// A successful login: the account starts afresh, and the address and its /64 get this attempt back. One
    /// statement that locks the rows first, in key order as every other statement does (a DELETE and an UPDATE
    /// that each locked their own row, in their own order, deadlocked with parallel attempts).
    public func succeeded(_ keys: Keys) async throws {
        let counters = counters(keys)
        var binds = PostgresBindings()
        binds.append(counters.map(\.key))
        binds.append(keys.account)
        binds.append(counters.map(\.free))
        for try await _ in try await database.query(prepared: SucceededSQL.self, binds, logger: logger) {}
    }

    enum SucceededSQL: PreparedSQL {
        static let sql = """
            WITH locked AS (SELECT key FROM login_throttle WHERE key = ANY($1) ORDER BY key FOR UPDATE),
            cleared AS (DELETE FROM login_throttle t USING locked l WHERE t.key = l.key AND t.key = $2),
            returned AS (
                UPDATE login_throttle t SET failures = greatest(t.failures - 1, 0),
                    blocked_until = CASE WHEN t.failures - 1 > $3[array_position($1, t.key)] THEN t.blocked_until END
                FROM locked l WHERE t.key = l.key AND t.key <> $2)
            SELECT count(*) FROM locked
            """
    }

    /// An attempt that judged no password (the directory or database was away): it does not count.
    public func refund(_ keys: Keys) async throws {
        for key in keys.all.sorted() {
            try await database.query(
                "UPDATE login_throttle SET failures = greatest(failures - 1, 0) WHERE key = \(key)", logger: logger)
        }
    }
}
