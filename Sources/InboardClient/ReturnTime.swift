import Foundation

/// `--back 14:00`, `--for 2h30m` and `--until …` turned into the instants the API takes.
public enum ReturnTime {
    /// Today's `HH:MM` in `timeZone`; one that has passed is refused rather than moved to tomorrow.
    public static func at(_ text: String, now: Date = Date(), timeZone: TimeZone = .current) throws(ClientError) -> Date
    {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), (0..<24).contains(hour),
            (0..<60).contains(minute), parts[1].count == 2
        else { throw .usage("'\(text)' is not a time of day: use HH:MM, e.g. 14:00") }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        guard let date = calendar.date(bySettingHour: hour, minute: minute, second: 0, of: now) else {
            throw .usage("'\(text)' is not a time of day")
        }
        guard date > now else { throw .usage("\(text) has passed today: give a later time, or --for 1h") }
        return date
    }

    /// `2h`, `30m`, `1h30m`, `90s`, `1d`: from now.
    public static func after(_ text: String, now: Date = Date()) throws(ClientError) -> Date {
        var seconds = 0, number = "", sawUnit = false
        for character in text.lowercased() {
            if character.isNumber {
                number.append(character)
                continue
            }
            let unit: Int? = ["d": 86_400, "h": 3600, "m": 60, "s": 1][String(character)]
            guard let unit, number.count <= 6, let value = Int(number) else {
                throw .usage("'\(text)' is not a duration: use e.g. 2h, 30m or 1h30m")
            }
            seconds += value * unit
            number = ""
            sawUnit = true
        }
        guard sawUnit, number.isEmpty, seconds > 0, seconds <= 366 * 86_400 else {
            throw .usage("'\(text)' is not a duration: use e.g. 2h, 30m or 1h30m")
        }
        return now.addingTimeInterval(TimeInterval(seconds))
    }

    /// `HH:MM` today, or a full ISO 8601 date-time.
    public static func parse(_ text: String, now: Date = Date(), timeZone: TimeZone = .current) throws(ClientError)
        -> Date
    {
        if text.count <= 5, text.contains(":") { return try at(text, now: now, timeZone: timeZone) }
        guard let date = EntryText.parse(text) else {
            throw .usage("'\(text)' is not a time: use HH:MM or 2026-12-24T17:00:00Z")
        }
        return date
    }

    /// With milliseconds: a queued change's time is compared with the server's to the millisecond.
    public static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
