import Foundation

/// A person's board entry (the API's JSON) as one line of text: "Carol King (carol): Out until 14:00, note".
public enum EntryText {
    public static func line(_ entry: [String: Any], timeZone: TimeZone = .current) -> String {
        let name = entry["displayName"] as? String ?? "?"
        let username = entry["username"] as? String ?? "?"
        return printable("\(name) (\(username)): \(status(entry, timeZone: timeZone))")
    }

    /// Text others wrote, safe for a terminal: control characters (escape sequences above all) become U+FFFD.
    public static func printable(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let control = scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
            out.append(control ? "\u{FFFD}" : scalar)
        }
        return String(out)
    }

    public static func status(_ entry: [String: Any], timeZone: TimeZone = .current) -> String {
        guard let status = entry["status"] as? [String: Any], let type = status["type"] as? String else {
            return "no status"
        }
        var text = type
        if let back = (status["returnAt"] as? String).flatMap(parse) {
            text += " until \(clock(back, timeZone: timeZone))"
            if status["overdue"] as? Bool == true { text += " (overdue)" }
        }
        if status["autoAway"] as? Bool == true { text += " (idle)" }
        if let note = status["note"] as? String, !note.isEmpty { text += ", \(note)" }
        if status["noteHidden"] as? Bool == true { text += " [note hidden]" }
        return text
    }

    static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }

    /// "14:00" today, "Fri 14:00" within a week, else "2026-12-24 14:00".
    static func clock(_ date: Date, timeZone: TimeZone, now: Date = Date()) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB_POSIX")
        formatter.timeZone = timeZone
        if calendar.isDate(date, inSameDayAs: now) {
            formatter.dateFormat = "HH:mm"
        } else if abs(date.timeIntervalSince(now)) < 6 * 86_400 {
            formatter.dateFormat = "EEE HH:mm"
        } else {
            formatter.dateFormat = "yyyy-MM-dd HH:mm"
        }
        return formatter.string(from: date)
    }
}
