import Foundation

/// The directory's own account lockout: after `threshold` failed binds within `window` the directory locks the
/// account everywhere (Windows logon, mail, VPN), not just in Inboard. Inboard's logins face the network, so
/// they may spend only part of that threshold (`allowance`): guesses sent through Inboard can never lock an
/// account in the directory, and its owner keeps the rest for their own typing elsewhere.
public struct LockoutPolicy: Sendable, Equatable {
    /// Failed binds Inboard may cause while the directory still counts them.
    public let allowance: Int
    /// The same for a login from a device the person signed in on before (`DeviceTokens`): up to two short of the
    /// threshold, nearly as at their own desk, so that even two server processes passing one reading at once
    /// never send the failure that locks.
    public let deviceAllowance: Int
    /// How long a failure keeps counting: Active Directory's observation window (from the last failure), a
    /// password policy's `pwdFailureCountInterval` (from each failure); nil when failures count until a success.
    public let window: Duration?
    /// The directory's threshold, when Inboard could read it.
    public let threshold: Int?

    /// Less than half the directory's threshold, and at least one (below that nobody could log in): the one rule
    /// for how much of it Inboard spends. Less than half, so that two server processes each passing the same
    /// reading at once still stay under the threshold. A threshold of 1 locks at the first wrong password anywhere.
    public init(threshold: Int, window: Duration?) {
        self.threshold = threshold
        self.allowance = max(1, (threshold - 1) / 2)
        self.deviceAllowance = max(allowance, threshold - 2)
        self.window = window
    }

    /// A policy that applies but whose threshold the service account may not read (an Active Directory
    /// fine-grained password policy, by default readable by administrators only): Inboard then sends at most
    /// one wrong password per window, since even a threshold of two must not be reached through it.
    public static func unreadable(window: Duration?) -> LockoutPolicy { LockoutPolicy(allowance: 1, window: window) }

    private init(allowance: Int, window: Duration?) {
        self.threshold = nil
        self.allowance = allowance
        self.deviceAllowance = allowance
        self.window = window
    }

    /// A policy at least as strict as both: the lower threshold, counted over the longer window (nil: until a
    /// success), for an entry that may be under either.
    public func combined(with other: LockoutPolicy) -> LockoutPolicy {
        let window = self.window.flatMap { mine in other.window.map { max(mine, $0) } }
        guard let threshold, let otherThreshold = other.threshold else { return .unreadable(window: window) }
        return LockoutPolicy(threshold: min(threshold, otherThreshold), window: window)
    }

    /// The failed binds the directory holds against an account now, as the directory counts them.
    public struct Failures: Sendable, Equatable {
        /// Failure times, oldest first (Active Directory keeps only a count and the last one's time: there
        /// every counted failure carries the last time, since the whole count ends together).
        public let times: [Date]

        public init(times: [Date]) { self.times = times.sorted() }
    }

    /// A failure counts this much longer than the directory counts it: the directory's clock and ours may
    /// differ a little, and the times the directories write drop fractions of a second.
    public static let clockMargin: TimeInterval = 5

    /// When a login may next send this account's password to the directory: nil now, else the time its failures
    /// fall back under the allowance (`distantFuture` when they count until a success elsewhere).
    public func nextBind(after failures: Failures, now: Date = Date(), ownDevice: Bool = false) -> Date? {
        let limit = ownDevice ? deviceAllowance : allowance
        let countsFor = window.map { Self.seconds($0) + Self.clockMargin }
        let live = failures.times.filter { time in countsFor.map { time.addingTimeInterval($0) > now } ?? true }
        guard live.count >= limit else { return nil }
        guard let countsFor else { return .distantFuture }
        // Enough of the oldest must lapse that one fewer than the limit remain (limit ≥ 1, so the index is valid).
        return live[live.count - limit].addingTimeInterval(countsFor)
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        TimeInterval(duration.components.seconds) + TimeInterval(duration.components.attoseconds) / 1e18
    }
}
