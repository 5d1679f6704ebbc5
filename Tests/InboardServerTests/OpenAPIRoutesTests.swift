import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InboardServer
import InboardStore
import InboardTestSupport
import Testing
import Yams

/// Every operation in openapi.yaml is a route the server has (none answers the router's own 404).
@Suite struct OpenAPIRoutesTests {
    static func operations() throws -> [(method: HTTPRequest.Method, path: String)] {
        let spec = try String(
            contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        var operations: [(HTTPRequest.Method, String)] = []
        var path: String?
        for line in spec.split(separator: "\n") {
            if line.hasPrefix("  /"), line.hasSuffix(":") { path = String(line.dropFirst(2).dropLast()); continue }
            if !line.hasPrefix("    ") || line.hasPrefix("     ") {
                if !line.hasPrefix("    ") { path = line.hasPrefix("  /") ? path : nil }; continue
            }
            let word = line.trimmingCharacters(in: .whitespaces).dropLast()
            if let path, let method = HTTPRequest.Method(word.uppercased()),
                ["GET", "POST", "PUT", "DELETE"].contains(method.rawValue)
            {
                operations.append((method, path.replacingOccurrences(of: "{id}", with: "1")))
            }
        }
        return operations
    }

    /// The spec parses as YAML (a colon in an unquoted description once made it unreadable to every tool).
    @Test func theSpecIsValidYAML() throws {
        let spec = try String(
            contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        let document = try #require(try Yams.load(yaml: spec) as? [String: Any])
        #expect((document["paths"] as? [String: Any])?.count ?? 0 > 30)
    }

    @Test func everyDocumentedOperationIsRouted() async throws {
        let operations = try Self.operations()
        #expect(operations.count > 30, "the spec parser found only \(operations.count) operations")
        try await makeTestApp(databaseURL: try DatabaseURL("postgres://nobody@127.0.0.1:1/none")).test(.router) {
            client in
            for (method, path) in operations {
                let code = try await client.execute(uri: path, method: method) { response in
                    (try? JSONDecoder().decode([String: [String: String]].self, from: Data(buffer: response.body)))?[
                        "error"]?["code"]
                }
                #expect(
                    code != "not_found" && code != "method_not_allowed",
                    "\(method) \(path) is documented but not routed")
            }
        }
    }

    /// Every documented operation that takes a JSON body refuses any other type with a 415 before it reads the body
    /// (a cross-site form can send text/plain without a preflight), even to an administrator. The directory's
    /// settings and preview took any type. A route whose `{id}` names nobody may answer 404 first.
    @Test func everyJSONBodyRefusesOtherTypes() async throws {
        let spec = try String(
            contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        let paths = try #require((try Yams.load(yaml: spec) as? [String: Any])?["paths"] as? [String: [String: Any]])
        let takingJSON = paths.flatMap { path, item in
            item.compactMap { method, operation -> (HTTPRequest.Method, String)? in
                let content = ((operation as? [String: Any])?["requestBody"] as? [String: Any])?["content"]
                guard (content as? [String: Any])?["application/json"] != nil,
                    let method = HTTPRequest.Method(method.uppercased())
                else { return nil }
                return (method, path.replacingOccurrences(of: "{id}", with: "1"))
            }
        }
        #expect(takingJSON.count > 10, "the spec names only \(takingJSON.count) operations taking JSON")
        try await TemporaryDatabase.with { db in
            _ = try await SeededPeople.seed(db)
            try await makeTestApp(databaseURL: db.url).test(.router) { client in
                let token = try await APIClient(client: client).login("root")
                for (method, path) in takingJSON {
                    let status = try await client.execute(
                        uri: path, method: method,
                        headers: [.contentType: "text/plain", .authorization: "Bearer \(token)"],
                        body: ByteBuffer(string: "{}")
                    ) { Int($0.status.code) }
                    #expect(
                        status == 415 || (status == 404 && path.contains("/1")),
                        "\(method) \(path) answered \(status) to a text/plain body")
                }
            }
        }
    }
}
