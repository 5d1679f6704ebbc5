import Foundation
import InboardCore
import LDAPKit

/// The failures each directory writes on an entry, as it counts them.
extension DirectoryLockoutGuard {
    /// The failures the directory holds against `entry`, as it counts them.
    static func failures(of entry: LDAPEntry, flavour: DirectoryFlavour, now: Date = Date()) -> LockoutPolicy.Failures {
        switch flavour {
        case .activeDirectory:
            // A count and the last failure's time: the whole count ends one window after that (without the
            // time, as if the failures were now).
            guard let count = entry.string("badPwdCount").flatMap(Int.init), count > 0 else { return .init(times: []) }
            let last = entry.string("badPasswordTime").flatMap(Int64.init).flatMap(fileTime) ?? now
            return .init(times: Array(repeating: last, count: count))
        case .openLDAP:
            return .init(times: entry.strings("pwdFailureTime").compactMap(GeneralizedTime.date))
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
}
