import InboardCore
import Testing

@Suite struct InboardVersionTests {
    @Test(arguments: [
        ("1", "1.0.0.0"), ("1.2", "1.2.0.0"), ("1.2.3", "1.2.3.0"), ("10.20.30.40", "10.20.30.40"),
        (" 2.1 ", "2.1.0.0"),
    ])
    func parsesShortAndFullForms(text: String, expected: String) throws {
        #expect(try #require(InboardVersion(text)).description == expected)
    }

    @Test(arguments: ["", "1.", ".1", "1..2", "1.2.3.4.5", "a.b", "1.-2", "1.2 beta", "99999999999"])
    func rejectsMalformed(text: String) {
        #expect(InboardVersion(text) == nil)
    }

    @Test func ordersNumericallyNotAlphabetically() throws {
        #expect(try #require(InboardVersion("1.10")) > #require(InboardVersion("1.9")))
        #expect(try #require(InboardVersion("1.0.0.1")) > #require(InboardVersion("1.0")))
    }

    @Test func sameOrOlderClientIsCompatible() throws {
        let server = InboardVersion(1, 2, 5, 0)
        // build/revision never matter
        #expect(server.compatibility(withClient: InboardVersion(1, 2, 9, 9)) == .compatible)
        #expect(server.compatibility(withClient: InboardVersion(1, 1)) == .compatible)
        #expect(server.compatibility(withClient: InboardVersion(0, 9)) == .compatible)
    }

    @Test func newerClientIsRefusedWithUpgradeServerMessage() throws {
        let server = InboardVersion(1, 2)
        for client in [InboardVersion(1, 3), InboardVersion(2, 0)] {
            let verdict = server.compatibility(withClient: client)
            #expect(verdict == .clientNewerThanServer(client: client, server: server))
            let message = try #require(verdict.message)
            #expect(message.contains("upgrade the server"))
            #expect(message.contains(client.majorMinor))
        }
    }

    @Test func codableAsString() throws {
        let data = try JSONEncoder().encode([InboardVersion(1, 2, 3, 4)])
        #expect(String(decoding: data, as: UTF8.self) == #"["1.2.3.4"]"#)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([InboardVersion].self, from: Data(#"["x"]"#.utf8))
        }
    }
}

import Foundation
