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

    /// Dumps the database to `file` and writes the manifest beside it, both readable by the owner only and
    /// never over an existing file. The row counts and the dump read one snapshot (`pg_dump --snapshot`), so a
    /// running server's writes cannot make them disagree.
    public func backUp(to file: String) async throws -> BackupManifest {
        let manifestPath = BackupManifest.path(for: file)
        for path in [file, manifestPath] where FileManager.default.fileExists(atPath: path) {
            throw BackupError.exists(path)
        }
        let partial = file + ".partial"
        var counted: (Int, [String: Int])?
        // pg_dump writes to the descriptor opened here (exclusively, never through a link): a file it opened by
        // name could have been swapped for a link meanwhile by whoever else can write in the folder.
        try await PrivateFile.writing(partial, mode: 0o600) { output in
            counted = try await Database(url: url, logger: logger).withConnection { connection in
                try await connection.inTransaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger) {
                    var snapshot = ""
                    for try await id in try await connection.query("SELECT pg_export_snapshot()", logger: logger)
                        .decode(String.self)
                    {
                        snapshot = id
                    }
                    let contents = try await self.contents(on: connection)
                    try await PostgresTool.locate("pg_dump").run(
                        [
                            "--no-password", "--format=custom", "--no-owner", "--no-privileges",
                            "--snapshot=\(snapshot)",
                        ], on: url, output: output)
                    return contents
                }
            }
        }
        guard let (schemaVersion, rows) = counted else { throw BackupError.notInboard(file) }
        let data = try Data(contentsOf: URL(fileURLWithPath: partial), options: .alwaysMapped)
        let manifest = BackupManifest(
            inboardVersion: "\(InboardVersion.current)", schemaVersion: schemaVersion, createdAt: Date(),
            database: url.database, sha256: Self.sha256(data),
            bytes: data.count, rows: rows)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try PrivateFile.place(partial, at: file, replacing: false)
        try PrivateFile.write(try encoder.encode(manifest), to: manifestPath, mode: 0o600, replacing: false)
        return manifest
    }

    /// The schema version a backup file holds, read from its own `schema_migrations` rows (the manifest may be
    /// missing or stale; the dump cannot be).
    public func schemaVersion(ofBackup file: String) async throws -> Int {
        guard FileManager.default.isReadableFile(atPath: file) else { throw BackupError.unreadable(file) }
        let script = try await PostgresTool.locate("pg_restore").run(
            ["--no-password", "--data-only", "--table=schema_migrations", "--file=-", Self.operand(file)], on: url)
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
            guard Self.sha256(data) == manifest.sha256 else { throw BackupError.damaged(file) }
        }
        let version = try await schemaVersion(ofBackup: file)
        guard version <= binarySchemaVersion else {
            let maker = (try? Self.manifest(for: file))??.inboardVersion
            throw BackupError.newerSchema(backup: version, binary: binarySchemaVersion, madeBy: maker)
        }
        let objects = try await userObjects()
        guard objects == 0 else { throw BackupError.notEmpty(database: url.database, objects: objects) }
        try await PostgresTool.locate("pg_restore").run(
            [
                "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
                "--dbname=" + Self.connectionString(database: url.database), Self.operand(file),
            ],
            on: url)
        return try await contents().rows
    }

    static func sha256(_ data: Data) -> String { SHA256.hash(data: data).lowercaseHex }

    /// A file name as a command's operand: `-x.dump` would be read as an option.
    static func operand(_ file: String) -> String { file.hasPrefix("-") ? "./" + file : file }

    /// libpq's connection string naming only the database (host, port and login come from PG* variables): a
    /// database name holding `=` is never read as a connection string of its own.
    static func connectionString(database: String) -> String {
        "dbname='" + database.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
            + "'"
    }

    public static func manifest(for file: String) throws -> BackupManifest? {
        guard let data = FileManager.default.contents(atPath: BackupManifest.path(for: file)) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do { return try decoder.decode(BackupManifest.self, from: data) } catch {
            throw BackupError.badManifest(BackupManifest.path(for: file))
        }
    }

    /// The database's schema version alone (naming a backup needs no row counts).
    public func schemaVersion() async throws -> Int {
        try await Database(url: url, logger: logger).withConnection { connection in
            try await Migrator(catalog: try MigrationCatalog([]), logger: logger).currentVersion(on: connection)
        }
    }

    /// The schema version and each table's row count.
    public func contents() async throws -> (schemaVersion: Int, rows: [String: Int]) {
        try await Database(url: url, logger: logger).withConnection { try await contents(on: $0) }
    }

    func contents(on connection: PostgresConnection) async throws -> (schemaVersion: Int, rows: [String: Int]) {
        var rows: [String: Int] = [:]
        for table in try await tableNames(on: connection) {
            let query = PostgresQuery(
                unsafeSQL: "SELECT count(*)::int FROM public.\"\(table.replacingOccurrences(of: "\"", with: "\"\""))\"")
            for try await count in try await connection.query(query, logger: logger).decode(Int.self) {
                rows[table] = count
            }
        }
        let version = try await Migrator(catalog: try MigrationCatalog([]), logger: logger).currentVersion(
            on: connection)
        return (version, rows)
    }

    private func tableNames(on connection: PostgresConnection) async throws -> [String] {
        var names: [String] = []
        let rows = try await connection.query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename", logger: logger)
        for try await name in rows.decode(String.self) { names.append(name) }
        return names
    }

    /// Tables, views, sequences and functions outside PostgreSQL's own schemas: what makes a database not empty.
    private func userObjects() async throws -> Int {
        try await Database(url: url, logger: logger).withConnection { connection in
            let rows = try await connection.query(DatabaseProvisioner.userObjectsSQL, logger: logger)
            for try await count in rows.decode(Int.self) { return count }
            return 0
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
    case notEmpty(database: String, objects: Int)

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
        case let .notEmpty(database, objects):
            return
                "database \(database) is not empty (\(objects) tables, views, sequences or functions): restore into an empty database "
                + "(createdb -O LOGIN NAME, with INBOARD_DATABASE_URL naming it; run 'inboard setup' after the restore, "
                + "not before: it migrates the database it sets up); nothing was changed"
        }
    }
}
