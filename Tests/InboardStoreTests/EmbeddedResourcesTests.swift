import Foundation
import InboardStore
import InboardTestSupport
import Testing

/// The binary carries schema/ compiled in; this fails when a schema file changed without scripts/embed-resources.
@Suite struct EmbeddedResourcesTests {
    @Test func embeddedMigrationsMatchSchemaFolder() throws {
        let folder = TestEnvironment.repositoryRoot.appendingPathComponent("schema")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }
            .sorted()
        let catalog = try MigrationCatalog.embedded()
        #expect(catalog.migrations.map(\.fileName) == files, "run scripts/embed-resources")
        for migration in catalog.migrations {
            let onDisk = try String(contentsOf: folder.appendingPathComponent(migration.fileName), encoding: .utf8)
            #expect(
                migration.sql == onDisk,
                "\(migration.fileName) differs from its embedded copy: run scripts/embed-resources")
        }
    }
}
