import Foundation
import Yams

/// Every policy and link in a policy folder, validated: `policies/*.yaml` and `links.yaml`.
public struct PolicySet: Sendable {
    public var policies: [String: Policy]
    public var links: LinksDocument
    /// Where each policy came from (file and line), for errors and explanations.
    var origins: [String: (file: String, line: Int)]
    /// A digest of every input file, the version stamped on every manifest.
    public var version: String

    /// Parses and validates what `PolicySource` read (no I/O); every problem is a `PolicyError`.
    public static func parse(_ source: PolicySource) throws -> PolicySet {
        var policies: [String: Policy] = [:], origins: [String: (String, Int)] = [:]
        // ClientInstall.ini files sit in a folder named after the policy (`a b` is `a_b` there).
        var folders: [String: String] = [:]
        for file in source.policies {
            let policy: Policy = try decode(file.text, path: file.path)
            if let other = origins[policy.id]
                ?? folders[ManifestBuilder.fileName(policy.id).lowercased()].flatMap({ origins[$0] })
            {
                throw PolicyError(
                    file: file.path, line: 1,
                    message: "duplicate policy id '\(policy.id)' (also in \(other.0):\(other.1))")
            }
            policies[policy.id] = policy
            origins[policy.id] = (file.path, 1)
            folders[ManifestBuilder.fileName(policy.id).lowercased()] = policy.id
        }
        let links: LinksDocument = try decode(source.links.text, path: source.links.path)
        var set = PolicySet(policies: policies, links: links, origins: origins, version: source.version)
        try set.validateLinks(file: source.links.path, text: source.links.text)
        return set
    }

    /// Checks that need the whole set: links to existing policies, unique link orders, targeting filters that
    /// exist and do not refer to each other in a cycle.
    mutating func validateLinks(file: String, text: String) throws {
        let lines = text.components(separatedBy: "\n")
        func line(of needle: String) -> Int? { lines.firstIndex { $0.contains(needle) }.map { $0 + 1 } }
        var containers: [String: String] = [:]
        // The n-th `dn:` line is the n-th container's (each entry names its DN once).
        let dnLines = lines.indices.filter { lines[$0].contains("dn:") }
        func lineOfContainer(at position: Int) -> Int? {
            dnLines.count == links.containers.count ? dnLines[position] + 1 : nil
        }
        for (position, container) in links.containers.enumerated() {
            // One entry per container: a second one (the same DN in other case or spacing) was silently dropped,
            // with its links and its block on inheritance.
            if let first = containers.updateValue(container.dn, forKey: DN.normalised(container.dn)) {
                throw PolicyError(
                    file: file, line: lineOfContainer(at: position) ?? line(of: container.dn),
                    message: "\(container.dn) is listed twice (also as \(first)); put all its links in one entry")
            }
            var orders = Set<Int>()
            for link in container.links ?? [] {
                guard policies[link.policy] != nil else {
                    throw PolicyError(
                        file: file, line: line(of: link.policy),
                        message: "link in \(container.dn) to unknown policy '\(link.policy)'")
                }
                guard orders.insert(link.order).inserted else {
                    throw PolicyError(
                        file: file, line: line(of: container.dn),
                        message:
                            "two links in \(container.dn) have order \(link.order); link orders in one container are unique"
                    )
                }
            }
        }
        let filters = links.filters ?? [:]
        for (id, policy) in policies {
            for name in policy.targeting?.filterNames ?? [] where filters[name] == nil {
                throw PolicyError(
                    file: origins[id]?.file ?? file, message: "policy '\(id)' uses unknown targeting filter '\(name)'")
            }
        }
        // A filter may use other filters, but never itself through any chain.
        func visit(_ name: String, _ path: [String]) throws {
            if path.contains(name) {
                throw PolicyError(
                    file: file, line: line(of: name + ":"),
                    message:
                        "targeting filters refer to each other in a cycle: \((path + [name]).joined(separator: " → "))")
            }
            for next in filters[name]?.filterNames ?? [] {
                guard filters[next] != nil else {
                    throw PolicyError(
                        file: file, line: line(of: name + ":"),
                        message: "filter '\(name)' uses unknown filter '\(next)'")
                }
                try visit(next, path + [name])
            }
        }
        for name in filters.keys.sorted() { try visit(name, []) }
    }

    /// Checks against a directory and the server: every linked DN exists, and no package assigns a client whose
    /// major.minor is newer than the server's (upgrade the server first).
    /// Checks what the files alone cannot: every linked container exists in `directory` (when one is given),
    /// and no package is newer than the server.
    public func validate(against directory: DirectorySnapshot?, serverVersion: String, folder: String) throws {
        let known = directory?.knownContainers
        let linksPath = (folder as NSString).appendingPathComponent("links.yaml")
        for container in links.containers
        where !container.dn.hasPrefix("site:") && known.map({ !$0.contains(DN.normalised(container.dn)) }) == true {
            throw PolicyError(
                file: linksPath, message: "links to '\(container.dn)', which is not a container in the directory")
        }
        let server = ClientVersion(serverVersion)
        for policy in policies.values.sorted(by: { $0.id < $1.id }) {
            for package in [policy.user.package, policy.computer.package].compactMap({ $0 }) {
                for version in [package.version, package.rollout?.previousVersion].compactMap({ $0 }) {
                    guard let client = ClientVersion(version) else {
                        throw PolicyError(
                            file: origins[policy.id]?.file ?? folder,
                            message: "policy '\(policy.id)': '\(version)' is not a version such as 1.2.0")
                    }
                    if let server, client.isNewer(than: server) {
                        throw PolicyError(
                            file: origins[policy.id]?.file ?? folder,
                            message:
                                "policy '\(policy.id)' assigns client \(version), newer than the server's \(serverVersion): upgrade the server first"
                        )
                    }
                }
            }
        }
    }

    /// Decodes a YAML file's text, turning a decoding error into file:line:column with the rule broken.
    static func decode<T: Decodable>(_ text: String, path: String) throws -> T {
        let node: Node
        do {
            guard let composed = try Yams.compose(yaml: text) else {
                throw PolicyError(file: path, line: 1, message: "the file is empty")
            }
            node = composed
        } catch let error as YamlError {
            throw PolicyError(
                file: path, line: error.mark?.line, column: error.mark?.column,
                message: "malformed YAML: \(error.summary)")
        }
        do {
            return try YAMLDecoder().decode(T.self, from: node)
        } catch let error as DecodingError {
            let (codingPath, message) = describe(error)
            // An unknown key is pointed at itself, not at what it holds.
            let mark =
                (message.hasPrefix("unknown key") ? Self.key(at: codingPath, in: node) : nil)?.mark
                ?? Self.node(at: codingPath, in: node)?.mark ?? node.mark
            let place = codingPath.map(\.stringValue).joined(separator: ".")
            throw PolicyError(
                file: path, line: mark.map { $0.line }, column: mark.map { $0.column },
                message: (place.isEmpty ? "" : "\(place): ") + message)
        }
    }

    static func describe(_ error: DecodingError) -> ([any CodingKey], String) {
        switch error {
        case let .keyNotFound(key, context): (context.codingPath, "'\(key.stringValue)' is missing")
        case let .typeMismatch(type, context): (context.codingPath, "must be \(type)")
        case let .valueNotFound(type, context): (context.codingPath, "must be \(type)")
        case let .dataCorrupted(context): (context.codingPath, context.debugDescription)
        @unknown default: ([], "\(error)")
        }
    }

    /// The key node that ends `path`.
    static func key(at path: [any CodingKey], in root: Node) -> Node? {
        guard let last = path.last, case let .mapping(mapping)? = node(at: Array(path.dropLast()), in: root) else {
            return nil
        }
        return mapping.first { $0.key.string == last.stringValue }?.key
    }

    /// The deepest node along `path`, for its line and column.
    static func node(at path: [any CodingKey], in root: Node) -> Node? {
        var current = root
        for key in path {
            if let index = key.intValue, case let .sequence(sequence) = current, index < sequence.count {
                current = sequence[index]
            } else if case let .mapping(mapping) = current,
                let next = mapping.first(where: { $0.key.string == key.stringValue })
            {
                current = next.value
            } else {
                if case let .mapping(mapping) = current,
                    let keyNode = mapping.first(where: { $0.key.string == key.stringValue })?.key
                {
                    return keyNode
                }
                return current
            }
        }
        return current
    }
}

extension YamlError {
    var mark: Mark? {
        switch self {
        case let .scanner(_, _, mark, _), let .parser(_, _, mark, _), let .composer(_, _, mark, _): mark
        default: nil
        }
    }

    var summary: String {
        switch self {
        case let .scanner(_, problem, _, _), let .parser(_, problem, _, _), let .composer(_, problem, _, _): problem
        default: "\(self)"
        }
    }
}

/// A client or server version; only major.minor matter for compatibility.
struct ClientVersion: Comparable {
    let parts: [Int]
    init?(_ text: String) {
        let parts = text.split(separator: ".").map { Int($0) }
        guard parts.count >= 2, parts.count <= 4, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
        self.parts = parts.compactMap { $0 }
    }
    func isNewer(than server: ClientVersion) -> Bool { (parts[0], parts[1]) > (server.parts[0], server.parts[1]) }
    static func < (a: Self, b: Self) -> Bool { a.parts.lexicographicallyPrecedes(b.parts) }
}
