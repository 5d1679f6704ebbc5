import Foundation

/// Splits a schema file into single statements, because PostgreSQL's extended protocol runs one at a time.
/// Understands `--` and `/* */` comments, quoted strings and identifiers, and `$tag$` dollar quoting.
public struct SQLScript: Sendable {
    public struct Statement: Sendable, Equatable {
        public let sql: String
        /// 1-based line of the statement's first character, for error messages.
        public let line: Int
    }

    public let statements: [Statement]

    public init(_ text: String) {
        var statements: [Statement] = []
        var current = ""
        var startLine = 1
        var line = 1
        let chars = Array(text.unicodeScalars)
        var i = 0
        func flush() {
            let trimmed = current.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { statements.append(Statement(sql: trimmed, line: startLine)) }
            current = ""
        }
        func append(_ scalar: Unicode.Scalar) {
            if current.isEmpty, scalar.properties.isWhitespace {
                if scalar == "\n" { line += 1 }
                return
            }
            if current.isEmpty { startLine = line }
            current.unicodeScalars.append(scalar)
            if scalar == "\n" { line += 1 }
        }
        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            if c == "-", next == "-" {  // line comment: dropped
                while i < chars.count, chars[i] != "\n" { i += 1 }
                continue
            }
            if c == "/", next == "*" {  // block comment: dropped, lines counted
                i += 2
                while i < chars.count, !(chars[i] == "*" && i + 1 < chars.count && chars[i + 1] == "/") {
                    if chars[i] == "\n" { line += 1 }
                    i += 1
                }
                i += 2
                continue
            }
            if c == "'" || c == "\"" {  // quoted literal or identifier ('' and "" escape)
                append(c); i += 1
                while i < chars.count {
                    append(chars[i])
                    if chars[i] == c {
                        if i + 1 < chars.count, chars[i + 1] == c { append(chars[i + 1]); i += 2; continue }
                        i += 1; break
                    }
                    i += 1
                }
                continue
            }
            if c == "$", let tag = Self.dollarTag(chars, at: i) {
                for s in tag { append(s) }
                i += tag.count
                while i < chars.count {
                    if chars[i] == "$", Array(chars[i..<min(chars.count, i + tag.count)]) == tag {
                        for s in tag { append(s) }
                        i += tag.count
                        break
                    }
                    append(chars[i]); i += 1
                }
                continue
            }
            if c == ";" { flush(); i += 1; continue }
            append(c); i += 1
        }
        flush()
        self.statements = statements
    }

    /// `$$` or `$name$` starting at `index`, if there is one.
    private static func dollarTag(_ chars: [Unicode.Scalar], at index: Int) -> [Unicode.Scalar]? {
        var j = index + 1
        while j < chars.count,
            chars[j] == "_" || chars[j].properties.isAlphabetic
                || (j > index + 1 && chars[j].properties.numericType != nil)
        {
            j += 1
        }
        guard j < chars.count, chars[j] == "$" else { return nil }
        return Array(chars[index...j])
    }
}
