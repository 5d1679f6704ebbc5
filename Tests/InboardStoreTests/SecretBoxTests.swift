import Foundation
import InboardStore
import Testing

@Suite struct SecretBoxTests {
    let key = [UInt8](repeating: 7, count: 32)

    @Test func sealsAndOpens() throws {
        let box = try SecretBox(keyBytes: key)
        let sealed = try box.seal("bind-pässword")
        #expect(!String(decoding: sealed, as: UTF8.self).contains("bind"))
        #expect(try box.open(sealed) == "bind-pässword")
    }

    @Test func sealingTwiceGivesDifferentBytes() throws {
        let box = try SecretBox(keyBytes: key)
        #expect(try box.seal("x") != box.seal("x"))
    }

    @Test func wrongKeyCannotOpen() throws {
        let sealed = try SecretBox(keyBytes: key).seal("secret")
        let other = try SecretBox(keyBytes: [UInt8](repeating: 8, count: 32))
        #expect(throws: SecretKeyError.cannotOpen) { try other.open(sealed) }
    }

    @Test func tamperedCiphertextCannotOpen() throws {
        let box = try SecretBox(keyBytes: key)
        var sealed = try box.seal("secret")
        sealed[sealed.count - 1] ^= 1
        #expect(throws: SecretKeyError.cannotOpen) { try box.open(sealed) }
    }

    @Test func keyFileProblemsAreExplained() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("secretbox-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("none").path
        #expect(throws: SecretKeyError.missing(path: missing)) { try SecretBox.load(keyFile: missing) }
        #expect(SecretKeyError.missing(path: missing).description.contains("head -c 32 /dev/urandom"))
        let short = dir.appendingPathComponent("short").path
        #expect(FileManager.default.createFile(atPath: short, contents: Data(repeating: 1, count: 16)))
        #expect(throws: SecretKeyError.wrongSize(path: short, bytes: 16)) { try SecretBox.load(keyFile: short) }
        let good = dir.appendingPathComponent("good").path
        #expect(FileManager.default.createFile(atPath: good, contents: Data(key)))
        #expect(try SecretBox.load(keyFile: good).open(SecretBox(keyBytes: key).seal("ok")) == "ok")
    }
}
