import Foundation
import InboardCore
import InboardStore
import InboardTestSupport
import Testing

@testable import InboardServer

/// The board's hand-written JSON against JSONEncoder, byte for byte, over hostile text and awkward dates.
@Suite struct BoardJSONFuzzTests {
    static let alphabet = Fuzz.hostile + ["/", "\u{8}", "\u{C}", "\u{1F}", "\u{2028}", "'", "&", "%"]

    @Test func aPageIsWrittenAsJSONEncoderWritesIt() throws {
        var fuzz = Fuzz()
        let encoder = APIJSON.makeEncoder()
        for _ in 0..<max(20, Fuzz.iterations / 10) {
            let people = (0..<Int.random(in: 0...30, using: &fuzz)).map { _ in Self.entry(&fuzz) }
            let next = Bool.random(using: &fuzz) ? fuzz.text(maxLength: 20, from: Self.alphabet) : nil
            let body = BoardPageBody(people: people, next: next)
            let expected = Array(try encoder.encode(body))
            let written = Array(body.json().readableBytesView)
            guard written != expected else { continue }
            let at =
                zip(written, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(written.count, expected.count)
            let around = { (bytes: [UInt8]) in
                String(decoding: bytes[max(0, at - 60)..<min(bytes.count, at + 40)], as: UTF8.self)
            }
            Issue.record(
                "seed \(fuzz.seed): byte \(at) differs: …\(around(written))… JSONEncoder: …\(around(expected))…")
            return
        }
    }

    @Test func datesAreWrittenAsJSONEncoderWritesThem() throws {
        var fuzz = Fuzz()
        let encoder = APIJSON.makeEncoder()
        let fixed: [TimeInterval] = [
            0, -1, -0.5, 0.999, 0.9996, 86_399.9, 951_782_400, 4_107_542_400, -2_208_988_800, 253_402_300_799,
            // the edges: the Gregorian calendar's first day and the day before, year 1, the last four-digit second
            -12_219_292_800, -12_219_292_801, -62_135_596_800, 253_402_300_799.5, 253_402_300_800,
        ]
        let random = (0..<Fuzz.iterations * 10).map { _ in
            Double(Int64.random(in: -2_208_988_800...4_102_444_800, using: &fuzz))
                + Double.random(in: 0..<1, using: &fuzz)
        }
        for seconds in fixed + random {
            let date = Date(timeIntervalSince1970: seconds)
            let expected = String(decoding: try encoder.encode([date]), as: UTF8.self)
            #expect("[\"" + ISO8601Seconds.string(date) + "\"]" == expected, "seed \(fuzz.seed): \(seconds)")
        }
    }

    static func entry(_ fuzz: inout Fuzz) -> BoardEntry {
        func text() -> String { fuzz.text(maxLength: 12, from: alphabet) }
        func maybe<T>(_ value: @autoclosure () -> T) -> T? { Bool.random(using: &fuzz) ? value() : nil }
        func date() -> Date {
            Date(
                timeIntervalSince1970: Double(Int64.random(in: 0...4_102_444_800, using: &fuzz))
                    + Double.random(in: 0..<1, using: &fuzz))
        }
        let status = maybe(
            BoardEntry.Status(
                type: text(), typeId: Int64.random(in: 1...Int64.max, using: &fuzz), colour: text(),
                presence: Bool.random(using: &fuzz) ? .in : .out, note: maybe(text()),
                noteHidden: Bool.random(using: &fuzz),
                returnAt: maybe(date()), expiresAt: maybe(date()), setAt: date(), setBy: maybe(text()),
                autoAway: Bool.random(using: &fuzz), now: date()))
        return BoardEntry(
            id: Int64.random(in: Int64.min...Int64.max, using: &fuzz), username: text(), displayName: text(),
            email: maybe(text()), department: maybe(text()), active: Bool.random(using: &fuzz), status: status)
    }
}
