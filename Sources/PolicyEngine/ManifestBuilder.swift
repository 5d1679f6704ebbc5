import Crypto
import InboardCore
import Foundation

/// A target's deployment manifest: effective settings, the client package and its ring, and where each value
/// came from.
public struct Manifest: Codable, Sendable, Equatable {
    public struct PackageAssignment: Codable, Sendable, Hashable {
        public var version: String
        public var install: Policy.Package.Install
        public var upgrade: Policy.Package.Upgrade
        public var uninstallWhenOutOfScope: Bool
        public var ring: String
        public var policy: String
        public var container: String
    }
    public struct Source: Codable, Sendable, Equatable {
        public var policy: String
        public var container: String
    }

    public var kind: TargetKind
    public var name: String
    public var dn: String
    public var settings: [String: SettingValue]
    public var sources: [String: Source]
    public var package: PackageAssignment?
}

/// Rings: a target is in the first ring whose groups it is in or whose stable percentage covers it (and none of
/// whose excluded groups it is in); the
/// ring's version applies once its start (plus deferral) has passed and unless it is paused; a halt sends
/// every ring back to the previous version. Targets in no ring keep the previous version.
enum RolloutPlan {
    static func assignment(
        _ package: Policy.Package, policy: String, target: DirectorySnapshot.Target, groups: Set<String>, asOf: Date
    ) -> (version: String, ring: String) {
        guard let rollout = package.rollout else { return (package.version, "all") }
        if rollout.halted == true { return (rollout.previousVersion, "halted") }
        for ring in rollout.rings {
            if !ring.excludedDNs.isDisjoint(with: groups) { continue }
            let inGroups = !ring.memberDNs.isDisjoint(with: groups)
            let inShare = ring.percent.map { bucket(rollout: rolloutID(policy, package), target: target) < $0 } ?? false
            guard inGroups || inShare else { continue }
            return (rollout.isLive(ring, asOf: asOf) ? package.version : rollout.previousVersion, ring.name)
        }
        return (rollout.previousVersion, "none")
    }

    /// One rollout: a policy's package version (the next version's rollout reaches its first share in another
    /// order, so the same people are not always first).
    static func rolloutID(_ policy: String, _ package: Policy.Package) -> String { policy + "\n" + package.version }

    /// A stable number in 0..<100 for a target in a rollout, from the target's stable id (its DN without one):
    /// the same as the percentage grows, and when the target moves or is renamed.
    static func bucket(rollout: String, target: DirectorySnapshot.Target) -> Double {
        bucket(rollout: rollout, id: target.id.map { "id:" + $0.lowercased() } ?? DN.normalised(target.dn))
    }

    static func bucket(rollout: String, id: String) -> Double {
        let digest = SHA256.hash(data: Data((rollout + "\n" + id).utf8))
        let value = digest.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return Double(value % 10_000) / 100
    }
}

/// Builds every target's manifest and ClientInstall.ini per ring (`PolicyFiles` writes them).
public struct ManifestBuilder: Sendable {
    package let set: PolicySet
    let directory: DirectorySnapshot
    package let asOf: Date

    public init(set: PolicySet, directory: DirectorySnapshot, asOf: Date) {
        self.set = set
        self.directory = directory
        self.asOf = asOf
    }

    public func manifest(for rsop: RSoP, target: DirectorySnapshot.Target) -> Manifest {
        var manifest = Manifest(
            kind: rsop.kind, name: rsop.name, dn: rsop.dn,
            settings: rsop.settings.mapValues(\.value),
            sources: rsop.settings.mapValues { .init(policy: $0.policy, container: $0.container) },
            package: nil)
        if let source = rsop.packageSource, let package = rsop.policies[source.policy] {
            manifest.package = assignment(
                package, source: source, target: target, groups: Set(target.groups.map(DN.normalised)))
        }
        return manifest
    }

    /// The package version and ring a target gets from the winning package policy.
    func assignment(
        _ package: Policy.Package, source: RSoP.PackageSource, target: DirectorySnapshot.Target, groups: Set<String>
    ) -> Manifest.PackageAssignment {
        let (version, ring) = RolloutPlan.assignment(
            package, policy: source.policy, target: target, groups: groups, asOf: asOf)
        return .init(
            version: version, install: package.install, upgrade: package.upgrade,
            uninstallWhenOutOfScope: package.uninstallWhenOutOfScope, ring: ring, policy: source.policy,
            container: source.container)
    }

    /// Every manifest, in a stable order: users by name, then computers by name.
    public func build(threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> [Manifest] {
        let targets = orderedTargets()
        let workers = max(1, min(threads, targets.count / 1000 + 1))
        let results = ManifestSlots(count: targets.count)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let evaluator = PolicyEvaluator(set: set, domain: directory.domain)  // each worker its own chain cache
            for index in stride(from: worker, to: targets.count, by: workers) {
                let (target, kind) = targets[index]
                results.store(manifest(for: evaluator.evaluate(target, kind: kind), target: target), at: index)
            }
        }
        return results.all
    }

    /// Users by name, then computers by name: the order of every build's output.
    func orderedTargets() -> [(DirectorySnapshot.Target, TargetKind)] {
        directory.users.sorted { $0.name < $1.name }.map { ($0, TargetKind.user) }
            + (directory.computers ?? []).sorted { $0.name < $1.name }.map { ($0, TargetKind.computer) }
    }

    /// `ClientInstall.ini` per package policy and ring, in the old product's format. Its server address is the
    /// package policy's own `webServiceAddress`, else the one most of the ring's targets get from the policies
    /// that apply to them (`built`): a package policy need not set the address (another policy linked higher
    /// up often does), and an empty address left its clients with no server to find.
    package func clientInstallFiles(for built: IndexedManifests) -> [(String, String)] {
        let received = Self.addressesReceived(built)
        var files: [(String, String)] = []
        for policy in set.policies.values.sorted(by: { $0.id < $1.id }) {
            for half in [policy.computer, policy.user] {
                guard let package = half.package else { continue }
                let own = half.settings["webServiceAddress"] ?? policy.user.settings["webServiceAddress"]
                let rings =
                    package.rollout.map { rollout in
                        rollout.rings.map { ring in
                            (ring.name, rollout.isLive(ring, asOf: asOf) ? package.version : rollout.previousVersion)
                        }
                    } ?? [("all", package.version)]
                for (ring, version) in rings {
                    let address =
                        own?.description ?? received[policy.id + "\n" + ring]
                        ?? received[policy.id + "\n"] ?? ""
                    let text = ClientInstallINI.text(address: address, clientVersion: version, install: package.install)
                    files.append(
                        ("client-install/\(Self.fileName(policy.id))/\(Self.fileName(ring))/ClientInstall.ini", text))
                }
            }
        }
        return files
    }

    /// The address most targets of each package policy's ring get ("POLICY\nRING"), and of the policy over all its
    /// rings ("POLICY\n"): counted over the targets, ties to the first in sorted order.
    static func addressesReceived(_ built: IndexedManifests) -> [String: String] {
        let decoder = JSONDecoder()
        var perDigest: [String: Int] = [:]
        for entry in built.targets { perDigest[entry.digest, default: 0] += 1 }
        var counts: [String: [String: Int]] = [:]
        for (digest, data) in built.bodies {
            guard let body = try? decoder.decode(ManifestBody.self, from: data), let package = body.package,
                case let .text(address)? = body.settings["webServiceAddress"], !address.isEmpty
            else { continue }
            let targets = perDigest[digest, default: 0]
            counts[package.policy + "\n" + package.ring, default: [:]][address, default: 0] += targets
            counts[package.policy + "\n", default: [:]][address, default: 0] += targets
        }
        return counts.mapValues { tally in
            tally.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.first?.key ?? ""
        }
    }

    /// A name safe as a file name (no path separators, no dots at the start).
    static func fileName(_ name: String) -> String {
        let safe = name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" }
        return String(safe).trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }
}

/// Results written by index from several threads; each slot is written once.
final class ManifestSlots: @unchecked Sendable {
    private var slots: [Manifest?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func store(_ manifest: Manifest, at index: Int) { lock.lock(); slots[index] = manifest; lock.unlock() }
    var all: [Manifest] { slots.compactMap { $0 } }
}

/// SHA-256 as lower-case hex: manifest names, file digests in index.json, the set's version.
public enum PolicyDigest {
    public static func hex(_ data: Data) -> String { SHA256.hash(data: data).lowercaseHex }
    static func hex(_ text: String) -> String { hex(Data(text.utf8)) }
    /// The raw 32 bytes (a shard takes the first).
    public static func bytes(_ data: Data) -> [UInt8] { Array(SHA256.hash(data: data)) }
}
