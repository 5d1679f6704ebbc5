import Logging
import NIOConcurrencyHelpers
import PostgresNIO

/// A statement sent on its own runs in an implicit transaction, which PostgreSQL commits at the Sync that follows
/// it: after its rows and its CommandComplete have gone out. PostgresNIO hands the rows over at the
/// CommandComplete, so a caller answering "saved" from them answered before the commit, which can still fail, or
/// be lost with a crash before its flush to disk (and a commit's error then reached nobody). A statement that may
/// write is therefore followed, on its connection, by one whose answer comes only after that commit.
extension DatabasePool {
    /// Waits until the statement just run on `connection` has committed (or fails with why it did not).
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
    static func mayWrite(_ sql: String) -> Bool {
        let words = Self.words(of: sql)
        guard let first = words.first, readingCommands.contains(first) else { return true }
        return words.contains(where: writingWords.contains)
    }

    /// `mayWrite` of a prepared statement's SQL, worked out once per statement.
    static func mayWrite<Statement>(_ type: Statement.Type, sql: String) -> Bool {
        let key = ObjectIdentifier(type)
        if let known = known.withLockedValue({ $0[key] }) { return known }
        let answer = mayWrite(sql)
        known.withLockedValue { $0[key] = answer }
        return answer
    }

    private static let known = NIOLockedValueBox<[ObjectIdentifier: Bool]>([:])

    private static let readingCommands: Set<String> = ["SELECT", "WITH", "VALUES", "SHOW", "TABLE"]
    /// Commands that write, and functions that change something outside the statement's rows.
    private static let writingWords: Set<String> = [
        "INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "COPY", "INTO", "CREATE", "ALTER", "DROP", "GRANT",
        "REVOKE", "LOCK", "NOTIFY", "PG_NOTIFY", "NEXTVAL", "SETVAL", "SET_CONFIG", "LO_UNLINK", "LO_IMPORT",
    ]

    /// The SQL's words (letters, digits, `_`), upper-cased, comments skipped.
    private static func words(of sql: String) -> [String] {
        var words: [String] = []
        var current = ""
        var lineComment = false
        var previous: Character = " "
        for character in sql {
            if lineComment {
                if character == "\n" { lineComment = false }
                continue
            }
            if character == "-", previous == "-" {
                lineComment = true
                current = ""
                continue
            }
            previous = character
            if character.isLetter || character.isNumber || character == "_" {
                current.append(character)
            } else if !current.isEmpty {
                words.append(current.uppercased())
                current = ""
            }
        }
        if !current.isEmpty { words.append(current.uppercased()) }
        return words
    }
}
