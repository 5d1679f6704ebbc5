import Foundation
import InboardTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Form values a signed-in person controls, sent to the running binary: each is refused with a clear error and the
/// server stays up. A time zone offset past Int's range (`tz`, which the board's form fills in from the browser)
/// overflowed in the status form's date reading and stopped the whole process, every other session's streams with
/// it, before the status type or any rule was checked.
@Suite struct HostileFormInputTests {
    @Test func aTimeZoneOffsetPastAnyZoneIsRefusedAndTheServerStaysUp() async throws {
        try await ServerOnOwnCluster.with(admins: 1, patient: true) { setup in
            let token = try await setup.startSignedIn(admins: 1)[0]
            for tz in ["9223372036854775807", "-9223372036854775808", "1081", "x"] {
                let status = await Self.postForm(
                    "type=In&returnAt=2030-12-07T14:00&tz=\(tz)", to: "/status", port: setup.port, token: token)
                #expect(status == 422, "tz=\(tz) answered \(status)")
                #expect(setup.serverIsAlive, "tz=\(tz) stopped the server: \(setup.serverLog.suffix(2000))")
                guard setup.serverIsAlive else { return }
            }
            // A real offset still works: 14:00 in a browser at UTC+1 is 13:00 UTC.
            let status = await Self.postForm(
                "type=In&returnAt=2030-12-07T14:00&tz=-60", to: "/status", port: setup.port, token: token)
            #expect(status == 200, "a real offset answered \(status)")  // the board, after the redirect
            let me = await setup.send("GET", "/api/v1/me", token: token).body
            let id = try #require(
                (try JSONSerialization.jsonObject(with: Data(me.utf8)) as? [String: Any])?["id"] as? Int)
            let entry = await setup.send("GET", "/api/v1/people/\(id)", token: token).body
            #expect(entry.contains("\"returnAt\":\"2030-12-07T13:00:00Z\""), "\(entry)")
        }
    }

    /// The status of one form POST (after its redirect); 0 when the connection failed.
    static func postForm(_ body: String, to path: String, port: Int, token: String) async -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        guard let (_, response) = try? await ServerOnOwnCluster.patientSession.data(for: request) else { return 0 }
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }
}
