#if canImport(Glibc)
    import Glibc
#endif
import Foundation
import InboardCore
import PolicyEngine

extension ManifestBuilder {
    /// What a write did: files written anew, and files unchanged since the previous output, which are
    /// hard-linked into the new one (the same file, untouched).
    public struct WriteOutcome: Sendable, Equatable {
        public var written = 0
        public var reused = 0
        public var total: Int { written + reused }
        public init(written: Int = 0, reused: Int = 0) {
            self.written = written
            self.reused = reused
        }
    }

    /// Writes, into a new folder renamed over `out` at the end (a reader sees the old output or the new one,
    /// never a mix; a failure leaves `out` as it was):
    /// - `manifests/DIGEST.json`: each distinct manifest body once, named by its SHA-256 (never changes);
    /// - `users/XX.json`, `computers/XX.json`: 64 index shards per kind, by a hash of the name, each mapping
    ///   a name to its DN and manifest digest (creating files is most of the write: fewer, larger shards);
    /// - `client-install/POLICY/RING/ClientInstall.ini`;
    /// - `index.json`: counts and a SHA-256 per file.
    /// A target's manifest is its shard plus the body it names (`lookup`), or one request to the server.
    public func write(_ built: IndexedManifests, to out: String) throws -> WriteOutcome {
        let fm = FileManager.default
        let parent = (out as NSString).deletingLastPathComponent
        let staging =
            (parent.isEmpty ? "." : parent) + "/." + (out as NSString).lastPathComponent
            + ".building-\(ProcessInfo.processInfo.processIdentifier)"
        try? fm.removeItem(atPath: staging)
        do {
            let previous = Self.previousDigests(out)
            var files: [String: String] = [:]
            var outcome = WriteOutcome()
            /// Links the previous output's file when its digest is the same, else writes it.
            func put(_ relative: String, _ data: Data, digest: String? = nil) throws {
                let digest = digest ?? PolicyDigest.hex(data)
                files[relative] = digest
                if previous[relative] == digest, link(out + "/" + relative, staging + "/" + relative) == 0 {
                    outcome.reused += 1
                } else {
                    try Self.writeFile(staging + "/" + relative, data)
                    outcome.written += 1
                }
            }
            for folder in ["users", "computers", "manifests"] {
                try fm.createDirectory(atPath: staging + "/" + folder, withIntermediateDirectories: true)
            }
            for (digest, data) in built.bodies.sorted(by: { $0.key < $1.key }) {
                try put(Self.bodyPath(digest), data, digest: digest)
            }
            var shards: [String: [IndexedManifests.Entry]] = [:]
            for entry in built.targets {
                shards[Self.shardPath(name: entry.name, kind: entry.kind), default: []].append(entry)
            }
            for (path, entries) in shards.sorted(by: { $0.key < $1.key }) { try put(path, Self.shardJSON(entries)) }
            for (relative, text) in clientInstallFiles(for: built) {
                try fm.createDirectory(
                    atPath: staging + "/" + (relative as NSString).deletingLastPathComponent,
                    withIntermediateDirectories: true)
                try put(relative, Data(text.utf8))
            }
            let document: [String: Any] = [
                "policySetVersion": set.version, "asOf": ISO8601DateFormatter().string(from: asOf),
                "users": built.targets.count { $0.kind == .user },
                "computers": built.targets.count { $0.kind == .computer },
                "manifests": built.bodies.count, "files": files,
            ]
            try Self.writeFile(
                staging + "/index.json",
                try JSONSerialization.data(
                    withJSONObject: document, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]))
            let old = fm.fileExists(atPath: out) ? staging + ".old" : nil
            if let old { try fm.moveItem(atPath: out, toPath: old) }
            try fm.moveItem(atPath: staging, toPath: out)
            if let old { try? fm.removeItem(atPath: old) }
            return outcome
        } catch {
            try? fm.removeItem(atPath: staging)
            throw error
        }
    }

    /// `{"NAME":{"dn":"…","manifest":"DIGEST"},…}` sorted by name, written by hand in bytes: Foundation's
    /// JSONSerialization took seconds for 110,000 small dictionaries.
    static func shardJSON(_ entries: [IndexedManifests.Entry]) -> Data {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(entries.count * 160)
        for (index, entry) in entries.sorted(by: { $0.name < $1.name }).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendJSONString(entry.name, to: &out)
            out.append(contentsOf: #":{"dn":"#.utf8)
            appendJSONString(entry.dn, to: &out)
            out.append(contentsOf: #","manifest":""#.utf8)
            out.append(contentsOf: entry.digest.utf8)
            out.append(contentsOf: #""}"#.utf8)
        }
        out.append(UInt8(ascii: "}"))
        return Data(out)
    }

    /// A JSON string literal (RFC 8259: quote, backslash and control characters escaped; UTF-8 kept).
    static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(byte)
            case ..<0x20: out.append(contentsOf: ("\\u00" + CollectionOfOne(byte).lowercaseHex).utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A target's manifest from a written output: its index shard, then the body it names.
    public static func lookup(name: String, kind: TargetKind, in out: String) throws -> Manifest? {
        let shardFile = out + "/" + shardPath(name: name, kind: kind)
        guard let data = FileManager.default.contents(atPath: shardFile) else { return nil }
        guard let shard = try JSONSerialization.jsonObject(with: data) as? [String: [String: String]],
            let entry = shard[name], let digest = entry["manifest"]
        else { return nil }
        let body = try JSONDecoder().decode(
            ManifestBody.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/" + bodyPath(digest))))
        return Manifest(body: body, name: name, dn: entry["dn"] ?? "")
    }

    /// Index shards per kind.
    static let shardCount = 64

    /// `users/3f.json`: the shard of a name, by a hash of it (00 to 3f).
    public static func shardPath(name: String, kind: TargetKind) -> String {
        let shard = Int(PolicyDigest.bytes(Data(name.utf8))[0]) % shardCount
        return (kind == .user ? "users/" : "computers/") + String(format: "%02x", shard) + ".json"
    }

    /// `manifests/ABCDEF….json`.
    public static func bodyPath(_ digest: String) -> String { "manifests/" + digest + ".json" }

    /// The digests of the previous output's files (its index.json), empty when there is none.
    static func previousDigests(_ out: String) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: out + "/index.json"),
            let index = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return index["files"] as? [String: String] ?? [:]
    }

    /// One file, written with plain POSIX calls: the staging folder's rename already makes the whole output
    /// appear at once.
    static func writeFile(_ path: String, _ data: Data) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw PolicyError(file: path, message: "cannot write: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == data.count else {
            throw PolicyError(file: path, message: "cannot write: \(String(cString: strerror(errno)))")
        }
    }
}
