import Crypto
import Foundation
import InboardCore

/// One numbered schema file, `schema/NNNN_name.sql`, applied in a transaction of its own.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    public var checksum: String {
        SHA256.hash(data: Data(sql.utf8)).lowercaseHex
    }

    public var fileName: String { String(format: "%04d_%@.sql", version, name) }

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Parses `0001_initial.sql` into (1, "initial").
    public init(fileName: String, sql: String) throws(MigrationError) {
        let pattern = /^(\d{4})_([a-z0-9_]+)\.sql$/
        guard let match = fileName.wholeMatch(of: pattern), let version = Int(match.1), version > 0 else {
            throw .badFileName(fileName)
        }
        self.init(version: version, name: String(match.2), sql: sql)
    }
}

/// The migrations this binary knows, in order, numbered 1, 2, 3 … without gaps.
public struct MigrationCatalog: Sendable {
    public let migrations: [Migration]

    public init(_ migrations: [Migration]) throws(MigrationError) {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (index, migration) in sorted.enumerated() where migration.version != index + 1 {
            throw .catalogGap(expected: index + 1, found: migration.fileName)
        }
        self.migrations = sorted
    }

    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// The catalog compiled into this binary from `schema/` (see scripts/embed-migrations).
    public static func embedded() throws(MigrationError) -> MigrationCatalog {
        var migrations: [Migration] = []
        for file in embeddedMigrationFiles {
            migrations.append(try Migration(fileName: file.fileName, sql: file.sql))
        }
        return try MigrationCatalog(migrations)
    }
}
