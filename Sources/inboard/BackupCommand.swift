import ArgumentParser
import Foundation
import InboardStore

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up Inboard's database to a file (pg_dump, custom format).",
        discussion: """
            --out names the file, or a folder to write inboard-VERSION-schemaN-TIMESTAMP.dump into. Beside the \
            file goes FILE.manifest.json: the Inboard and schema versions, a SHA-256 of the dump and each table's \
            row count. An existing file is never overwritten. Needs pg_dump (Debian: postgresql-client) of the \
            server's major version or newer.
            """)

    @Option(help: "The backup file, or an existing folder to name it in.")
    var out: String

    func run() async throws {
        let environment = try CommandEnvironment.load()
        try await environment.reporting {
            let backup = DatabaseBackup(url: environment.configuration.databaseURL, logger: environment.logger)
            let file = try await backup.resolvedFile(out)
            print("backing up \(environment.configuration.databaseURL.database) to \(file) …")
            let manifest = try await backup.backUp(to: file)
            print(manifest.summary(file: file))
        }
    }
}

extension DatabaseBackup {
    /// `out` itself, or a versioned name inside it when it is a folder.
    func resolvedFile(_ out: String) async throws -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: out, isDirectory: &isFolder), isFolder.boolValue else {
            return out
        }
        let version = try await schemaVersion()
        return URL(fileURLWithPath: out).appendingPathComponent(Self.fileName(schemaVersion: version)).path
    }
}

extension BackupManifest {
    func summary(file: String) -> String {
        let total = rows.values.reduce(0, +)
        return "backup written: \(file) (\(bytes.formatted()) bytes, schema \(schemaVersion), "
            + "\(rows.count) tables, \(total.formatted()) rows; people \(rows["people", default: 0].formatted())); "
            + "manifest \(BackupManifest.path(for: file))"
    }
}
