import Foundation
@testable import InboardServer
import Testing

/// The manifest endpoint and the Policies page parse the policy folder only when a file changed.
@Suite struct PolicySetCacheTests {
    @Test func aChangedFileIsReadAgainAndABrokenOneIsNeverKept() async throws {
        let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../policy").standardized
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("policy-cache-\(UUID())")
        try FileManager.default.copyItem(at: samples, to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = PolicySetCache(folder: folder.path)

        let first = try await cache.current()
        #expect(try await cache.current().version == first.version, "nothing changed, the same set")

        let file = try #require(
            try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().first {
                $0.hasSuffix(".yaml") || $0.hasSuffix(".yml")
            })
        let path = folder.appendingPathComponent(file)
        let original = try String(contentsOf: path, encoding: .utf8)
        try (original + "\n# edited\n").write(to: path, atomically: true, encoding: .utf8)
        let edited = try await cache.current()
        #expect(edited.version != first.version, "an edited file gives a new set")

        try "policies: [this is not: valid".write(to: path, atomically: true, encoding: .utf8)
        await #expect(throws: (any Error).self) { try await cache.current() }
        await #expect(throws: (any Error).self, "a broken set is never served from the cache") {
            try await cache.current()
        }
        try original.write(to: path, atomically: true, encoding: .utf8)
        #expect(try await cache.current().version == first.version)
    }
}
