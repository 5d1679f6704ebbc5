import Foundation
import Hummingbird
import HummingbirdTesting
import InboardCore
import InboardServer
import InboardStore
import Logging
import PostgresNIO
import Prometheus

/// Builds the real application against a database URL, with a fresh metrics registry.
func makeTestApp(
    databaseURL: DatabaseURL, schemaVersion: Int? = nil, port: Int = 0, secrets: SecretBox? = nil,
    policyDir: String? = nil,
    trustedProxies: String = "", publicURLIsHTTPS: Bool = false, loginFirstLock: Duration = .seconds(1),
    // a loaded Samba can be slow
    directoryLoginTimeout: Duration = .seconds(20),
    boardStores: BoardStores? = nil, clock: (@Sendable () -> Date)? = nil, streamStallLimit: Duration? = nil,
    statusChangeLimit: Int? = nil
) throws -> some ApplicationProtocol {
    var configuration = try ServerConfiguration(environment: [:])
    configuration.httpPort = port
    let logger = Logger(label: "test")
    var dependencies = AppDependencies(
        // Many apps run at once on a loaded machine: a request waits for a connection rather than failing at 5 s.
        postgres: try Database(url: databaseURL, logger: logger).makePool(size: 4, acquireTimeout: .seconds(60)),
        databaseURL: databaseURL,
        schemaVersion: try schemaVersion ?? MigrationCatalog.embedded().latestVersion,
        metrics: PrometheusCollectorRegistry(), logger: logger,
        secrets: try secrets ?? SecretBox(keyBytes: (0..<32).map { _ in UInt8.random(in: 0...255) }))
    if let policyDir { dependencies.policyDir = policyDir }
    dependencies.trustedProxies = try TrustedProxies(parsing: trustedProxies)
    dependencies.publicURLIsHTTPS = publicURLIsHTTPS
    dependencies.loginFirstLock = loginFirstLock
    dependencies.directoryLoginTimeout = directoryLoginTimeout
    dependencies.boardStores = boardStores
    if let clock { dependencies.clock = clock }
    if let streamStallLimit { dependencies.streamStallLimit = streamStallLimit }
    if let statusChangeLimit { dependencies.statusChangeLimit = statusChangeLimit }
    return buildApplication(configuration: configuration, dependencies: dependencies)
}

/// The login page's double-submit pair: the form's `_csrf` value and the cookie (`name=value`) that goes with it.
func loginFormToken(_ client: some TestClientProtocol) async throws -> (token: String, cookie: String) {
    try await client.execute(uri: "/login", method: .get) { response -> (String, String) in
        let page = String(buffer: response.body)
        let token =
            page.components(separatedBy: "name=\"_csrf\" value=\"").dropFirst().first?.prefix(while: { $0 != "\"" })
            ?? ""
        return (String(token), response.headers[.setCookie]?.split(separator: ";").first.map(String.init) ?? "")
    }
}
