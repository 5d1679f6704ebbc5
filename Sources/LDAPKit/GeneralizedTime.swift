import Foundation

/// LDAP's GeneralizedTime (RFC 4517 §3.3.13) as directories write it: `20261206174500Z` (slapd's
/// `pwdFailureTime` adds `.123456`, AD's `currentTime` `.0`). Read as UTC to the second; fractions are dropped.
public enum GeneralizedTime {
    public static func date(_ text: String) -> Date? {
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
