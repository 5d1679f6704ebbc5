import Foundation
import InboardCore
import Logging
import PostgresNIO

/// Status types, statuses, their history and the events that tell clients about changes. A change, its
/// history row and its events are one transaction; the NOTIFY that wakes the other server processes follows its
/// commit (`EventLog.announce`).
public struct StatusStore: Sendable {
    let database: DatabasePool
    let logger: Logger

    public init(database: DatabasePool, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// A person's board entry as JSON, computed in SQL; `p` is the people row. `overdue` is always FALSE here and
    /// never read (`OverdueRule` decides it when the entry is decoded): it stays because servers of the previous
    /// release, sharing the database during a rolling upgrade, require the key to decode stored events.
    public static let entrySQL = """
        json_build_object(
            'id', p.id, 'username', p.username, 'displayName', p.display_name, 'email', p.email,
            'department', COALESCE(p.mapped_department, p.department), 'active', p.active,
            'status', CASE WHEN s.person_id IS NULL THEN NULL ELSE json_build_object(
                'type', t.name, 'typeId', t.id, 'colour', t.colour, 'presence', t.presence, 'note', s.note,
                'noteHidden', s.note_hidden, 'returnAt', extract(epoch FROM s.return_at), 'expiresAt', extract(epoch FROM s.expires_at),
                'setAt', extract(epoch FROM s.set_at), 'setBy', \(setByNameSQL), 'autoAway', s.auto_away,
                'overdue', FALSE) END)
        """
    public static let entryFrom = """
        FROM people p LEFT JOIN statuses s ON s.person_id = p.id LEFT JOIN status_types t ON t.id = s.type_id
        LEFT JOIN people sb ON sb.id = s.set_by
        """

    // MARK: types

    public func types(includeInactive: Bool = false) async throws -> [StatusType] {
        var binds = PostgresBindings()
        binds.append(includeInactive)
        return try await types(where: "active OR $1", binds: binds)
    }

    /// A type by id or by name (case-insensitive), active or not.
    public func type(named key: String) async throws -> StatusType? {
        try await versionedType(named: key)?.type
    }

    enum TypeNamedSQL: PreparedSQL {
        static let sql =
            "SELECT \(typeColumns), xmin::text FROM status_types WHERE id::text = $1 OR lower(name) = lower($1) ORDER BY sort_order, id LIMIT 1"
    }

    /// A type by id or by name with the version of its row as read (PostgreSQL's `xmin`, which every change to
    /// the row renews): a status change made with this version is written only while the type is still so.
    public func versionedType(named key: String) async throws -> VersionedStatusType? {
        var binds = PostgresBindings()
        binds.append(key)
        for try await row in try await database.query(prepared: TypeNamedSQL.self, binds, logger: logger) {
            let columns = row.makeRandomAccess()
            return VersionedStatusType(type: try Self.decodeType(columns), version: try columns[10].decode(String.self))
        }
        return nil
    }

    static let typeColumns =
        "id, name, colour, icon, presence, needs_return_time, default_expiry_minutes, fallback_type_id, sort_order, active"

    /// A type from the `typeColumns`, the row's first ten.
    static func decodeType(_ c: PostgresRandomAccessRow) throws -> StatusType {
        StatusType(
            id: try c[0].decode(Int64.self), name: try c[1].decode(String.self), colour: try c[2].decode(String.self),
            icon: try c[3].decode(String.self),
            presence: StatusType.Presence(rawValue: try c[4].decode(String.self)) ?? .out,
            needsReturnTime: try c[5].decode(Bool.self), defaultExpiryMinutes: try c[6].decode(Int?.self),
            fallbackTypeID: try c[7].decode(Int64?.self), sortOrder: try c[8].decode(Int.self),
            active: try c[9].decode(Bool.self))
    }

    private func types(where condition: String, binds: PostgresBindings) async throws -> [StatusType] {
        var types: [StatusType] = []
        let rows = try await database.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(Self.typeColumns) FROM status_types WHERE \(condition) ORDER BY sort_order, id
                    """, binds: binds), logger: logger)
        for try await row in rows { types.append(try Self.decodeType(row.makeRandomAccess())) }
        return types
    }

    /// Creates or updates a type (by id); returns it.
    /// Creates or updates a type and audits it, in one transaction; a name taken already is `duplicateName`.
    public func save(_ type: StatusType, create: Bool, by actor: String, from address: String?) async throws
        -> StatusType
    {
        let query: PostgresQuery =
            create
            ? """
            INSERT INTO status_types (name, colour, icon, presence, needs_return_time, default_expiry_minutes, fallback_type_id, sort_order, active)
            VALUES (\(type.name), \(type.colour), \(type.icon), \(type.presence.rawValue), \(type.needsReturnTime), \(type.defaultExpiryMinutes),
                    \(type.fallbackTypeID), \(type.sortOrder), \(type.active)) RETURNING id
            """
            : """
            UPDATE status_types SET name = \(type.name), colour = \(type.colour), icon = \(type.icon), presence = \(type.presence.rawValue),
                needs_return_time = \(type.needsReturnTime), default_expiry_minutes = \(type.defaultExpiryMinutes),
                fallback_type_id = \(type.fallbackTypeID), sort_order = \(type.sortOrder), active = \(type.active), updated_at = now()
            WHERE id = \(type.id) RETURNING id
            """
        do {
            return try await database.withTransaction(logger: logger) { connection in
                for try await id in try await connection.query(query, logger: logger).decode(Int64.self) {
                    var saved = type
                    saved.id = id
                    try await AuditLog.record(
                        AuditEntry(
                            actor: actor, action: create ? "status-type.create" : "status-type.update",
                            target: saved.name,
                            after: try AuditEntry.json(saved), address: address), on: connection, logger: logger)
                    return saved
                }
                throw StatusStoreError.noSuchType(String(type.id))
            }
        } catch  where DatabaseError.isUniqueViolation(error) {
            throw StatusStoreError.duplicateName(type.name)
        } catch  where DatabaseError.isForeignKeyViolation(error) {
            throw StatusStoreError.noSuchFallback(type.fallbackTypeID ?? 0)
        }
    }

    public func entry(personID: Int64) async throws -> BoardEntry? {
        try await entries(
            PostgresQuery(
                unsafeSQL: "SELECT \(Self.entryColumns) \(Self.entryFrom) WHERE p.id = $1",
                binds: PeopleStore.bind(personID))
        ).first
    }

    /// Entries from a query that selects `entryColumns`.
    public func entries(_ query: PostgresQuery) async throws -> [BoardEntry] {
        try await entries(query) { _ in () }.map(\.0)
    }
}

public enum StatusStoreError: Error, CustomStringConvertible, Equatable {
    case noSuchType(String)
    case noSuchPerson(Int64)
    case duplicateName(String)
    /// The fallback type named does not exist.
    case noSuchFallback(Int64)
    /// A change sent late arrived after a newer one (see `StatusChange.isSuperseded`).
    case superseded(Int64)
    /// The status type changed after the change was judged against it (`VersionedStatusType`): nothing was written.
    case typeChanged(Int64)
    /// A status type's presence this release does not know (written by a newer one).
    case unknownPresence(String)

    public var description: String {
        switch self {
        case let .superseded(id): "person \(id)'s status was set after this change was made"
        case let .typeChanged(id): "status type \(id) changed after this change was checked against it"
        case let .unknownPresence(text): "a status type has the presence '\(text)', which this release does not know"
        case let .noSuchType(key): "there is no status type '\(key)'"
        case let .noSuchPerson(id): "there is no person \(id)"
        case let .duplicateName(name): "a status type named '\(name)' exists already"
        case let .noSuchFallback(id): "there is no status type \(id) to fall back to"
        }
    }
}

/// A status type as read, with its row's version (see `StatusStore.versionedType(named:)`).
public struct VersionedStatusType: Sendable, Equatable {
    public let type: StatusType
    public let version: String

    public init(type: StatusType, version: String) {
        self.type = type
        self.version = version
    }
}
