import Foundation

/// The `INBOARD_*` lines systemd reads (`EnvironmentFile=`): `NAME=value`, one per line, `#` comments.
enum EnvironmentFile {
    static func read(_ path: String) -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals]).trimmingCharacters(in: .whitespaces)] = String(
                line[line.index(after: equals)...])
        }
        return values
    }

    /// The file's text for `values`, in a stable order (so that the same answers write the same bytes).
    static func text(_ values: [String: String]) -> String {
        "# Inboard's process settings, written by 'inboard setup'; read by inboard.service (EnvironmentFile=).\n"
            + "# It holds the database password: keep it readable by root and the inboard group only.\n"
            + values.sorted { $0.key < $1.key }.map { "\($0.key)=\(quoted($0.value))\n" }.joined()
    }

    /// A value as both systemd and a shell's `.` read it: bare when plain, else in single quotes (values with a
    /// quote or a line break are refused by `problem`).
    static func quoted(_ value: String) -> String {
        value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_./:@%+,=?-".contains($0)) }
            ? value : "'\(value)'"
    }

    /// Why `value` cannot be written to an environment file, or nil.
    static func problem(_ name: String, _ value: String) -> String? {
        value.contains("'") || value.contains("\n") || value.contains("\r")
            ? "\(name) must not contain a quote or a line break" : nil
    }
}
