import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InboardStore
import InboardTestSupport
import Testing

/// `GET /api/v1/clients/manifest`: the caller's manifest from the policy folder, with an ETag.
@Suite struct ClientManifestTests {
    struct Manifest: Decodable {
        struct Source: Decodable { let policy: String }
        let name: String
        let settings: [String: IntOrOther]
        let sources: [String: Source]
    }
    enum IntOrOther: Decodable, Equatable {
        case int(Int), other
        init(from decoder: any Decoder) throws {
            self = (try? decoder.singleValueContainer().decode(Int.self)).map(IntOrOther.int) ?? .other
        }
    }

    @Test func aSyncedUserGetsTheirManifestAndA304WhileItIsUnchanged() async throws {
        let base = try TestEnvironment.require("INBOARD_TEST_LDAP_BASE")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder + "/policies", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "id: base\nuser:\n  idleMinutesBeforeAway: 10\n".write(
            toFile: folder + "/policies/base.yaml", atomically: true, encoding: .utf8)
        try "id: london\nuser:\n  idleMinutesBeforeAway: 3\n".write(
            toFile: folder + "/policies/london.yaml", atomically: true, encoding: .utf8)
        try """
        containers:
          - {dn: "\(base)", links: [{policy: base, order: 1}]}
          - {dn: "ou=London,ou=people,\(base)", links: [{policy: london, order: 1}]}
        """.write(toFile: folder + "/links.yaml", atomically: true, encoding: .utf8)
        try await TemporaryDatabase.with { db in
            let secrets = try SecretBox(keyBytes: (0..<32).map { _ in UInt8.random(in: 0...255) })
            let auth = AuthAndAdminAPITests()
            try await auth.prepare(db, secrets: secrets)
            try await makeTestApp(databaseURL: db.url, secrets: secrets, policyDir: folder).test(.live) { client in
                let root = try await auth.login(client, "root", AuthAndAdminAPITests.adminPassword)
                let (accepted, startedBody, _) = try await auth.post(
                    client, "/api/v1/admin/sync", "{\"mode\":\"full\"}", token: root.token)
                #expect(accepted == 202)
                let started = try JSONDecoder().decode(AuthAndAdminAPITests.Started.self, from: startedBody)
                // Wait for the run itself (logging in meanwhile would count failures against alice's budget).
                let run = try await auth.finishedRun(client, started.id, token: root.token, within: .seconds(120))
                #expect(run.state == "succeeded")
                let password = try TestEnvironment.require("INBOARD_TEST_SAMPLE_PASSWORD")
                let (loginStatus, loginBody, _) = try await auth.post(
                    client, "/api/v1/auth/login", "{\"username\":\"alice\",\"password\":\"\(password)\"}")
                #expect(loginStatus == 200)
                let alice = try? JSONDecoder().decode(AuthAndAdminAPITests.Login.self, from: loginBody)
                let token = try #require(alice).token
                let (status, etag, body) = try await client.execute(
                    uri: "/api/v1/clients/manifest", method: .get, headers: [.authorization: "Bearer \(token)"]
                ) {
                    (Int($0.status.code), $0.headers[.eTag], Data(buffer: $0.body))
                }
                #expect(status == 200, "\(String(decoding: body, as: UTF8.self))")
                let manifest = try JSONDecoder().decode(Manifest.self, from: body)
                #expect(
                    manifest.name == "alice" && manifest.settings["idleMinutesBeforeAway"] == .int(3)
                        && manifest.sources["idleMinutesBeforeAway"]?.policy == "london",
                    "alice is in ou=London: the OU's policy wins over the domain's")
                let again = try await client.execute(
                    uri: "/api/v1/clients/manifest", method: .get,
                    headers: [.authorization: "Bearer \(token)", .ifNoneMatch: try #require(etag)]
                ) { Int($0.status.code) }
                #expect(again == 304)
                #expect(
                    try await client.execute(uri: "/api/v1/clients/manifest", method: .get) { Int($0.status.code) }
                        == 401)
                // Packages are for signed-in people only, and only files named as packages are ever served.
                #expect(
                    try await client.execute(
                        uri: "/api/v1/clients/packages/inboard-client-1.0.0-linux-x86_64", method: .get
                    ) { Int($0.status.code) } == 401)
                for name in ["..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", ".inboard-client-1.0.0-linux"] {
                    #expect(
                        try await client.execute(
                            uri: "/api/v1/clients/packages/\(name)", method: .get,
                            headers: [.authorization: "Bearer \(token)"]
                        ) { Int($0.status.code) } == 404, "\(name)")
                }
                #expect(
                    try await client.execute(
                        uri: "/api/v1/clients/manifest", method: .get, headers: [.authorization: "Bearer \(root.token)"]
                    ) { Int($0.status.code) } == 404,
                    "a local account has no directory place")
            }
        }
    }
}
