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
    /// Every target evaluated, each distinct body encoded once. Targets whose applied links (in order) and
    /// package assignment are the same get the same body, so settings are merged, encoded and hashed once per
    /// such group and worker, not once per target: only the index grows with the number of targets.
    public func buildIndexed(threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> IndexedManifests {
        let targets = orderedTargets()
        let workers = max(1, min(threads, targets.count / 1000 + 1))
        let digests = IndexSlots(count: targets.count)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let evaluator = PolicyEvaluator(set: set, domain: directory.domain)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var known: [SharingKey: String] = [:]
            var bodies: [String: Data] = [:]
            for index in stride(from: worker, to: targets.count, by: workers) {
                let (target, kind) = targets[index]
                let applicability = evaluator.applicability(target, kind: kind)
                let applied = applicability.applied
                let package = evaluator.packageSource(applied, kind: kind).map {
                    assignment($0.1, source: $0.source, target: target, groups: applicability.groups)
                }
                let key = SharingKey(kind: kind, links: applied.map(\.id), package: package)
                if let digest = known[key] {
                    digests.store(digest, at: index)
                    continue
                }
                let rsop = evaluator.evaluate(target, kind: kind, applicability: applicability)
                var manifest = manifest(for: rsop, target: target)
                manifest.package = package
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

    /// Equal keys mean equal bodies: the kind, the links that applied in processing order (by their place
    /// in links.yaml), and the package assignment (a ring's percentage depends on the target).
    struct SharingKey: Hashable {
        var kind: TargetKind
        var links: [PolicyEvaluator.LinkID]
        var package: Manifest.PackageAssignment?
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
