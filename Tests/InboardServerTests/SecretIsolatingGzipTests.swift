import CompressNIO
import Foundation
import InboardStore
import InboardTestSupport
import NIOCore
import Testing

@testable import InboardServer

/// gzip that keeps secrets apart: what it writes inflates to the input (zlib and the gzip tool, CRC checked),
/// and its length does not follow how well an attacker's text guesses a secret, where plain gzip's does.
@Suite struct SecretIsolatingGzipTests {
    static func inflate(_ compressed: ByteBuffer) throws -> ByteBuffer {
        var input = compressed
        return try input.decompress(with: .gzip())
    }

    static func gzip(_ text: String, secrets: [Range<Int>]) throws -> ByteBuffer {
        try SecretIsolatingGzip.compress(ByteBuffer(string: text), keepingApart: secrets)
    }

    /// The first range of `secret` in `text`, in bytes.
    static func range(of secret: String, in text: String) -> Range<Int> {
        let bytes = Array(text.utf8)
        let needle = Array(secret.utf8)
        let start = (0...(bytes.count - needle.count)).first { Array(bytes[$0..<$0 + needle.count]) == needle }!
        return start..<start + needle.count
    }

    @Test func anyBodyAndSecretsInflateToTheBody() throws {
        var fuzz = Fuzz()
        for _ in 0..<max(50, Fuzz.iterations) {
            let repeated = String(repeating: fuzz.text(maxLength: 30, from: Fuzz.hostile + ["a", "b", "{"]), count: 40)
            let body = Array((repeated + fuzz.text(maxLength: 200, from: Fuzz.hostile)).utf8)
            var cuts = (0..<Int.random(in: 0...8, using: &fuzz)).map { _ in Int.random(in: 0...body.count, using: &fuzz)
            }
            cuts.sort()
            if cuts.count % 2 == 1 { cuts.removeLast() }
            let secrets = stride(from: 0, to: cuts.count, by: 2).map { cuts[$0]..<cuts[$0 + 1] }
            let compressed = try SecretIsolatingGzip.compress(ByteBuffer(bytes: body), keepingApart: secrets)
            #expect(Array(try Self.inflate(compressed).readableBytesView) == body, "seed \(fuzz.seed): \(secrets)")
        }
    }

    @Test func edgesInflate() throws {
        let long = String(repeating: "0123456789abcdef", count: 10_000)  // 160,000 bytes: three stored blocks
        let cases: [(String, [Range<Int>])] = [
            ("", []), ("", [0..<0]), ("secret", [0..<6]), ("{\"a\":\"x\"}", [6..<7, 7..<7, 7..<8]),
            ("[" + long + "]", [1..<160_001]), ("[" + long + "]", []),
        ]
        for (text, secrets) in cases {
            #expect(String(buffer: try Self.inflate(try Self.gzip(text, secrets: secrets))) == text, "\(secrets)")
        }
        #expect(throws: SecretIsolatingGzip.Failure.self) { try Self.gzip("abcdef", secrets: [2..<4, 3..<5]) }
        #expect(throws: SecretIsolatingGzip.Failure.self) { try Self.gzip("abcdef", secrets: [4..<7]) }
    }

    /// The same tool a browser's or curl's gzip stands for: the stream, its CRC and length, accepted.
    @Test func theGzipToolReadsIt() async throws {
        let text = String(repeating: "{\"note\":\"public\",\"hidden\":\"s3cr3t\"},", count: 500)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("isolated-\(UUID()).gz")
        defer { try? FileManager.default.removeItem(at: file) }
        let compressed = try Self.gzip(text, secrets: [Self.range(of: "s3cr3t", in: text)])
        try Data(compressed.readableBytesView).write(to: file)
        let unzipped = try await runProgram("/bin/gzip", ["-dc", file.path])
        #expect(unzipped.output == text)
    }

    /// The attack: a colleague's note tries guesses at a hidden note on the same page. With plain gzip a right
    /// guess makes the answer shorter (the control); kept apart, a right guess is no shorter than a wrong one of
    /// like text, and for a fixed guess, secrets of one length give one length and differ only in their own bytes.
    @Test func theLengthDoesNotFollowAGuess() throws {
        /// A page with mallory's note and ann's hidden one, and where ann's lies.
        func page(guess: String, secret: String) -> (text: String, secret: Range<Int>) {
            let before = "{\"people\":[{\"note\":\"\(guess)\",\"username\":\"mallory\"},{\"note\":\""
            let text = before + secret + "\",\"noteHidden\":true,\"username\":\"ann\"}]}"
            return (text, before.utf8.count..<before.utf8.count + secret.utf8.count)
        }
        let secret = "pin 4711 at the desk"
        let wrongGuess = "qzx 0815 vy wok mjgh"
        let right = page(guess: secret, secret: secret)
        let wrong = page(guess: wrongGuess, secret: secret)
        var plainRight = ByteBuffer(string: right.text)
        var plainWrong = ByteBuffer(string: wrong.text)
        let plainGap =
            try plainWrong.compress(with: .gzip()).readableBytes - plainRight.compress(with: .gzip()).readableBytes
        #expect(plainGap > 5, "plain gzip gives a right guess away (\(plainGap) bytes shorter)")

        let keptRight = try Self.gzip(right.text, secrets: [right.secret])
        let keptWrong = try Self.gzip(wrong.text, secrets: [wrong.secret])
        #expect(keptRight.readableBytes == keptWrong.readableBytes)
        // The guess fixed, secrets of the same length: the same length, and the same bytes but the secret's own
        // and the trailer's checksum.
        let answers = try [secret, wrongGuess, "aaaaaaaaaaaaaaaaaaaa"].map { secret in
            let made = page(guess: wrongGuess, secret: secret)
            return Array(try Self.gzip(made.text, secrets: [made.secret]).readableBytesView)
        }
        #expect(Set(answers.map(\.count)).count == 1)
        #expect(String(decoding: answers[0], as: UTF8.self).contains(secret), "the secret is stored as it is")
        let differing = (0..<answers[0].count - 8).filter { answers[0][$0] != answers[2][$0] }
        let span = (differing.last ?? 0) - (differing.first ?? 0) + 1
        #expect(!differing.isEmpty && span <= secret.utf8.count, "only the secret's bytes differ: \(span) bytes do")
    }

    /// The board's JSON marks exactly each hidden note's text, escaped as written, and nothing else.
    @Test func theBoardMarksItsHiddenNotes() throws {
        func entry(_ id: Int64, note: String?, hidden: Bool) -> BoardEntry {
            BoardEntry(
                id: id, username: "u\(id)", displayName: "U \(id)", email: nil, department: nil, active: true,
                status: BoardEntry.Status(
                    type: "Out", typeId: 2, colour: "#000000", presence: .out, note: note, noteHidden: hidden,
                    returnAt: nil, expiresAt: nil, setAt: Date(timeIntervalSince1970: 0), setBy: nil, autoAway: false,
                    now: Date(timeIntervalSince1970: 0)))
        }
        let people = [
            entry(1, note: "public \"quoted\"", hidden: false), entry(2, note: "at \"the\" dentist\n", hidden: true),
            entry(3, note: nil, hidden: true), entry(4, note: "", hidden: true),
        ]
        let (body, hiddenNotes) = BoardPageBody(people: people, next: nil).encoded()
        let bytes = Array(body.readableBytesView)
        let marked = hiddenNotes.map { String(decoding: bytes[$0], as: UTF8.self) }
        #expect(marked == ["at \\\"the\\\" dentist\\n", ""])
        let redacted = BoardPageBody(people: people.map { $0.withoutHiddenNote() }, next: nil).encoded()
        #expect(redacted.hiddenNotes.isEmpty)
        #expect(
            String(buffer: try Self.inflate(try SecretIsolatingGzip.compress(body, keepingApart: hiddenNotes)))
                == String(buffer: body))
    }

    /// The board as the cache serves it, over random pages: a delegate's answer differs from a colleague's only
    /// inside the ranges marked as hidden notes (and their `"note":"…",` wrapper), and two boards whose hidden
    /// notes differ in text but not in length give gzipped answers of one length, differing only inside those
    /// notes and the trailer's checksum.
    @Test func theCachedBoardKeepsEveryHiddenNoteApartAndNothingElse() throws {
        var fuzz = Fuzz()
        for _ in 0..<max(20, Fuzz.iterations / 5) {
            var entries = (0..<Int.random(in: 1...60, using: &fuzz)).map { _ in BoardJSONFuzzTests.entry(&fuzz) }
            // Colleagues' notes guess at the hidden ones: copies of them, here and there.
            let hiddenTexts = entries.compactMap { $0.status?.noteHidden == true ? $0.status?.note : nil }
            for index in entries.indices where entries[index].status?.noteHidden == false {
                if let guess = hiddenTexts.randomElement(using: &fuzz) { entries[index].status?.note = guess }
            }
            // The same board with every hidden note's text replaced by other text of the same length.
            let other = entries.map { entry -> BoardEntry in
                guard entry.status?.noteHidden == true, let note = entry.status?.note else { return entry }
                var copy = entry
                // Characters JSON escapes are kept (so is the escaped length); any other becomes x's of its size.
                copy.status?.note = String(
                    note.flatMap { character -> [Character] in
                        character.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
                            ? [character] : Array(repeating: "x", count: character.utf8.count)
                    })
                return copy
            }
            func pages(_ entries: [BoardEntry]) throws -> (
                plain: BoardCache.Page, gzipped: BoardCache.Page, redacted: BoardCache.Page
            ) {
                let slice = BoardSlice(
                    entries: entries, cursors: entries.map { BoardCursor(sortName: $0.displayName, id: $0.id) },
                    hasMore: false)
                let snapshot = BoardCache.Snapshot(slice: slice, hiddenNoteOwners: [], builtAt: .now)
                return (
                    try #require(snapshot.page(BoardRequest.maxLimit, redacted: false, gzip: false)),
                    try #require(snapshot.page(BoardRequest.maxLimit, redacted: false, gzip: true)),
                    try #require(snapshot.page(BoardRequest.maxLimit, redacted: true, gzip: false))
                )
            }
            let (plain, gzipped, redacted) = try pages(entries)
            #expect(gzipped.contentEncoding == "gzip")
            #expect(try Self.inflate(gzipped.body) == plain.body, "seed \(fuzz.seed)")
            var withoutNotes = Array(plain.body.readableBytesView)
            for range in plain.hiddenNotes.reversed() {
                let wrapper = Array("\"note\":\"".utf8)
                #expect(Array(withoutNotes[(range.lowerBound - wrapper.count)..<range.lowerBound]) == wrapper)
                withoutNotes.removeSubrange((range.lowerBound - wrapper.count)..<(range.upperBound + 2))
            }
            #expect(
                withoutNotes == Array(redacted.body.readableBytesView), "seed \(fuzz.seed): only hidden notes differ")

            let otherGzipped = Array(try pages(other).gzipped.body.readableBytesView)
            let these = Array(gzipped.body.readableBytesView)
            #expect(these.count == otherGzipped.count, "seed \(fuzz.seed): the length follows a hidden note's text")
            guard these.count == otherGzipped.count else { continue }
            // Where the notes lie in the compressed answer: each stored as it is, the same length in both.
            let differing = (0..<these.count - 8).filter { these[$0] != otherGzipped[$0] }
            let noteBytes = plain.hiddenNotes.reduce(0) { $0 + $1.count }
            #expect(
                differing.count <= noteBytes,
                "seed \(fuzz.seed): \(differing.count) bytes differ, notes hold \(noteBytes)")
        }
    }
}
