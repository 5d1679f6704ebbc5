import Logging
import NIOConcurrencyHelpers
import PostgresNIO

/// A statement sent on its own runs in an implicit transaction, which PostgreSQL commits at the Sync that follows
/// it: after its rows and its CommandComplete have gone out. PostgresNIO hands the rows over at the
/// CommandComplete, so a caller answering "saved" from them answered before the commit, which can still fail, or
/// be lost with a crash before its flush to disk (and a commit's error then reached nobody). A statement that may
/// write is therefore followed, on its connection, by one whose answer comes only after that commit.
extension DatabasePool {
    /// Waits until the statement just run on `connection` has committed; throws when it did not (PostgresNIO, which
    /// took the statement as answered, reports the commit's error as the connection closing).
    static func confirmCommit(on connection: PostgresConnection, logger: Logger) async throws {
        for try await _ in try await connection.execute(Prepared<CommitConfirmedSQL>(bindings: .init()), logger: logger)
        {}
    }

    enum CommitConfirmedSQL: PreparedSQL {
        static let sql = "SELECT 1"
    }
}

/// Whether a statement may change the database: only a plain read (`SELECT`, `WITH … SELECT`, `VALUES`, `SHOW`
/// naming no writing command or function) is taken as not; anything else, or a read that mentions one, as may.
/// Erring towards "may" costs a round trip; the other way, an answer before the commit.
enum StatementEffect {
    /// Worked out once per SQL text (a call site's text is the same on every call: its values are bound).
    static func mayWrite(_ sql: String) -> Bool {
        if let known = known.withLockedValue({ $0[sql] }) { return known }
        let answer = judge(sql)
        known.withLockedValue { known in
            if known.count < knownLimit { known[sql] = answer }
        }
        return answer
    }

    /// Texts remembered at most: a text built with its values in it is judged again each time, not kept for ever.
    private static let knownLimit = 1_000
    private static let known = NIOLockedValueBox<[String: Bool]>([:])

    private static func judge(_ sql: String) -> Bool {
        guard let words = Self.words(of: sql), let first = words.first, readingCommands.contains(first) else {
            return true
        }
        return words.contains(where: writingWords.contains)
    }

    private static let readingCommands: Set<String> = ["SELECT", "WITH", "VALUES", "SHOW", "TABLE"]
    /// Commands that write, and functions that change something outside the statement's rows.
    private static let writingWords: Set<String> = [
        "INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "COPY", "INTO", "CREATE", "ALTER", "DROP", "GRANT",
        "REVOKE", "LOCK", "NOTIFY", "PG_NOTIFY", "NEXTVAL", "SETVAL", "SET_CONFIG", "LO_UNLINK", "LO_IMPORT",
    ]

    /// The SQL's words (letters, digits, `_`), upper-cased; comments, string literals and quoted names skipped.
    /// Nil for text this does not read (dollar quoting, an unclosed literal or comment): taken as may write.
    private static func words(of sql: String) -> [String]? {
        var words: [String] = []
        var current = ""
        var characters = Array(sql.unicodeScalars)[...]
        func endWord() {
            if !current.isEmpty { words.append(current.uppercased()) }
            current = ""
        }
        func skip(past end: String) -> Bool {
            let closing = Array(end.unicodeScalars)
            while !characters.isEmpty {
                if characters.starts(with: closing) {
                    characters.removeFirst(closing.count)
                    return true
                }
                characters.removeFirst()
            }
            return false
        }
        while let character = characters.first {
            characters.removeFirst()
            let next = characters.first
            switch character {
            case "-" where next == "-":
                endWord()
                _ = skip(past: "\n")  // or to the end
            case "/" where next == "*":
                endWord()
                characters.removeFirst()
                guard skip(past: "*/") else { return nil }
            case "'", "\"":
                endWord()
                guard skip(past: String(character)) else { return nil }  // '' inside is two literals: the same
            case "$" where next.map { !("0"..."9").contains($0) } ?? false:
                return nil  // a dollar-quoted body, not a $1 parameter
            case _ where character.properties.isAlphabetic || ("0"..."9").contains(character) || character == "_":
                current.unicodeScalars.append(character)
            default:
                endWord()
            }
        }
        endWord()
        return words
    }
}
