import PostgresNIO

/// The contact fields a person may edit themselves (when the admin leaves them to people).
extension PeopleStore {
    public enum ContactField: String, CaseIterable, Sendable {
        case phone, mobile, office, title, email
        /// The column: from this fixed list, never from a request.
        var column: String { rawValue }
    }

    /// Sets `changes` (nil clears a field) on person `id`, in one transaction.
    public func updateContact(_ id: Int64, _ changes: [ContactField: String?]) async throws {
        guard !changes.isEmpty else { return }
        defer { database.identityChanges.signal(person: id) }  // the email is part of who a session is
        try await database.withTransaction(logger: logger) { connection in
            for (field, value) in changes {
                var binds = PostgresBindings()
                binds.append(value)
                binds.append(id)
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: "UPDATE people SET \(field.column) = $1, updated_at = now() WHERE id = $2",
                        binds: binds),
                    logger: logger)
            }
        }
    }
}
