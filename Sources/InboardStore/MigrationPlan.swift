/// A migration already recorded in `schema_migrations`.
public struct AppliedMigration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let checksum: String

    public init(version: Int, name: String, checksum: String) {
        self.version = version
        self.name = name
        self.checksum = checksum
    }
}

/// What `inboard migrate` would do, decided before anything is changed.
public struct MigrationPlan: Sendable, Equatable {
    public let currentVersion: Int
    public let pending: [Migration]

    /// The rules: an applied file must be unchanged; a database newer than this binary is refused;
    /// every pending migration comes after the last applied one.
    public init(catalog: MigrationCatalog, applied: [AppliedMigration]) throws(MigrationError) {
        let current = applied.map(\.version).max() ?? 0
        if current > catalog.latestVersion {
            let newest = applied.first { $0.version == current }!
            throw .databaseNewer(
                databaseVersion: current, databaseMigration: newest.name, binaryVersion: catalog.latestVersion)
        }
        let byVersion = Dictionary(uniqueKeysWithValues: catalog.migrations.map { ($0.version, $0) })
        for record in applied.sorted(by: { $0.version < $1.version }) {
            guard let known = byVersion[record.version] else { throw .unknownApplied(record.version, record.name) }
            if known.checksum != record.checksum {
                throw .checksumMismatch(version: record.version, name: known.fileName)
            }
        }
        let appliedVersions = Set(applied.map(\.version))
        if let missing = catalog.migrations.first(where: {
            $0.version < current && !appliedVersions.contains($0.version)
        }) {
            throw .outOfOrder(missing: missing.fileName, databaseVersion: current)
        }
        self.currentVersion = current
        self.pending = catalog.migrations.filter { $0.version > current }
    }
}

public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case badFileName(String)
    case catalogGap(expected: Int, found: String)
    case databaseNewer(databaseVersion: Int, databaseMigration: String, binaryVersion: Int)
    case checksumMismatch(version: Int, name: String)
    case unknownApplied(Int, String)
    case outOfOrder(missing: String, databaseVersion: Int)
    case statementFailed(file: String, statement: Int, line: Int, message: String)
    case schemaBehind(databaseVersion: Int, binaryVersion: Int)

    public var description: String {
        switch self {
        case let .badFileName(name):
            return "schema file '\(name)' is not named NNNN_name.sql (four digits, lower-case name)"
        case let .catalogGap(expected, found):
            return
                "schema files must be numbered without gaps: expected \(String(format: "%04d", expected)), found \(found)"
        case let .databaseNewer(db, name, binary):
            return
                "the database schema is at version \(db) (\(name)), newer than this Inboard binary knows (\(binary)): "
                + "nothing was changed; run a newer Inboard, or restore the backup taken before the upgrade"
        case let .checksumMismatch(version, name):
            return "schema file \(name) (version \(version)) was changed after it was applied: "
                + "nothing was changed; restore the original file and put the change in a new numbered file"
        case let .unknownApplied(version, name):
            return
                "the database records migration \(version) (\(name)), which this binary does not have: nothing was changed"
        case let .outOfOrder(missing, db):
            return
                "\(missing) was never applied but the database is already at version \(db): nothing was changed; apply it by hand or restore a backup"
        case let .statementFailed(file, statement, line, message):
            return "\(file), statement \(statement) (line \(line)) failed: \(message); the migration was rolled back"
        case let .schemaBehind(db, binary):
            return
                "the database schema is at version \(db) but this Inboard needs \(binary): run 'inboard migrate' first"
        }
    }
}
