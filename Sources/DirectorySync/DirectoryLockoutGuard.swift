import Foundation
import LDAPKit
import Logging

/// Keeps Inboard's logins from locking accounts in the directory: before a password is sent for an entry, the
/// failures the directory already holds against it (read with the entry) are weighed against the directory's
/// lockout policy (`LockoutPolicy`). Active Directory: the domain's policy, or the fine-grained policy
/// (`msDS-ResultantPSO`) that applies to the entry; OpenLDAP: the password policy the entry names in
/// `pwdPolicySubentry` (the overlay's default policy lives in `cn=config`, which Inboard does not read).
/// Policies are read at most once per `lifetime`.
public actor DirectoryLockoutGuard {
    let client: LDAPClient
    let flavour: DirectoryFlavour
    let logger: Logger
    let lifetime: Duration
    private var policies: [String: (policy: LockoutPolicy?, readAt: ContinuousClock.Instant)] = [:]
    private var warnedUnreadable: Set<String> = []

    public init(client: LDAPClient, flavour: DirectoryFlavour, logger: Logger, lifetime: Duration = .seconds(300)) {
        self.client = client
        self.flavour = flavour
        self.logger = logger
        self.lifetime = lifetime
    }

    /// What a login must read with the entry for `nextBind(for:)`.
    public static func attributes(for flavour: DirectoryFlavour) -> [String] {
        switch flavour {
        case .activeDirectory: ["badPwdCount", "badPasswordTime", "msDS-ResultantPSO"]
        case .openLDAP: ["pwdFailureTime", "pwdPolicySubentry"]
        }
    }

    /// nil when a password may be sent for `entry` now; else when it may (see `LockoutPolicy.nextBind`).
    public func nextBind(for entry: LDAPEntry, now: Date = Date()) async throws -> Date? {
        let failures = Self.failures(of: entry, flavour: flavour)
        // Every policy allows one failure: an entry without any needs no policy read.
        guard !failures.times.isEmpty, let policy = try await policy(for: entry) else { return nil }
        return policy.nextBind(after: failures, now: now)
    }

    /// For the admin's "Test connection": the lockout an account meets that has no policy of its own, and
    /// Inboard's share of it.
    public func describeDefaultPolicy() async throws -> String {
        let ad = flavour == .activeDirectory
        let policy =
            ad
            ? try await cached("") { try await self.readDomainPolicy() }
            : try await cached("") { try await self.readStrictestPasswordPolicy() }
        guard let policy else {
            return ad
                ? "the domain does not lock accounts after failed logins"
                : "no password policy that locks accounts was found"
        }
        let time = policy.window.map { "within \(Self.words($0))" } ?? "before a successful login"
        let share = "Inboard sends at most \(policy.allowance) wrong password(s) per account in that time"
        guard let threshold = policy.threshold else {
            return "the service account cannot read the domain's lockout policy: \(share)"
        }
        let which = ad ? "the domain locks an account" : "the strictest password policy found locks an account"
        let own = ad ? "a fine-grained policy" : "a policy named in pwdPolicySubentry"
        return "\(which) after \(threshold) wrong passwords \(time); \(share) (under \(own): half of its threshold)"
    }

    static func words(_ window: Duration) -> String {
        let seconds = Int(window.components.seconds)
        return seconds % 60 == 0 ? "\(seconds / 60) min" : "\(seconds) s"
    }

    /// The policy that applies to `entry`, nil when the directory never locks it.
    func policy(for entry: LDAPEntry) async throws -> LockoutPolicy? {
        switch flavour {
        case .activeDirectory:
            let domain = try await cached("") { try await self.readDomainPolicy() }
            guard let pso = entry.string("msDS-ResultantPSO") else { return domain }
            return try await cached(pso) { try await self.readFineGrainedPolicy(pso, domainWindow: domain?.window) }
        case .openLDAP:
            guard let subentry = entry.string("pwdPolicySubentry") else {
                return try await cached("") { try await self.readStrictestPasswordPolicy() }
            }
            return try await cached(subentry) {
                guard let entry = try await self.readable(subentry, Self.passwordPolicyAttributes) else {
                    return self.unreadable(subentry, window: nil)
                }
                return Self.passwordPolicy(entry)
            }
        }
    }

    private func cached(_ key: String, read: () async throws -> LockoutPolicy?) async throws -> LockoutPolicy? {
        if let known = policies[key], ContinuousClock.now - known.readAt < lifetime { return known.policy }
        let policy = try await read()
        policies[key] = (policy, .now)
        return policy
    }

    private func readDomainPolicy() async throws -> LockoutPolicy? {
        let root = try await client.rootDSE(attributes: ["defaultNamingContext"])
        guard let domain = root.string("defaultNamingContext"),
            let entry = try await client.read(dn: domain, attributes: ["lockoutThreshold", "lockOutObservationWindow"])
        else { return unreadable("the domain's lockout policy", window: .seconds(1800)) }
        let window = Self.interval(entry.string("lockOutObservationWindow"))
        guard let threshold = entry.string("lockoutThreshold").flatMap(Int.init) else {
            return unreadable("the domain's lockout policy", window: window ?? .seconds(1800))
        }
        return threshold > 0 ? LockoutPolicy(threshold: threshold, window: window) : nil
    }

    private func readFineGrainedPolicy(_ dn: String, domainWindow: Duration?) async throws -> LockoutPolicy? {
        let entry = try await readable(dn, ["msDS-LockoutThreshold", "msDS-LockoutObservationWindow"])
        guard let entry, let threshold = entry.string("msDS-LockoutThreshold").flatMap(Int.init) else {
            return unreadable(dn, window: domainWindow ?? .seconds(1800))
        }
        let window = Self.interval(entry.string("msDS-LockoutObservationWindow")) ?? domainWindow
        return threshold > 0 ? LockoutPolicy(threshold: threshold, window: window) : nil
    }

    static let passwordPolicyAttributes = ["pwdLockout", "pwdMaxFailure", "pwdFailureCountInterval"]

    /// slapd keeps its default policy's name in `cn=config`, out of the service account's reach: an entry that
    /// names no policy is held to the strictest one the service account can find.
    private func readStrictestPasswordPolicy() async throws -> LockoutPolicy? {
        let root = try await client.rootDSE(attributes: ["namingContexts"])
        var strictest: LockoutPolicy?
        for context in root.strings("namingContexts") {
            let found = try await client.lookup(
                base: context, filter: .equal("objectClass", "pwdPolicy"), attributes: Self.passwordPolicyAttributes)
            for policy in found.compactMap(Self.passwordPolicy) where strictest.map(policy.isStricter) ?? true {
                strictest = policy
            }
        }
        return strictest
    }

    /// A password policy entry's lockout, nil when it does not lock.
    static func passwordPolicy(_ entry: LDAPEntry) -> LockoutPolicy? {
        guard entry.string("pwdLockout")?.uppercased() == "TRUE",
            let threshold = entry.string("pwdMaxFailure").flatMap(Int.init), threshold > 0
        else { return nil }
        let interval = entry.string("pwdFailureCountInterval").flatMap(Int.init) ?? 0
        return LockoutPolicy(threshold: threshold, window: interval > 0 ? .seconds(interval) : nil)
    }

    /// The entry, or nil when it is missing or hidden from the service account (an outage still throws).
    private func readable(_ dn: String, _ attributes: [String]) async throws -> LDAPEntry? {
        do { return try await client.read(dn: dn, attributes: attributes) } catch let error as LDAPError
            where error.kind == .insufficientAccess
        { return nil }
    }

    private func unreadable(_ what: String, window: Duration?) -> LockoutPolicy {
        if warnedUnreadable.insert(what).inserted {
            logger.warning(
                "the service account cannot read a lockout policy: Inboard sends at most one wrong password per account and window",
                metadata: ["policy": "\(what)"])
        }
        return .unreadable(window: window)
    }

    /// The failures the directory holds against `entry`, as it counts them.
    static func failures(of entry: LDAPEntry, flavour: DirectoryFlavour) -> LockoutPolicy.Failures {
        switch flavour {
        case .activeDirectory:
            // A count and the last failure's time: the whole count ends one window after that.
            guard let count = entry.string("badPwdCount").flatMap(Int.init), count > 0,
                let last = entry.string("badPasswordTime").flatMap(Int64.init).flatMap(fileTime)
            else { return .init(times: []) }
            return .init(times: Array(repeating: last, count: count))
        case .openLDAP:
            return .init(times: entry.strings("pwdFailureTime").compactMap(generalizedTime))
        }
    }

    /// AD's FILETIME: 100 ns ticks since 1601.
    static func fileTime(_ ticks: Int64) -> Date? {
        ticks > 0 ? Date(timeIntervalSince1970: TimeInterval(ticks) / 1e7 - 11_644_473_600) : nil
    }

    /// AD's intervals are negative 100 ns tick counts.
    static func interval(_ text: String?) -> Duration? {
        guard let ticks = text.flatMap(Int64.init), ticks != 0 else { return nil }
        return .milliseconds(ticks.magnitude / 10_000)
    }

    /// `20261206174500Z` or `20261206174500.123456Z` (UTC; fractions ignored).
    static func generalizedTime(_ text: String) -> Date? {
        let digits = Array(text.utf8.prefix(14))
        guard digits.count == 14, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        func number(_ range: Range<Int>) -> Int { digits[range].reduce(0) { $0 * 10 + Int($1 - 48) } }
        var parts = DateComponents()
        (parts.year, parts.month, parts.day) = (number(0..<4), number(4..<6), number(6..<8))
        (parts.hour, parts.minute, parts.second) = (number(8..<10), number(10..<12), number(12..<14))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: parts)
    }
}
