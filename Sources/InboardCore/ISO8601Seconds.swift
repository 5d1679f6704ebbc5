import Foundation

/// Dates as the API, the CSV export and the pages write them: ISO 8601 in UTC to the second
/// ("2026-12-04T16:41:27Z"), the text of JSONEncoder's `.iso8601` (a test holds them to the same answers),
/// without a formatter call per date, which was most of the cost of encoding a board page.
public enum ISO8601Seconds {
    /// Appends `date`'s text to `out`.
    public static func append(_ date: Date, to out: inout [UInt8]) {
        // Outside the Gregorian calendar's years (Foundation switches to the Julian one before 15 October
        // 1582) and four-digit years, Foundation's own text: no board holds such a date.
        guard (gregorianStart...lastFourDigitSecond).contains(date.timeIntervalSince1970) else {
            out.append(contentsOf: date.formatted(.iso8601).utf8)
            return
        }
        // Down to the second, as JSONEncoder does (ISO8601DateFormatter rounds to the millisecond first, so
        // …:02.9996 differed between the API and the CSV export).
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let (days, second) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let (day, secondOfDay) = second < 0 ? (days - 1, second + 86_400) : (days, second)
        let (year, month, dayOfMonth) = civil(daysSince1970: day)
        digits(year, 4, &out)
        out.append(UInt8(ascii: "-"))
        digits(month, 2, &out)
        out.append(UInt8(ascii: "-"))
        digits(dayOfMonth, 2, &out)
        out.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3600, 2, &out)
        out.append(UInt8(ascii: ":"))
        digits(secondOfDay % 3600 / 60, 2, &out)
        out.append(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2, &out)
        out.append(UInt8(ascii: "Z"))
    }

    /// 1582-10-15T00:00:00Z and 9999-12-31T23:59:59Z, in seconds since 1970.
    static let gregorianStart: TimeInterval = -12_219_292_800
    static let lastFourDigitSecond: TimeInterval = 253_402_300_799.999

    public static func string(_ date: Date) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(20)
        append(date, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Year, month and day of the proleptic Gregorian calendar (H. Hinnant's `civil_from_days`).
    static func civil(daysSince1970 days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func digits(_ value: Int64, _ count: Int, _ out: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 1..<count { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }
}
