@testable import LDAPKit
import Testing

/// A deterministic generator, so that the weighted draw can be checked.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state
    }
}

@Suite struct SRVOrderingTests {
    @Test func lowerPriorityAlwaysComesFirst() {
        let records = [
            SRVRecord(priority: 20, weight: 100, port: 389, target: "b"),
            SRVRecord(priority: 10, weight: 0, port: 389, target: "a"),
            SRVRecord(priority: 30, weight: 5, port: 389, target: "c"),
        ]
        for seed in 0..<50 {
            var generator = SeededGenerator(state: UInt64(seed))
            #expect(SRVRecord.ordered(records, using: &generator).map(\.target) == ["a", "b", "c"])
        }
    }

    @Test func weightsShareTheFirstPlaceInProportion() {
        let records = [
            SRVRecord(priority: 0, weight: 90, port: 389, target: "heavy"),
            SRVRecord(priority: 0, weight: 10, port: 389, target: "light"),
        ]
        var generator = SeededGenerator(state: 42)
        var heavyFirst = 0
        for _ in 0..<2000 where SRVRecord.ordered(records, using: &generator).first?.target == "heavy" {
            heavyFirst += 1
        }
        #expect((1650...1950).contains(heavyFirst), "heavy first \(heavyFirst) of 2000")
    }

    @Test func everyRecordAppearsOnceAndDotMeansNoService() {
        let records =
            (0..<6).map { SRVRecord(priority: UInt16($0 % 2), weight: UInt16($0), port: 389, target: "h\($0)") } + [
                SRVRecord(priority: 0, weight: 0, port: 0, target: ".")
            ]
        var generator = SeededGenerator(state: 7)
        let ordered = SRVRecord.ordered(records, using: &generator)
        #expect(Set(ordered.map(\.target)) == Set((0..<6).map { "h\($0)" }))
        #expect(ordered.count == 6)
    }
}

@Suite struct DNSMessageTests {
    @Test func queryEncodesTheNameAndType() {
        let query = DNSMessage.query(id: 0x1234, name: "_ldap._tcp.example.test", type: DNSMessage.typeSRV)
        #expect(Array(query[0..<2]) == [0x12, 0x34])
        #expect(query[12] == 5 && String(decoding: query[13..<18], as: UTF8.self) == "_ldap")
        #expect(Array(query.suffix(4)) == [0, 33, 0, 1])
    }

    @Test func parsesCompressedSRVAndAAnswers() throws {
        // Header: id 0x0001, response, 1 question, 2 answers.
        var message: [UInt8] = [0, 1, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0]
        let question = DNSMessage.query(id: 1, name: "_ldap._tcp.example.test", type: 33)
        message += question[12...]  // question name at offset 12
        let exampleTest = 12 + 1 + 5 + 1 + 4  // offset of "example.test" inside it
        // SRV answer: name = pointer to 12; priority 0, weight 100, port 389, target dc1 + pointer to example.test
        message +=
            [0xC0, 12, 0, 33, 0, 1, 0, 0, 0, 60, 0, 12, 0, 0, 0, 100, 1, 0x85, 3] + Array("dc1".utf8) + [
                0xC0, UInt8(exampleTest),
            ]
        let dc1 = 12 + question.count - 12 + 12 + 6  // offset where "dc1" label starts (in the SRV rdata)
        message += [0xC0, UInt8(dc1), 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]
        let parsed = try DNSMessage.answers(message, id: 1)
        #expect(parsed.rcode == 0)
        #expect(parsed.srv == [SRVRecord(priority: 0, weight: 100, port: 389, target: "dc1.example.test")])
        #expect(parsed.addresses["dc1.example.test"] == ["127.0.0.1"])
        #expect(throws: DNSMessage.ParseError.self) { try DNSMessage.answers(message, id: 2) }
        #expect(throws: DNSMessage.ParseError.self) { try DNSMessage.answers(Array(message.prefix(40)), id: 1) }
    }
}
