import Crypto
import Foundation
import InboardCore
import Logging
import PostgresNIO

/// What a backup holds, written beside it as `FILE.manifest.json`: enough to tell, before restoring, which
/// Inboard made it, its schema version, whether the file is intact, and how many rows each table had.
public struct BackupManifest: Codable, Sendable, Equatable {
    public var inboardVersion: String
    public var schemaVersion: Int
    public var createdAt: Date
    public var database: String
    public var sha256: String
    public var bytes: Int
    public var rows: [String: Int]

    public static func path(for backup: String) -> String { backup + ".manifest.json" }
}

/// Backups of Inboard's database with `pg_dump` (custom format) and restores with `pg_restore`.
public struct DatabaseBackup: Sendable {
    let url: DatabaseURL
    let logger: Logger

    public init(url: DatabaseURL, logger: Logger) {
        self.url = url
        self.logger = logger
    }

    /// `inboard-VERSION-schemaN-TIMESTAMP.dump`: which Inboard and schema made it, readable in a listing.
    public static func fileName(schemaVersion: Int, at date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return "inboard-\(InboardVersion.current)-schema\(schemaVersion)-\(formatter.string(from: date)).dump"
    }

    /// Dumps the database to `file` (never over an existing file: a partial dump is renamed only when whole),
    /// writes the manifest beside it and returns it.
    public func backUp(to file: String) async throws -> BackupManifest {
        guard !FileManager.default.fileExists(atPath: file) else { throw BackupError.exists(file) }
        let (schemaVersion, rows) = try await contents()
        let partial = file + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        do {
            try await PostgresTool.locate("pg_dump").run(
                ["--format=custom", "--no-owner", "--no-privileges", "--file=\(partial)"], on: url)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: partial), options: .alwaysMapped)
        let manifest = BackupManifest(
            inboardVersion: "\(InboardVersion.current)", schemaVersion: schemaVersion, createdAt: Date(),
            database: url.database, sha256: SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined(),
            bytes: data.count, rows: rows)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(manifest).write(to: URL(fileURLWithPath: BackupManifest.path(for: file)))
        try FileManager.default.moveItem(atPath: partial, toPath: file)
        return manifest
    }

    /// The schema version a backup file holds, read from its own `schema_migrations` rows (the manifest may be
    /// missing or stale; the dump cannot be).
    public func schemaVersion(ofBackup file: String) async throws -> Int {
        guard FileManager.default.isReadableFile(atPath: file) else { throw BackupError.unreadable(file) }
        let script = try await PostgresTool.locate("pg_restore").run(
            ["--data-only", "--table=schema_migrations", "--file=-", file], on: url)
        let text = String(decoding: script, as: UTF8.self)
        guard let copy = text.range(of: "COPY public.schema_migrations") else { throw BackupError.notInboard(file) }
        let rows = text[copy.upperBound...].split(separator: "\n").dropFirst().prefix { $0 != "\\." }
        return rows.compactMap { Int($0.split(separator: "\t").first ?? "") }.max() ?? 0
    }

    /// Restores `file` into this (empty) database in one transaction, after checking it against its manifest
    /// and refusing a schema newer than `binarySchemaVersion`. Returns the rows restored per table.
    public func restore(from file: String, binarySchemaVersion: Int) async throws -> [String: Int] {
        if let manifest = try Self.manifest(for: file) {
            let data = try Data(contentsOf: URL(fileURLWithPath: file), options: .alwaysMapped)
            let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
            guard digest == manifest.sha256 else { throw BackupError.damaged(file) }
        }
        let version = try await schemaVersion(ofBackup: file)
        guard version <= binarySchemaVersion else {
            let maker = (try? Self.manifest(for: file))??.inboardVersion
            throw BackupError.newerSchema(backup: version, binary: binarySchemaVersion, madeBy: maker)
        }
        let tables = try await tableNames()
        guard tables.isEmpty else { throw BackupError.notEmpty(database: url.database, tables: tables.count) }
        try await PostgresTool.locate("pg_restore").run(
            [
                "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", "--dbname=\(url.database)",
                file,
            ],
            on: url)
        return try await contents().rows
    }

    public static func manifest(for file: String) throws -> BackupManifest? {
        guard let data = FileManager.default.contents(atPath: BackupManifest.path(for: file)) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do { return try decoder.decode(BackupManifest.self, from: data) } catch {
            throw BackupError.badManifest(BackupManifest.path(for: file))
        }
    }

    /// The schema version and each table's row count.
    public func contents() async throws -> (schemaVersion: Int, rows: [String: Int]) {
        let tables = try await tableNames()
        return try await Database(url: url, logger: logger).withConnection { connection in
            var rows: [String: Int] = [:]
            for table in tables {
                let query = PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM public.\"\(table)\"")
                for try await count in try await connection.query(query, logger: logger).decode(Int.self) {
                    rows[table] = count
                }
            }
            let version =
                try await Migrator(catalog: try MigrationCatalog([]), logger: logger).currentVersion(on: connection)
            return (version, rows)
        }
    }

    private func tableNames() async throws -> [String] {
        try await Database(url: url, logger: logger).withConnection { connection in
            var names: [String] = []
            let rows = try await connection.query(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename", logger: logger)
            for try await name in rows.decode(String.self) { names.append(name) }
            return names
        }
    }
}

public enum BackupError: Error, CustomStringConvertible, Equatable {
    case exists(String)
    case unreadable(String)
    case notInboard(String)
    case damaged(String)
    case badManifest(String)
    case newerSchema(backup: Int, binary: Int, madeBy: String?)
    case notEmpty(database: String, tables: Int)

    public var description: String {
        switch self {
        case let .exists(file): return "\(file) already exists: choose another name (a backup never overwrites one)"
        case let .unreadable(file): return "cannot read \(file)"
        case let .notInboard(file): return "\(file) is not an Inboard backup (it holds no schema_migrations rows)"
        case let .damaged(file):
            return "\(file) does not match the checksum in its manifest: the file is damaged or was replaced"
        case let .badManifest(file): return "\(file) is not a backup manifest Inboard can read"
        case let .newerSchema(backup, binary, madeBy):
            return "the backup holds schema version \(backup), newer than this Inboard knows (\(binary)): "
                + "restore it with Inboard \(madeBy ?? "of that version") or newer; nothing was changed"
        case let .notEmpty(database, tables):
            return "database \(database) is not empty (\(tables) tables): restore into an empty database "
                + "(createdb, or inboard setup with a new database name); nothing was changed"
        }
    }
}
