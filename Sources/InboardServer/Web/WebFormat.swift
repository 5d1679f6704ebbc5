import Foundation
import InboardCore
import InboardStore

/// How pages show times and read the times forms send. Forms send `datetime-local` values (no zone) plus
/// the browser's offset in `tz` (minutes, as JavaScript's getTimezoneOffset gives: -840 to 720); without it the
/// server's zone is assumed.
enum WebFormat {
    static func shortTime(_ date: Date?, now: Date = Date()) -> String {
        guard let date else { return "" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.dateFormat = Calendar.current.isDate(date, inSameDayAs: now) ? "HH:mm" : "EEE d MMM HH:mm"
        return formatter.string(from: date)
    }

    /// UTC offsets a zone can have (TimeZone's own limit of 18 hours), in minutes.
    static let offsetsAllowed = -1080...1080

    static func iso(_ date: Date?) -> String {
        date.map(ISO8601Seconds.string) ?? ""
    }

    /// A `datetime-local` value in the browser's zone; nil when blank, an error message when unreadable.
    static func localDate(_ text: String?, offsetMinutes: String?) -> Result<Date?, APIError> {
        guard let text, !text.isEmpty else { return .success(nil) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        if let offsetMinutes, !offsetMinutes.isEmpty {
            // Checked before any arithmetic: an offset past Int's range used to stop the server (overflow).
            guard let offset = Int(offsetMinutes), Self.offsetsAllowed.contains(offset),
                let zone = TimeZone(secondsFromGMT: -offset * 60)
            else {
                return .failure(
                    APIError(
                        .unprocessableContent, code: "invalid_field",
                        message: "'\(offsetMinutes)' is not a time zone offset in minutes (-1080 to 1080)"))
            }
            formatter.timeZone = zone
        }
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return .success(date) }
        }
        return .failure(
            APIError(
                .unprocessableContent, code: "invalid_field",
                message: "'\(text)' is not a date and time such as 2026-11-25T14:00"))
    }
}
