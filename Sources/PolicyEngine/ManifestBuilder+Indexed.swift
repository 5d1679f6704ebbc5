import Foundation

/// What a manifest says, without whom it is for: every target with the same settings, sources and package
/// shares one, stored once under its SHA-256.
public struct ManifestBody: Codable, Sendable, Equatable {
    public var kind: TargetKind
    public var settings: [String: SettingValue]
    public var sources: [String: Manifest.Source]
    public var package: Manifest.PackageAssignment?
}

extension Manifest {
    public var body: ManifestBody { ManifestBody(kind: kind, settings: settings, sources: sources, package: package) }

    public init(body: ManifestBody, name: String, dn: String) {
        self.init(
            kind: body.kind, name: name, dn: dn, settings: body.settings, sources: body.sources, package: body.package)
    }
}

/// Every target's manifest as an index (name, DN and the digest of its body) and the distinct bodies, encoded.
public struct IndexedManifests: Sendable {
    public struct Entry: Sendable, Equatable {
        public var kind: TargetKind
        public var name: String
        public var dn: String
        public var digest: String
    }
    /// Users by name, then computers by name.
    public var targets: [Entry]
    /// Digest → the body's JSON (sorted keys): what `manifests/` holds.
    public var bodies: [String: Data]
}

extension ManifestBuilder {
    /// Every target evaluated, each distinct body encoded once: targets whose applied links (in order) and
    /// package assignment are the same get the same body, so it is encoded and hashed once per worker, not once
    /// per target, and only the index grows with the number of targets.
    public func buildIndexed(threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> IndexedManifests {
        let targets = orderedTargets()
        let workers = max(1, min(threads, targets.count / 1000 + 1))
        let digests = IndexSlots(count: targets.count)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let evaluator = PolicyEvaluator(set: set, domain: directory.domain)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var known: [String: String] = [:]
            var bodies: [String: Data] = [:]
            for index in stride(from: worker, to: targets.count, by: workers) {
                let (target, kind) = targets[index]
                let rsop = evaluator.evaluate(target, kind: kind)
                let manifest = manifest(for: rsop, target: target)
                let key = Self.sharingKey(manifest, links: rsop.links)
                if let digest = known[key] {
                    digests.store(digest, at: index)
                    continue
                }
                // Settings are plain values: encoding cannot fail, and a failure must not leave a target unindexed.
                let data = (try? encoder.encode(manifest.body)) ?? Data("{}".utf8)
                let digest = PolicyDigest.hex(data)
                known[key] = digest
                bodies[digest] = data
                digests.store(digest, at: index)
            }
            digests.merge(bodies)
        }
        let entries = zip(targets, digests.all).map { pair in
            IndexedManifests.Entry(kind: pair.0.1, name: pair.0.0.name, dn: pair.0.0.dn, digest: pair.1)
        }
        return IndexedManifests(targets: entries, bodies: digests.bodies)
    }

    /// Equal keys mean equal bodies: the kind, the links that applied in processing order, and the package
    /// assignment (a ring's percentage depends on the target).
    static func sharingKey(_ manifest: Manifest, links: [EvaluatedLink]) -> String {
        // Each part length-prefixed: no two different lists of names can spell the same key.
        func part(_ text: String) -> String { "\(text.utf8.count):" + text }
        var key = manifest.kind.rawValue
        for link in links where link.outcome == .applied { key += "|" + part(link.policy) + part(link.container) }
        if let package = manifest.package { key += "#" + part(package.version) + part(package.ring) }
        return key
    }
}

/// Digests written by index from several threads, and the bodies each worker found.
final class IndexSlots: @unchecked Sendable {
    private var slots: [String]
    private(set) var bodies: [String: Data] = [:]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: "", count: count) }
    func store(_ digest: String, at index: Int) { lock.lock(); slots[index] = digest; lock.unlock() }
    func merge(_ found: [String: Data]) { lock.lock(); bodies.merge(found) { first, _ in first }; lock.unlock() }
    var all: [String] { slots }
}
