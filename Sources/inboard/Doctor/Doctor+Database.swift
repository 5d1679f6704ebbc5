import Foundation
import InboardStore
import PostgresNIO

extension Doctor {
    /// Reach, version and round-trip time of PostgreSQL, and its clock against this machine's.
    func databaseCheck() async -> Finding {
        let url = environment.configuration.databaseURL
        let database = environment.database
        return await timed(
            "database",
            fix: "start PostgreSQL, or correct INBOARD_DATABASE_URL (now \(url)); 'inboard setup' creates the database"
        ) {
            let started = ContinuousClock.now
            let (version, skew) = try await database.serverVersionAndClockSkew()
            let elapsed = ContinuousClock.now - started
            let detail =
                "PostgreSQL \(version / 10000).\(version % 100) at \(url.host):\(url.port)/\(url.database), "
                + "answered in \(elapsed.formatted(.units(allowed: [.milliseconds]))), clock \(String(format: "%+.1f", skew)) s from this machine's"
            if version < 130_000 {
                return .failed("database", detail, fix: "Inboard needs PostgreSQL 13 or newer (15 is tested)")
            }
            if abs(skew) > 60 {
                return .failed(
                    "database", detail,
                    fix: "synchronise the clocks (NTP): sessions and status expiry use the database's")
            }
            return .ok("database", detail)
        }
    }

    /// The schema against this binary's migrations.
    func schemaCheck() async -> Finding {
        do {
            let migrator = Migrator(catalog: try MigrationCatalog.embedded(), logger: logger)
            let plan = try await environment.database.withConnection { try await migrator.plan(on: $0) }
            let latest = migrator.catalog.latestVersion
            if plan.pending.isEmpty { return .ok("schema", "version \(latest), as this binary expects") }
            return .failed(
                "schema", "version \(plan.currentVersion); this binary's is \(latest)",
                fix: plan.currentVersion == 0 ? "run 'inboard setup' (or 'inboard migrate')" : "run 'inboard upgrade'")
        } catch let error as MigrationError {
            return .failed("schema", error.description, fix: "run the Inboard version that wrote this schema, or newer")
        } catch {
            return .failed("schema", "\(error)", fix: "check the database first")
        }
    }
}
