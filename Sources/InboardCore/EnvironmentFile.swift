import Foundation

/// The `INBOARD_*` lines systemd reads (`EnvironmentFile=`): `NAME=value`, one per line, `#` comments.
public enum EnvironmentFile {
    /// The values as systemd reads them: quotes around a value are taken off (`text` quotes some values: a
    /// database URL with `&` in it, read with its quotes, stopped every command but `serve`).
    public static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for rawLine in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.hasPrefix("#"), !line.hasPrefix(";"), let equals = line.firstIndex(of: "=") else { continue }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            values[name] = unquoted(line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces))
        }
        return values
    }

    /// A value as systemd reads it: without the quotes around it; nothing is escaped in single quotes; in double
    /// quotes a backslash escapes `\`, `"`, `$` and `` ` `` (what `quoted` escapes) and stays before anything else.
    public static func unquoted(_ value: String) -> String {
        guard value.count >= 2, let quote = value.first, quote == "'" || quote == "\"", value.last == quote else {
            return value
        }
        let inner = value.dropFirst().dropLast()
        guard quote == "\"" else { return String(inner) }
        var result = ""
        var escaping = false
        for character in inner {
            if escaping {
                if !"\\\"$`".contains(character) { result.append("\\") }
                result.append(character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                result.append(character)
            }
        }
        if escaping { result.append("\\") }
        return result
    }

    /// The file's text for `values`, in a stable order (so that the same answers write the same bytes).
    public static func text(_ values: [String: String]) -> String {
        "# Inboard's process settings, written by 'inboard setup'; read by inboard.service (EnvironmentFile=).\n"
            + "# It holds the database password: keep it readable by root and the inboard group only.\n"
            + values.sorted { $0.key < $1.key }.map { "\($0.key)=\(quoted($0.value))\n" }.joined()
    }

    /// A value as both systemd and a shell's `.` read it: bare when plain, else in single quotes; a value with a
    /// single quote in it (one kept from the file: setup's own answers are refused by `problem`) in double quotes,
    /// with `\`, `"`, `$` and `` ` `` escaped.
    public static func quoted(_ value: String) -> String {
        if value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_./:@%+,=?-".contains($0)) }) {
            return value
        }
        guard value.contains("'") else { return "'\(value)'" }
        var escaped = ""
        for character in value {
            if "\\\"$`".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return "\"\(escaped)\""
    }

    /// Why `value` cannot be written to an environment file, or nil.
    public static func problem(_ name: String, _ value: String) -> String? {
        value.contains("'") || value.contains(where: \.isNewline)
            ? "\(name) must not contain a quote or a line break" : nil
    }
}
