import Foundation
import HTTPTypes
import HummingbirdTesting
import InboardCore
@testable import InboardServer
import InboardStore
import InboardTestSupport
import Testing

/// Routes that need no database, exercised through the router (no network).
@Suite struct RouteTests {
    let unusedDatabase = try! DatabaseURL("postgres://nobody@127.0.0.1:1/none")

    struct VersionInfo: Decodable { let version: String; let schemaVersion: Int; let minimumClientVersion: String }
    struct ErrorBody: Decodable {
        struct Detail: Decodable { let code: String; let message: String }; let error: Detail
    }

    @Test func versionReportsBinarySchemaAndMinimumClient() async throws {
        try await makeTestApp(databaseURL: unusedDatabase).test(.router) { client in
            try await client.execute(uri: "/api/v1/version", method: .get) { response in
                #expect(response.status == .ok)
                let info = try JSONDecoder().decode(VersionInfo.self, from: Data(buffer: response.body))
                #expect(info.version == InboardVersion.current.description)
                #expect(info.schemaVersion == (try MigrationCatalog.embedded().latestVersion))
                #expect(info.minimumClientVersion == "1.0")
            }
        }
    }

    @Test func newerClientGets426AndOlderOrSameIsServed() async throws {
        try await makeTestApp(databaseURL: unusedDatabase).test(.router) { client in
            let newer = "\(InboardVersion.current.major).\(InboardVersion.current.minor + 1)"
            try await client.execute(
                uri: "/api/v1/version", method: .get, headers: [.init("X-Inboard-Client-Version")!: newer]
            ) { response in
                #expect(response.status == .upgradeRequired)
                let body = try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body))
                #expect(body.error.code == "server_too_old")
                #expect(body.error.message.contains("upgrade the server"))
            }
            for version in [InboardVersion.current.description, "1.0", "0.9.9.9"] {
                try await client.execute(
                    uri: "/api/v1/version", method: .get, headers: [.init("X-Inboard-Client-Version")!: version]
                ) { response in
                    #expect(response.status == .ok, "client \(version)")
                }
            }
            try await client.execute(
                uri: "/api/v1/version", method: .get, headers: [.init("X-Inboard-Client-Version")!: "banana"]
            ) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test func unknownRouteIsAJSONError() async throws {
        try await makeTestApp(databaseURL: unusedDatabase).test(.router) { client in
            try await client.execute(uri: "/api/v1/nothing-here", method: .get) { response in
                #expect(response.status == .notFound)
                let body = try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body))
                #expect(body.error.code == "not_found")
            }
        }
    }

    /// A documented path asked with a method it does not have is a 405 naming the ones it has (RFC 9110 15.5.6),
    /// taken from openapi.yaml; a path the spec does not have stays a 404.
    @Test func aWrongMethodOnADocumentedPathIs405WithAllow() async throws {
        try await makeTestApp(databaseURL: unusedDatabase).test(.router) { client in
            for (method, uri, allow) in [
                (HTTPRequest.Method("TRACE")!, "/api/v1/me", "GET"), (.delete, "/api/v1/people/7", "GET"),
                (.post, "/api/v1/admin/status-types/3", "PUT"), (.get, "/api/v1/auth/login", "POST"),
                (.patch, "/api/v1/watches", "GET, POST"),
            ] {
                try await client.execute(uri: uri, method: method) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                    #expect(response.headers[.allow] == allow, "\(method) \(uri)")
                    let body = try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body))
                    #expect(body.error.code == "method_not_allowed")
                }
            }
            try await client.execute(uri: "/api/v1/people/7/nothing", method: .delete) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func theRouteListIsReadFromTheSpec() {
        let routes = OpenAPIRoutes(
            spec:
                "openapi: 3.0.3\npaths:\n  /a/{id}:\n    get:\n      x: 1\n    put:\n  /b:\n    post:\ncomponents:\n  /c:\n    get:\n"
        )
        #expect(routes.methods(forPath: "/a/12") == ["GET", "PUT"])
        #expect(routes.methods(forPath: "/b") == ["POST"])
        #expect(routes.methods(forPath: "/a/") == nil && routes.methods(forPath: "/c") == nil)
        #expect(OpenAPIRoutes.documented.routes.count > 30)
    }

    @Test func servesTheOpenAPIDocumentExactlyAsCommitted() async throws {
        let onDisk = try String(
            contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        try await makeTestApp(databaseURL: unusedDatabase).test(.router) { client in
            try await client.execute(uri: "/api/v1/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == onDisk, "openapi.yaml changed: run scripts/embed-resources")
            }
        }
    }

    @Test func metricsAnswerPrometheusText() async throws {
        try await makeTestApp(databaseURL: unusedDatabase).test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            }
        }
    }

    /// Each request is counted by route, method and status in the application's own registry, errors too.
    @Test func requestsAreCountedByRouteAndStatus() async throws {
        try await makeTestApp(databaseURL: unusedDatabase).test(.router) { client in
            for _ in 0..<2 { try await client.execute(uri: "/health/live", method: .get) { #expect($0.status == .ok) } }
            try await client.execute(uri: "/no/such/page", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(
                    text.contains(
                        #"hb_requests{http_route="/health/live",http_request_method="GET",http_response_status_code="200"} 2"#
                    ), "\(text)")
                #expect(text.contains(#"hb_request_errors{"#) && text.contains(#"error_type="404""#), "\(text)")
                #expect(text.contains("http_server_request_duration_bucket{"), "\(text)")
            }
        }
    }

    /// Methods a caller makes up are counted as one label, not one metric each.
    @Test func inventedMethodsShareOneLabel() async throws {
        try await makeTestApp(databaseURL: unusedDatabase).test(.router) { client in
            for name in ["INVENTED1", "INVENTED2"] {
                try await client.execute(uri: "/health/live", method: HTTPRequest.Method(name)!) { _ in }
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(!text.contains("INVENTED"), "\(text)")
                #expect(text.contains(#"http_request_method="_OTHER""#), "\(text)")
            }
        }
    }
}
