import Foundation
import Testing

@testable import InboardServer

@Suite struct ClientPackagesTests {
    /// A policy says `1.0.0`; the README names files `inboard-client-1.0.0.0-…`: the same version (it listed no
    /// file before, and `inboard-client update` said the server had none).
    @Test func versionsCompareAsNumbers() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("packages-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for name in ["inboard-client-1.0.0.0-linux-x86_64", "inboard-client-1.0.1-linux-x86_64"] {
            try Data(name.utf8).write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        let packages = ClientPackages(folder: folder)
        func names(_ version: String) async -> [String] { await packages.files(version: version).map(\.name) }
        #expect(await names("1.0.0") == ["inboard-client-1.0.0.0-linux-x86_64"])
        #expect(await names("1.0.1.0") == ["inboard-client-1.0.1-linux-x86_64"])
        #expect(await names("1.0") == ["inboard-client-1.0.0.0-linux-x86_64"])
        #expect(await names("1.0.2").isEmpty)
        #expect(await names("x").isEmpty)
    }
}
