import Crypto
import Foundation
import InboardCore
import Logging
import PostgresNIO

/// Back-off after failed logins, per account (or device token), per client address and per IPv6 /64, shared by
/// every server process.
///
/// The account is what the typed name resolves to (every spelling of one person shares a budget; a name that
/// resolves to nobody is counted under its canonical form). Each attempt is counted before the password is
/// checked, in one atomic statement, so parallel attempts cannot all slip through; a success takes its count
/// back. After `freeFailures` (per address: `freeAddressFailures`, per /64: `freeNetworkFailures`, per person's
/// device tokens together: `freeDeviceFailures`) within `window`, each further attempt waits
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
    /// Every device token of one account together (see `Keys.devices`): a stolen or hoarded set of tokens
    /// still meets one budget.
    public var freeDeviceFailures = 20
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
        /// The account's (a person's, or a name's that matches nobody), or in its place a device token's
        /// (`throughDevice`): the counter a success clears.
        public let account: String
        public let address: String?
        /// The address's IPv6 /64, when it is an IPv6 address.
        public let network: String?
        /// With a device token: the counter all of that account's tokens share.
        public let devices: String?
        /// The typed name resolved to a person (else `account` counts the name as typed).
        public let accountIsPerson: Bool

        public init(
            account: String, address: String?, network: String? = nil, devices: String? = nil,
            accountIsPerson: Bool = false
        ) {
            self.account = account
            self.address = address
            self.network = network
            self.devices = devices
            self.accountIsPerson = accountIsPerson
        }

        /// The same attempt counted under a device token's key (`token`, in place of the account's) and the
        /// counter all tokens of its person share (`personName`: "person:ID").
        public func throughDevice(token: String, personName: String) -> Keys {
            Keys(
                account: token, address: address, network: network,
                devices: LoginThrottle.digest("devices:" + personName), accountIsPerson: true)
        }

        /// Every counter's key.
        var all: [String] { [account] + [address, network, devices].compactMap { $0 } }
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
            network: address.flatMap(Self.network(of:)).map { Self.digest("net:" + $0) },
            accountIsPerson: account.hasPrefix("person:"))
    }

    /// What one client's address is counted as: the address in one spelling (`2001:DB8::1` and
    /// `2001:db8:0:0::1` are one client; an IPv4 address a dual-stack socket gives as `::ffff:192.0.2.7`, or a
    /// NAT64 gateway as `64:ff9b::c000:207`, is `192.0.2.7`). Not its IPv6 /64 (an office LAN shares one): that
    /// is `network(of:)`, with a larger budget.
    static func client(of address: String) -> String {
        guard let bytes = ipv6Bytes(address) else { return address }
        if isIPv4Mapped(bytes) || isNAT64(bytes) { return bytes[12...].map(String.init).joined(separator: ".") }
        return groups(bytes[...]).joined(separator: ":")
    }

    /// The network an IPv6 client can take addresses in at will: its /64 (`2001:db8:1:2::/64`), or for 6to4 the
    /// whole /48 its one IPv4 address gives it. Nil for IPv4 (also mapped or through NAT64), loopback,
    /// link-local and Teredo (whose prefix is the relay's, shared by everyone using it), and unreadable text.
    static func network(of address: String) -> String? {
        guard let bytes = ipv6Bytes(address), !isIPv4Mapped(bytes), !isNAT64(bytes) else { return nil }
        let teredo = bytes[0..<4] == [0x20, 0x01, 0x00, 0x00]
        let linkLocal = bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80
        guard !teredo, !linkLocal, !bytes[0..<8].allSatisfy({ $0 == 0 }) else { return nil }
        if bytes[0] == 0x20, bytes[1] == 0x02 { return groups(bytes[0..<6]).joined(separator: ":") + "::/48" }
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

    /// A translator's /96 carrying an IPv4 client in its last 32 bits: the well-known 64:ff9b::/96 (RFC 6052)
    /// or one inside the local-use 64:ff9b:1::/48 (RFC 8215). An operator's own prefix is not recognised: its
    /// IPv4 clients share one /64 counter (docs/security.md says so).
    private static func isNAT64(_ bytes: [UInt8]) -> Bool {
        guard bytes[0..<4] == [0x00, 0x64, 0xff, 0x9b] else { return false }
        return bytes[4..<12].allSatisfy { $0 == 0 } || (bytes[4] == 0 && bytes[5] == 1 && bytes[8] == 0)
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

    /// Counts an attempt; returns the seconds to wait when any of the keys is locked: the attempt must then be
    /// refused, and counts nowhere (it judges no password: counted, a lock on an office's /64 would run up every
    /// colleague's account as they retried).
    public func beginAttempt(_ keys: Keys) async throws -> Int? {
        try await beginAttempt(counters(keys))
    }

    /// Each counter's key with the failures it allows before it locks, sorted by key: rows are locked in this
    /// order, and every statement that locks several takes them sorted, so parallel logins never wait for each
    /// other in a cycle (PostgreSQL would abort one with "deadlock detected").
    private func counters(_ keys: Keys) -> [(key: String, free: Int)] {
        let others = [
            keys.address.map { ($0, freeAddressFailures) }, keys.network.map { ($0, freeNetworkFailures) },
            keys.devices.map { ($0, freeDeviceFailures) },
        ]
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

    /// One statement: when any row is locked, the attempt is refused with the longest wait and counts nowhere;
    /// otherwise every row counts it (and may lock the next ones). The upsert waits for a parallel attempt's row
    /// lock and re-reads the row, so a row that attempt locked meanwhile comes back uncounted with its wait.
    enum AttemptSQL: PreparedSQL {
        /// A count promises nothing durable: the next attempt at the same keys waits on these rows' locks until
        /// this commit, and one lost with a crash lets one more guess through.
        static let answeredAfterCommit = false
        static let sql = """
            WITH blocked AS (
                SELECT ceil(extract(epoch FROM blocked_until - now()))::int AS wait FROM login_throttle
                WHERE key = ANY($1) AND blocked_until > now()),
            counted AS (
                INSERT INTO login_throttle AS t (key, failures, last_failure_at)
                SELECT k, 1, now() FROM unnest($1::text[]) AS k WHERE NOT EXISTS (SELECT 1 FROM blocked) ORDER BY k
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
                RETURNING ceil(extract(epoch FROM t.blocked_until - now()))::int AS wait, t.last_failure_at = now() AS counted)
            SELECT wait, false FROM blocked UNION ALL SELECT wait, counted FROM counted
            """
    }

    /// A successful login: the account (or device token) starts afresh, and the other counters get this attempt
    /// back. One statement that locks the rows first, in key order as every other statement does (a DELETE and an
    /// UPDATE that each locked their own row, in their own order, deadlocked with parallel attempts).
    public func succeeded(_ keys: Keys) async throws {
        let counters = counters(keys)
        var binds = PostgresBindings()
        binds.append(counters.map(\.key))
        binds.append(keys.account)
        binds.append(counters.map(\.free))
        for try await _ in try await database.query(prepared: SucceededSQL.self, binds, logger: logger) {}
    }

    enum SucceededSQL: PreparedSQL {
        /// A count promises nothing durable: the next attempt at the same keys waits on these rows' locks until
        /// this commit, and one lost with a crash lets one more guess through.
        static let answeredAfterCommit = false
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
