import Foundation
import InboardCore
import LDAPKit
import Logging

/// Keeps Inboard's logins from locking accounts in the directory: before a password is sent for an entry, the
/// failures the directory already holds against it (read with the entry) are weighed against the directory's
/// lockout policy (`LockoutPolicy`). Active Directory: the domain's policy, or the fine-grained policy
/// (`msDS-ResultantPSO`) that applies to the entry; OpenLDAP: the password policy the entry names in
/// `pwdPolicySubentry`, else the strictest one the service account can read (the overlay's default policy is
/// named in `cn=config`, which Inboard does not read). Policies are read at most once per `lifetime`.
public actor DirectoryLockoutGuard {
    let client: LDAPClient
    let flavour: DirectoryFlavour
    let logger: Logger
    let lifetime: Duration
    var policies: [String: (policy: LockoutPolicy?, readAt: ContinuousClock.Instant)] = [:]
    /// What the log has already been told Inboard cannot read (policy DNs, `badPwdCount`).
    var warned: Set<String> = []
    /// This process's binds per entry (lower-cased DN): under way, and when recent ones failed.
    private var ours: [String: Binds] = [:]
    struct Binds {
        var inFlight = 0
        var failedAt: [Date] = []
    }

    public init(client: LDAPClient, flavour: DirectoryFlavour, logger: Logger, lifetime: Duration = .seconds(300)) {
        self.client = client
        self.flavour = flavour
        self.logger = logger
        self.lifetime = lifetime
    }

    /// What a login must read with the entry for `reserveBind(for:)`.
    public static func attributes(for flavour: DirectoryFlavour) -> [String] {
        switch flavour {
        case .activeDirectory: ["badPwdCount", "badPasswordTime", "msDS-ResultantPSO"]
        case .openLDAP: ["pwdFailureTime", "pwdPolicySubentry"]
        }
    }

    /// Takes a place for a bind as `entry`, read at `readAt`: nil when its password may be sent now (give the place
    /// back with `release` after the bind), else when it may (see `LockoutPolicy.nextBind`; `ownDevice`: a login
    /// from a device its person signed in on before). Binds in flight in this process, and those that failed
    /// since the entry was read, count as failures: parallel attempts cannot all pass on one reading of it.
    public func reserveBind(
        for entry: LDAPEntry, readAt: Date, ownDevice: Bool = false, now: Date = Date()
    ) async throws -> Date? {
        let key = entry.dn.lowercased()
        let failures = Self.failures(of: entry, flavour: flavour, now: now)
        if flavour == .activeDirectory, entry.string("badPwdCount") == nil { warnBlind(entry.dn) }
        // Inboard allows at least one failure under any policy: an entry with none, and no bind of ours under way
        // or just failed, needs no policy read.
        if !failures.times.isEmpty || ours[key] != nil, let policy = try await policy(for: entry) {
            let mine = ours[key].map { Array(repeating: now, count: $0.inFlight + $0.failedAt.count { $0 >= readAt }) }
            let all = LockoutPolicy.Failures(times: failures.times + (mine ?? []))
            if let next = policy.nextBind(after: all, now: now, ownDevice: ownDevice) { return next }
        }
        ours[key, default: Binds()].inFlight += 1
        return nil
    }

    /// The bind `reserveBind` made room for is over; `failed`: the directory refused the password.
    public func release(_ entry: LDAPEntry, failed: Bool, now: Date = Date()) {
        let key = entry.dn.lowercased()
        guard var binds = ours[key], binds.inFlight > 0 else { return }
        binds.inFlight -= 1
        // A failure stays here as long as an entry read before it may still be weighed (a login's steps each
        // wait seconds, not minutes).
        binds.failedAt.removeAll { now.timeIntervalSince($0) > 600 }
        if failed { binds.failedAt.append(now) }
        ours[key] = binds.inFlight == 0 && binds.failedAt.isEmpty ? nil : binds
    }
}
