import Foundation
import InboardServer
import InboardTestSupport
import Testing

@Suite struct ServerConfigurationTests {
    @Test func defaultsWhenNothingIsSet() throws {
        let configuration = try ServerConfiguration(environment: [:])
        #expect(configuration.httpHost == "127.0.0.1")
        #expect(configuration.httpPort == 8080)
        #expect(configuration.secretKeyFile == "/etc/inboard/secret.key")
        #expect(configuration.logLevel == .info)
        #expect(configuration.databaseURL.host == "127.0.0.1")
        #expect(configuration.databaseURL.database == "inboard")
    }

    @Test func environmentOverridesDefaults() throws {
        let configuration = try ServerConfiguration(environment: [
            "INBOARD_DATABASE_URL": "postgres://u:p@db:6000/x",
            "INBOARD_HTTP_HOST": "0.0.0.0",
            "INBOARD_HTTP_PORT": "9090",
            "INBOARD_SECRET_KEY_FILE": "/run/key",
            "INBOARD_LOG_LEVEL": "DEBUG",
        ])
        #expect(configuration.databaseURL.port == 6000)
        #expect(configuration.httpHost == "0.0.0.0")
        #expect(configuration.httpPort == 9090)
        #expect(configuration.secretKeyFile == "/run/key")
        #expect(configuration.logLevel == .debug)
    }

    @Test(arguments: [
        ("INBOARD_HTTP_PORT", "eighty", "INBOARD_HTTP_PORT 'eighty'"),
        ("INBOARD_HTTP_PORT", "70000", "INBOARD_HTTP_PORT '70000'"),
        ("INBOARD_LOG_LEVEL", "loud", "INBOARD_LOG_LEVEL 'loud'"),
        ("INBOARD_DATABASE_URL", "mysql://u@h/d", "INBOARD_DATABASE_URL"),
        ("INBOARD_HTTP_HOST", "", "INBOARD_HTTP_HOST"),
        ("INBOARD_HISTORY_RETENTION_DAYS", "-1", "INBOARD_HISTORY_RETENTION_DAYS '-1'"),
        ("INBOARD_DATABASE_POOL_SIZE", "1", "INBOARD_DATABASE_POOL_SIZE '1'"),
        ("INBOARD_DATABASE_POOL_SIZE", "ten", "INBOARD_DATABASE_POOL_SIZE 'ten'"),
        ("INBOARD_DATABASE_POOL_SIZE", "201", "INBOARD_DATABASE_POOL_SIZE '201'"),
    ])
    func badValuesNameTheVariable(variable: String, value: String, expected: String) {
        #expect {
            try ServerConfiguration(environment: [variable: value])
        } throws: { error in
            (error as? ConfigurationError)?.description.contains(expected) == true
        }
    }

    @Test func documentationListsEveryVariable() {
        let documented = Set(ServerConfiguration.documentation.map(\.variable))
        #expect(
            documented == [
                "INBOARD_DATABASE_URL", "INBOARD_HTTP_HOST", "INBOARD_HTTP_PORT", "INBOARD_SECRET_KEY_FILE",
                "INBOARD_LOG_LEVEL", "INBOARD_POLICY_DIR",
                "INBOARD_TRUSTED_PROXIES", "INBOARD_PUBLIC_URL", "INBOARD_HISTORY_RETENTION_DAYS", "INBOARD_ENV_FILE",
                "INBOARD_CLIENT_PACKAGE_DIR", "INBOARD_STATUS_CHANGE_LIMIT", "INBOARD_DATABASE_POOL_SIZE",
            ])
    }

    /// The README's and the administrator's guide's tables of settings list every variable `--help` prints.
    @Test func theGuidesListEveryVariable() throws {
        for document in ["README.md", "docs/admin-guide.md"] {
            let text = try String(
                contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent(document), encoding: .utf8)
            for variable in ServerConfiguration.documentation.map(\.variable) {
                #expect(text.contains("| `\(variable)` |"), "\(document) has no row for \(variable)")
            }
        }
    }

    @Test func historyRetentionInDaysZeroKeepsItForEver() throws {
        #expect(try ServerConfiguration(environment: [:]).historyRetention == .seconds(730 * 86_400))
        #expect(
            try ServerConfiguration(environment: ["INBOARD_HISTORY_RETENTION_DAYS": "90"]).historyRetention
                == .seconds(90 * 86_400))
        #expect(try ServerConfiguration(environment: ["INBOARD_HISTORY_RETENTION_DAYS": "0"]).historyRetention == nil)
    }

    /// Twice the cores and one, from 4 to 10, unless set.
    @Test func thePoolFollowsTheCoresUnlessSet() throws {
        #expect([1, 2, 3, 4, 8, 64].map(ServerConfiguration.defaultDatabasePoolSize) == [4, 5, 7, 9, 10, 10])
        #expect((4...10).contains(try ServerConfiguration(environment: [:]).databasePoolSize))
        #expect(try ServerConfiguration(environment: ["INBOARD_DATABASE_POOL_SIZE": "24"]).databasePoolSize == 24)
    }

    @Test func thePolicyFolderIsRead() throws {
        #expect(try ServerConfiguration(environment: [:]).policyDir == "policy")
        #expect(
            try ServerConfiguration(environment: ["INBOARD_POLICY_DIR": "/srv/inboard/policy"]).policyDir
                == "/srv/inboard/policy")
    }
}
