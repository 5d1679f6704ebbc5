/// DNs inside YAML flow collections, written as the contract's examples write them
/// (`baseDN: [ou=people,dc=acme,dc=test]`, `{group: cn=admins,ou=groups,dc=acme,dc=test, role: admin}`),
/// would be split at every comma by a YAML parser. Before parsing, an unquoted flow item that looks like a
/// DN (has `=` and a comma not followed by a space) is quoted; `, ` (comma and space) still separates items.
enum YAMLDistinguishedNames {
    static func quoted(_ yaml: String) -> String {
        yaml.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.contains("[") || line.contains("{") ? quoteLine(Array(line)) : String(line)
        }.joined(separator: "\n")
    }

    private static func quoteLine(_ line: [Character]) -> String {
        var out = ""
        var depth = 0
        var quote: Character?
        var i = 0
        while i < line.count {
            let c = line[i]
            if let open = quote {
                out.append(c)
                if c == open { quote = nil }
                i += 1
                continue
            }
            switch c {
            case "\"", "'": quote = c
            case "[", "{": depth += 1
            case "]", "}": depth -= 1
            case "#" where i == 0 || line[i - 1] == " ":
                out += String(line[i...])
                return out
            default:
                if depth > 0, c.isLetter, i == 0 || " [{,".contains(line[i - 1]) {
                    let end = tokenEnd(line, from: i)
                    let token = String(line[i..<end])
                    if token.contains("=") && token.contains(",") {
                        out +=
                            "\""
                            + token.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
                                of: "\"", with: "\\\"") + "\""
                        i = end
                        continue
                    }
                }
            }
            out.append(c)
            i += 1
        }
        return out
    }

    /// Where a flow scalar ends: at `, `, `]`, `}`, a `: ` key separator, or the end of the line.
    private static func tokenEnd(_ line: [Character], from start: Int) -> Int {
        var i = start
        while i < line.count {
            let c = line[i], next: Character? = i + 1 < line.count ? line[i + 1] : nil
            if c == "]" || c == "}" { return i }
            if (c == "," || c == ":") && (next == " " || next == nil) { return i }
            i += 1
        }
        return i
    }
}
