import Foundation
import HummingbirdTesting
import InboardServer
import InboardStore
import InboardTestSupport
import Logging
import Testing

/// `/health/ready` against a PostgreSQL of the test's own, stopped and started again under a running server.
@Suite(.serialized) struct ReadinessIntegrationTests {
    struct Health: Decodable { let status: String; let schemaVersion: Int?; let reason: String? }

    func ready(_ client: some TestClientProtocol) async throws -> (Int, Health) {
        try await client.execute(uri: "/health/ready", method: .get) { response in
            (Int(response.status.code), try JSONDecoder().decode(Health.self, from: Data(buffer: response.body)))
        }
    }

    /// Polls until the answer has the wanted status (and satisfies `condition`), for at most `seconds`: long,
    /// because on a loaded machine each check may itself take its whole 2 s.
    func waitFor(
        _ status: Int, _ client: some TestClientProtocol, seconds: Double = 60,
        where condition: (Health) -> Bool = { _ in true }
    ) async throws -> Health {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let (code, health) = try await ready(client)
            if (code == status && condition(health)) || Date() > deadline {
                #expect(code == status, "last answer: \(health)")
                return health
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    @Test func readyFlipsWithPostgresAndNeedsNoRestart() async throws {
        let cluster = try await TemporaryPostgresCluster.create()
        try await cluster.start()
        let url = try cluster.url
        let migrator = Migrator(catalog: try MigrationCatalog.embedded(), logger: Logger(label: "test"))
        try await Database(url: url, logger: Logger(label: "test")).withConnection {
            _ = try await migrator.migrate(on: $0)
        }

        try await makeTestApp(databaseURL: url).test(.live) { client in
            let up = try await waitFor(200, client)
            #expect(up.status == "ready")
            #expect(up.schemaVersion == migrator.catalog.latestVersion)

            try await cluster.stop()
            let down = try await waitFor(503, client)
            #expect(down.status == "not ready")
            #expect(down.reason?.contains("PostgreSQL") == true)

            try await cluster.start()
            _ = try await waitFor(200, client, seconds: 90)
        }
        await cluster.destroy()
    }

    @Test func notReadyWhileSchemaIsBehind() async throws {
        try await TemporaryDatabase.with { db in
            try await makeTestApp(databaseURL: db.url).test(.live) { client in
                let health = try await waitFor(503, client) { $0.reason?.contains("inboard migrate") == true }
                #expect(health.reason?.contains("inboard migrate") == true, "reason: \(health.reason ?? "none")")
            }
        }
    }
}
