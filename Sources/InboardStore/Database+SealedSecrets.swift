import PostgresNIO

extension Database {
    /// How many settings hold a secret sealed with the server's key (0 before the schema exists): a server set up
    /// against this database with a key of its own could open none of them.
    public func sealedSecretCount() async throws -> Int {
        try await withConnection { connection in
            let exists = try await connection.query("SELECT to_regclass('settings') IS NOT NULL", logger: logger)
            for try await found in exists.decode(Bool.self) where !found { return 0 }
            let rows = try await connection.query(
                "SELECT count(*)::int FROM settings WHERE secret IS NOT NULL", logger: logger)
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }
}
