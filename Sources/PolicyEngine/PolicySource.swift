import Foundation

/// The text of a policy folder (`policies/*.yaml` and `links.yaml`), read once by `PolicyFiles`. `PolicySet.parse` works on it without I/O, and its `version` (a digest of every file) lets a
/// server reuse the set it parsed until a file changes.
public struct PolicySource: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        public let path: String
        public let text: String

        public init(path: String, text: String) {
            self.path = path
            self.text = text
        }
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
}
