import Foundation
import LDAPKit

/// The directory's own account lockout: after `threshold` failed binds within `window` the directory locks the
/// account everywhere (Windows logon, mail, VPN), not just in Inboard. Inboard's logins face the network, so
/// they may spend only part of that threshold (`allowance`): guesses sent through Inboard can never lock an
/// account in the directory, and its owner keeps the rest for their own typing elsewhere.
public struct LockoutPolicy: Sendable, Equatable {
    /// Failed binds Inboard may cause while the directory still counts them.
    public let allowance: Int
    /// How long a failure keeps counting: Active Directory's observation window (from the last failure), a
    /// password policy's `pwdFailureCountInterval` (from each failure); nil when failures count until a success.
    public let window: Duration?
    /// The directory's threshold, when Inboard could read it.
    public let threshold: Int?

    /// Half the directory's threshold, rounded down, and at least one (below that nobody could log in): the one
    /// rule for how much of it Inboard spends. A threshold of 1 locks an account at its first wrong password
    /// anywhere, Inboard included.
    public init(threshold: Int, window: Duration?) {
        self.threshold = threshold
        self.allowance = max(1, threshold / 2)
        self.window = window
    }

    /// A policy that applies but whose threshold the service account may not read (an Active Directory
    /// fine-grained password policy, by default readable by administrators only): Inboard then sends at most
    /// one wrong password per window, since even a threshold of two must not be reached through it.
    public static func unreadable(window: Duration?) -> LockoutPolicy { LockoutPolicy(allowance: 1, window: window) }

    private init(allowance: Int, window: Duration?) {
        self.threshold = nil
        self.allowance = allowance
        self.window = window
    }

    /// Fewer failures allowed, or as many counted for longer (nil: until a success).
    func isStricter(than other: LockoutPolicy) -> Bool {
        guard allowance == other.allowance else { return allowance < other.allowance }
        guard let window else { return other.window != nil }
        return other.window.map { window > $0 } ?? false
    }

    /// The failed binds the directory holds against an account now, as the directory counts them.
    public struct Failures: Sendable, Equatable {
        /// Failure times, oldest first (Active Directory keeps only a count and the last one's time: there
        /// every counted failure carries the last time, since the whole count ends together).
        public let times: [Date]

        public init(times: [Date]) { self.times = times.sorted() }
    }

    /// When a login may next send this account's password to the directory: nil now, else the time its failures
    /// fall back under the allowance (`distantFuture` when they count until a success elsewhere).
    public func nextBind(after failures: Failures, now: Date = Date()) -> Date? {
        let counting = failures.times.filter { time in window.map { time.addingTimeInterval($0.seconds) > now } ?? true
        }
        guard counting.count >= allowance else { return nil }
        guard let window else { return .distantFuture }
        // Enough of the oldest must lapse that one fewer than the allowance remain.
        return counting[counting.count - allowance].addingTimeInterval(window.seconds)
    }
}
