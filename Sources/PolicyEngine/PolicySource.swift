import Foundation

/// The text of a policy folder (`policies/*.yaml` and `links.yaml`), read once; the only file reading of a
/// policy set. `PolicySet.parse` works on it without I/O, and its `version` (a digest of every file) lets a
/// server reuse the set it parsed until a file changes.
public struct PolicySource: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        public let path: String
        public let text: String
    }

    public let policies: [File]
    public let links: File
    /// A digest of every input file's name and text: the version stamped on every manifest.
    public let version: String

    public init(policies: [File], links: File) {
        self.policies = policies
        self.links = links
        let names = policies.map { ($0.path as NSString).lastPathComponent + "\n" + $0.text + "\n" }.joined()
        version = PolicyDigest.hex(names + "links.yaml\n" + links.text).prefix(16).description
    }

    public static func read(folder: String) throws -> PolicySource {
        let policyFolder = (folder as NSString).appendingPathComponent("policies")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: policyFolder) else {
            throw PolicyError(file: policyFolder, message: "no policies folder (expected \(policyFolder)/*.yaml)")
        }
        let policies = try names.sorted().filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.map {
            try readFile((policyFolder as NSString).appendingPathComponent($0))
        }
        return PolicySource(policies: policies, links: try readFile((folder as NSString).appendingPathComponent("links.yaml")))
    }

    static func readFile(_ path: String) throws -> File {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw PolicyError(file: path, message: "cannot read the file")
        }
        return File(path: path, text: text)
    }
}
