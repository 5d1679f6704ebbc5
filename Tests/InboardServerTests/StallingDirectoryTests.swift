import DirectorySync
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InboardServer
import InboardStore
import InboardTestSupport
import Testing

/// A directory that accepts connections and never answers (as a slapd stopped with SIGSTOP does): logins move
/// on to the next server, or fail within the login timeout with a 503 that points to the local admin.
@Suite struct StallingDirectoryTests {
    /// Listens and never accepts: the kernel completes each handshake, nothing ever answers.
    final class StallingServer: Sendable {
        let port: Int
        private let fd: Int32

        init() throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let fd = self.fd
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, length) == 0 && listen(fd, 64) == 0 && getsockname(fd, $0, &length) == 0
                }
            }
            guard bound else { throw ProgramFailed("cannot listen") }
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        deinit { close(fd) }
    }

    let base = AuthAndAdminAPITests()

    func useServers(_ servers: [String], _ client: some TestClientProtocol, token: String) async throws {
        let current = try await client.execute(
            uri: "/api/v1/admin/directory", method: .get, headers: [.authorization: "Bearer \(token)"]
        ) { Data(buffer: $0.body) }
        var settings = try #require(
            (try JSONSerialization.jsonObject(with: current) as? [String: Any])?["settings"] as? [String: Any])
        settings["servers"] = servers
        // other servers: typed again
        settings["bindPassword"] = try TestEnvironment.require("INBOARD_TEST_LDAP_READER_PASSWORD")
        let status = try await client.execute(
            uri: "/api/v1/admin/directory", method: .put,
            headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
            body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: settings))
        ) { Int($0.status.code) }
        #expect(status == 200)
    }

    @Test func aSilentServerGivesWayAndALoginFailsWithinTheTimeout() async throws {
        try await TemporaryDatabase.with { db in
            let secrets = try SecretBox(keyBytes: (0..<32).map { _ in UInt8.random(in: 0...255) })
            try await base.prepare(db, secrets: secrets)
            try await makeTestApp(
                databaseURL: db.url, secrets: secrets, directoryLoginTimeout: DirectorySettings.loginOperationTimeout
            ).test(.live) { client in
                let root = try await base.login(client, "root", AuthAndAdminAPITests.adminPassword)
                let (accepted, startedBody, _) = try await base.post(
                    client, "/api/v1/admin/sync", "{\"mode\":\"full\"}", token: root.token)
                #expect(accepted == 202)
                let id = try JSONDecoder().decode(AuthAndAdminAPITests.Started.self, from: startedBody).id
                var state = "running"
                for _ in 0..<300 where state == "running" {
                    try await Task.sleep(for: .milliseconds(100))
                    state =
                        (try? JSONDecoder().decode(
                            AuthAndAdminAPITests.Run.self,
                            from: try await base.get(client, "/api/v1/admin/sync/runs/\(id)", token: root.token).1))?
                        .state ?? "?"
                }
                #expect(state == "succeeded")
                let stalling = try StallingServer()
                let password = try TestEnvironment.require("INBOARD_TEST_SAMPLE_PASSWORD")

                try await useServers(
                    ["ldap://127.0.0.1:\(stalling.port)", try TestEnvironment.require("INBOARD_TEST_LDAP_URL")], client,
                    token: root.token)
                var started = Date()
                let failedOver = try await base.post(
                    client, "/api/v1/auth/login", #"{"username":"alice","password":"\#(password)"}"#)
                #expect(
                    failedOver.0 == 200,
                    "the login did not move on to the second server: \(failedOver.0) \(String(decoding: failedOver.1, as: UTF8.self))"
                )
                #expect(
                    Date().timeIntervalSince(started) < 15, "failing over took \(Date().timeIntervalSince(started)) s")

                try await useServers(["ldap://127.0.0.1:\(stalling.port)"], client, token: root.token)
                started = Date()
                let stalled = try await base.post(
                    client, "/api/v1/auth/login", #"{"username":"bob","password":"\#(password)"}"#)
                let waited = Date().timeIntervalSince(started)
                #expect(
                    stalled.0 == 503 && String(decoding: stalled.1, as: UTF8.self).contains("local admin"),
                    "\(stalled.0) \(String(decoding: stalled.1, as: UTF8.self))")
                #expect(waited < 15, "a login against a silent directory took \(waited) s")
                started = Date()
                #expect(
                    try await base.post(
                        client, "/api/v1/auth/login",
                        #"{"username":"root","password":"\#(AuthAndAdminAPITests.adminPassword)"}"#
                    ).0 == 200)
                #expect(Date().timeIntervalSince(started) < 2, "the local admin waited for the silent directory")
                withExtendedLifetime(stalling) {}
            }
        }
    }
}
