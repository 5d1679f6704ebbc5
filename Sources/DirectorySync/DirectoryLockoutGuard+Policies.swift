import Foundation
import InboardCore
import LDAPKit
import Logging

/// Reading the directory's lockout policies (see `DirectoryLockoutGuard`).
extension DirectoryLockoutGuard {
    /// For the admin's "Test connection": the lockout an account meets that has no policy of its own, and
    /// Inboard's share of it.
    public func describeDefaultPolicy() async throws -> String {
        let ad = flavour == .activeDirectory
        guard let policy = try await defaultPolicy() else {
            return ad
                ? "the domain does not lock accounts after failed logins"
                : "no password policy that locks accounts was found"
        }
        let time = policy.window.map { "within \(Self.words($0))" } ?? "before a successful login"
        let share = "Inboard sends at most \(policy.allowance) wrong password(s) per account in that time"
        guard let threshold = policy.threshold else {
            return "the service account cannot read the domain's lockout policy: \(share)"
        }
        let which = ad ? "the domain locks an account" : "the strictest password policies found lock an account"
        let own = ad ? "a fine-grained policy" : "a policy named in pwdPolicySubentry"
        let fineGrained = "under \(own): less than half of its threshold"
        return "\(which) after \(threshold) wrong passwords \(time); \(share) (\(fineGrained))"
    }

    static func words(_ window: Duration) -> String {
        let seconds = Int(window.components.seconds)
        return seconds % 60 == 0 ? "\(seconds / 60) min" : "\(seconds) s"
    }

    /// The policy of an entry that names none: the domain's, or the strictest readable password policy.
    func defaultPolicy() async throws -> LockoutPolicy? {
        try await cached(Self.defaultPolicyKey) {
            if self.flavour == .activeDirectory { return try await self.readDomainPolicy() }
            return try await self.readStrictestPasswordPolicy()
        }
    }

    /// The policy that applies to `entry`, nil when the directory never locks it.
    func policy(for entry: LDAPEntry) async throws -> LockoutPolicy? {
        switch flavour {
        case .activeDirectory:
            let domain = try await defaultPolicy()
            guard let pso = entry.string("msDS-ResultantPSO") else { return domain }
            return try await cached(pso) { try await self.readFineGrainedPolicy(pso, domainWindow: domain?.window) }
        case .openLDAP:
            guard let subentry = entry.string("pwdPolicySubentry") else { return try await defaultPolicy() }
            return try await cached(subentry) {
                guard let entry = try await self.readable(subentry, Self.passwordPolicyAttributes) else {
                    return self.unreadable(subentry, window: nil)
                }
                return Self.passwordPolicy(entry)
            }
        }
    }

    /// A policy read at most once per `lifetime`. A read the directory refuses (other than an outage, which the
    /// login reports as one) is taken as an unreadable policy: refused, the login could not happen at all.
    func cached(_ key: String, read: () async throws -> LockoutPolicy?) async throws -> LockoutPolicy? {
        if let known = policies[key], ContinuousClock.now - known.readAt < lifetime { return known.policy }
        let policy: LockoutPolicy?
        do { policy = try await read() } catch let error as LDAPError where !Self.isOutage(error) {
            // Unknown, a password policy's failures may count until a success; a domain's, for its usual window.
            let window = flavour == .openLDAP ? nil : Self.adWindow
            let what = key == Self.defaultPolicyKey ? "the default lockout policy (\(error))" : key
            policy = unreadable(what, window: window)
        }
        policies[key] = (policy, .now)
        return policy
    }

    /// The cache's key for the policy an entry that names none is under.
    static let defaultPolicyKey = ""

    static func isOutage(_ error: LDAPError) -> Bool { [.serverDown, .timeout, .tls].contains(error.kind) }

    /// Active Directory's default observation window, for a policy whose own is not known.
    static let adWindow: Duration = .seconds(1800)

    func readDomainPolicy() async throws -> LockoutPolicy? {
        let root = try await client.rootDSE(attributes: ["defaultNamingContext"])
        guard let domain = root.string("defaultNamingContext"),
            let entry = try await client.read(dn: domain, attributes: ["lockoutThreshold", "lockOutObservationWindow"])
        else { return unreadable("the domain's lockout policy", window: Self.adWindow) }
        let window = Self.interval(entry.string("lockOutObservationWindow")) ?? Self.adWindow
        guard let threshold = entry.string("lockoutThreshold").flatMap(Int.init) else {
            return unreadable("the domain's lockout policy", window: window)
        }
        return threshold > 0 ? LockoutPolicy(threshold: threshold, window: window) : nil
    }

    func readFineGrainedPolicy(_ dn: String, domainWindow: Duration?) async throws -> LockoutPolicy? {
        let entry = try await readable(dn, ["msDS-LockoutThreshold", "msDS-LockoutObservationWindow"])
        guard let entry, let threshold = entry.string("msDS-LockoutThreshold").flatMap(Int.init) else {
            return unreadable(dn, window: domainWindow ?? Self.adWindow)
        }
        let window = Self.interval(entry.string("msDS-LockoutObservationWindow")) ?? domainWindow
        return threshold > 0 ? LockoutPolicy(threshold: threshold, window: window) : nil
    }

    static let passwordPolicyAttributes = ["pwdLockout", "pwdMaxFailure", "pwdFailureCountInterval"]

    /// slapd keeps its default policy's name in `cn=config`, out of the service account's reach: an entry that
    /// names no policy is held to the strictest one the service account can find.
    func readStrictestPasswordPolicy() async throws -> LockoutPolicy? {
        let root = try await client.rootDSE(attributes: ["namingContexts"])
        var strictest: LockoutPolicy?
        for context in root.strings("namingContexts") {
            let found: [LDAPEntry]
            do {
                found = try await client.lookup(
                    base: context, filter: .equal("objectClass", "pwdPolicy"),
                    attributes: Self.passwordPolicyAttributes)
            } catch let error as LDAPError where !Self.isOutage(error) {
                continue  // a context the service account may not search holds no policy it could read
            }
            for policy in found.compactMap(Self.passwordPolicy) {
                strictest = strictest?.combined(with: policy) ?? policy
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
    func readable(_ dn: String, _ attributes: [String]) async throws -> LDAPEntry? {
        do { return try await client.read(dn: dn, attributes: attributes) } catch let error as LDAPError
            where error.kind == .insufficientAccess
        { return nil }
    }

    /// An Active Directory entry without `badPwdCount` (hidden from the service account, or read from a global
    /// catalog, which does not hold it): its failures cannot be seen.
    func warnBlind(_ dn: String) {
        guard warned.insert("badPwdCount").inserted else { return }
        logger.warning(
            "the service account cannot read badPwdCount: Inboard cannot see how near an account is to the domain's lockout",
            metadata: ["entry": "\(dn)"])
    }

    func unreadable(_ what: String, window: Duration?) -> LockoutPolicy {
        if warned.insert(what).inserted {
            logger.warning(
                "the service account cannot read a lockout policy: Inboard sends at most one wrong password per account and window",
                metadata: ["policy": "\(what)"])
        }
        return .unreadable(window: window)
    }
}
