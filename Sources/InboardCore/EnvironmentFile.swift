import Foundation

/// The `INBOARD_*` lines systemd reads (`EnvironmentFile=`): `NAME=value`, one per line, `#` comments.
public enum EnvironmentFile {
    /// The values as systemd reads them (its `EnvironmentFile=` parser, state for state): `#` and `;` start a
    /// comment line; a key ends at `=`, without the whitespace around it; a value is bare words and quoted parts
    /// run together. Bare, a backslash keeps the next character and drops itself (before a line break it joins
    /// the next line) and trailing whitespace goes; in single quotes nothing is escaped; in double quotes a
    /// backslash escapes `\`, `"`, `$` and `` ` `` and stays before anything else; quoted parts may span lines.
    /// (`text` quotes some values: a database URL with `&`, read back with its quotes, stopped every command but
    /// `serve`; a hand-written bare backslash kept as written gave the commands another password than the server.)
    public static func parse(_ text: String) -> [String: String] {
        var parser = Parser()
        for character in text.unicodeScalars { parser.take(character) }
        parser.finish()
        return parser.values
    }

    private struct Parser {
        enum State { case beforeKey, key, beforeValue, value, valueEscape, single, double, doubleEscape, comment }
        var state = State.beforeKey
        var key = "", value = ""
        /// Where trailing whitespace starts in `key` and in a bare `value` (nil: none so far).
        var keyWhitespace: String.Index?, valueWhitespace: String.Index?
        var values: [String: String] = [:]

        static let newlines: Set<Unicode.Scalar> = ["\n", "\r"]
        static let whitespace: Set<Unicode.Scalar> = [" ", "\t", "\n", "\r"]
        /// What a backslash escapes in double quotes.
        static let escapedInDoubleQuotes: Set<Unicode.Scalar> = ["\"", "\\", "`", "$"]

        mutating func take(_ c: Unicode.Scalar) {
            switch state {
            case .beforeKey:
                if c == "#" || c == ";" {
                    state = .comment
                } else if !Self.whitespace.contains(c) {
                    (state, key, keyWhitespace) = (.key, String(c), nil)
                }
            case .key:
                if Self.newlines.contains(c) {
                    state = .beforeKey  // a line without `=` sets nothing
                } else if c == "=" {
                    (state, value, valueWhitespace) = (.beforeValue, "", nil)
                } else {
                    keyWhitespace = Self.whitespace.contains(c) ? keyWhitespace ?? key.endIndex : nil
                    key.unicodeScalars.append(c)
                }
            case .beforeValue:
                if Self.newlines.contains(c) {
                    push()
                } else if c == "'" {
                    state = .single
                } else if c == "\"" {
                    state = .double
                } else if c == "\\" {
                    state = .valueEscape
                } else if !Self.whitespace.contains(c) {
                    state = .value
                    value.unicodeScalars.append(c)
                }
            case .value:
                if Self.newlines.contains(c) {
                    push()
                } else if c == "\\" {
                    (state, valueWhitespace) = (.valueEscape, nil)
                } else {
                    valueWhitespace = Self.whitespace.contains(c) ? valueWhitespace ?? value.endIndex : nil
                    value.unicodeScalars.append(c)
                }
            case .valueEscape:
                state = .value
                if !Self.newlines.contains(c) { value.unicodeScalars.append(c) }
            case .single:
                if c == "'" { state = .beforeValue } else { value.unicodeScalars.append(c) }
            case .double:
                if c == "\"" {
                    state = .beforeValue
                } else if c == "\\" {
                    state = .doubleEscape
                } else {
                    value.unicodeScalars.append(c)
                }
            case .doubleEscape:
                state = .double
                if Self.escapedInDoubleQuotes.contains(c) {
                    value.unicodeScalars.append(c)
                } else if c != "\n" {
                    value.unicodeScalars.append("\\")
                    value.unicodeScalars.append(c)
                }
            case .comment:
                if Self.newlines.contains(c) { state = .beforeKey }
            }
        }

        /// The end of the text ends the setting it is in.
        mutating func finish() {
            switch state {
            case .beforeKey, .key, .comment: break
            default: push()
            }
        }

        private mutating func push() {
            if state == .value, let cut = valueWhitespace { value = String(value[..<cut]) }
            if let cut = keyWhitespace { key = String(key[..<cut]) }
            values[key] = value
            (state, key, value, keyWhitespace, valueWhitespace) = (.beforeKey, "", "", nil, nil)
        }
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
