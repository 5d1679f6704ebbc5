import Foundation
import Testing
@testable import PolicyEngine
import PolicyFiles

/// The sample policy folder against its sample directory, at a fixed time: every target's RSoP and manifest
/// must match the stored expectation byte for byte (`Golden/sample-rsop.json`). To accept a deliberate
/// change, run with INBOARD_UPDATE_GOLDEN=1 and review the diff before committing it.
@Suite struct GoldenTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let policyDir = folder.appendingPathComponent("../../policy").standardized.path

    struct Expected: Codable, Equatable {
        var rsop: [RSoP]
        var manifests: [Manifest]
        var loopback: RSoP
    }

    @Test func theSamplePolicySetEvaluatesExactlyAsRecorded() throws {
        let set = try PolicySet.load(folder: Self.policyDir)
        let directory = try DirectorySnapshot.load(file: Self.policyDir + "/sample-directory.json")
        try set.validate(against: directory, serverVersion: "1.0.0.0", folder: Self.policyDir)
        let asOf = ISO8601DateFormatter().date(from: "2026-11-25T12:00:00Z")!
        let evaluator = PolicyEvaluator(set: set, domain: directory.domain)
        let targets =
            directory.users.map { ($0, TargetKind.user) }
            + (directory.computers ?? []).map { ($0, TargetKind.computer) }
        let carol = directory.users.first { $0.name == "carol" }!,
            kiosk = directory.computers!.first { $0.name == "PAR-KIOSK-1" }!
        let actual = Expected(
            rsop: targets.map { evaluator.evaluate($0.0, kind: $0.1) },
            manifests: ManifestBuilder(set: set, directory: directory, asOf: asOf).build(threads: 1),
            loopback: evaluator.evaluate(user: carol, on: kiosk))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data = try encoder.encode(actual)
        let path = Self.folder.appendingPathComponent("Golden/sample-rsop.json").path
        if ProcessInfo.processInfo.environment["INBOARD_UPDATE_GOLDEN"] == "1" {
            try data.write(to: URL(fileURLWithPath: path))
        }
        let expected = try #require(
            FileManager.default.contents(atPath: path), "missing \(path): run with INBOARD_UPDATE_GOLDEN=1")
        #expect(
            String(decoding: data, as: UTF8.self) == String(decoding: expected, as: UTF8.self),
            "the sample's RSoP changed: review with INBOARD_UPDATE_GOLDEN=1 and git diff")
    }

    /// The build shares one stored manifest among targets with the same applied links, deciding that before it
    /// merges any settings: every target's stored manifest must still be exactly its own evaluated one.
    @Test func everyStoredManifestIsTheTargetsOwn() throws {
        let set = try PolicySet.load(folder: Self.policyDir)
        let directory = try DirectorySnapshot.load(file: Self.policyDir + "/sample-directory.json")
        let builder = ManifestBuilder(
            set: set, directory: directory, asOf: ISO8601DateFormatter().date(from: "2026-11-25T12:00:00Z")!)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("golden-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let indexed = builder.buildIndexed(threads: 2)
        _ = try builder.write(indexed, to: out)
        let evaluated = builder.build(threads: 1)
        #expect(indexed.bodies.count > 1 && indexed.bodies.count < evaluated.count, "some shared, not all")
        for manifest in evaluated {
            #expect(try ManifestBuilder.lookup(name: manifest.name, kind: manifest.kind, in: out) == manifest)
        }
    }

    /// The client asks for its signed-in person's manifest (`GET /api/v1/clients/manifest`, a user's), so the
    /// sample's client package must be in a user half: under `computer:` alone no client ever got it.
    @Test func theSampleRollsTheClientOutToEveryPersonsClient() throws {
        let set = try PolicySet.load(folder: Self.policyDir)
        let directory = try DirectorySnapshot.load(file: Self.policyDir + "/sample-directory.json")
        let builder = ManifestBuilder(
            set: set, directory: directory, asOf: ISO8601DateFormatter().date(from: "2026-11-25T12:00:00Z")!)
        let evaluator = PolicyEvaluator(set: set, domain: directory.domain)
        for user in directory.users {
            let manifest = builder.manifest(for: evaluator.evaluate(user, kind: .user), target: user)
            #expect(manifest.package?.policy == "base-client", "\(user.name): \(String(describing: manifest.package))")
        }
    }
}
