#if canImport(Glibc)
    import Glibc
#endif
import Foundation
import PolicyEngine

extension ManifestBuilder {
    /// Writes `out/users/XX/NAME.json`, `out/computers/XX/NAME.json` (see `path(of:)`), `out/client-install/POLICY/RING/ClientInstall.ini`
    /// and `out/index.json` (a SHA-256 per file), into a new folder renamed over `out` at the end: a reader sees
    /// the old output or the new one, never a mix; a failure leaves `out` as it was.
    /// What a write did: files written anew, and files unchanged since the previous output, which are
    /// hard-linked into the new one (the same file, untouched).
    public struct WriteOutcome: Sendable, Equatable {
        public var written = 0
        public var reused = 0
        public var total: Int { written + reused }
    }

    public func write(
        _ manifests: [Manifest], to out: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws -> WriteOutcome {
        let fm = FileManager.default
        let parent = (out as NSString).deletingLastPathComponent
        let staging =
            (parent.isEmpty ? "." : parent) + "/." + (out as NSString).lastPathComponent
            + ".building-\(ProcessInfo.processInfo.processIdentifier)"
        try? fm.removeItem(atPath: staging)
        for folder in ["users", "computers"] {
            try fm.createDirectory(atPath: staging + "/" + folder, withIntermediateDirectories: true)
        }
        do {
            // Manifests are encoded and written by several threads; each slot gets its file's path and digest.
            let paths = manifests.map(Self.path(of:))
            for folder in Set(paths.map { ($0 as NSString).deletingLastPathComponent }) {
                try fm.createDirectory(atPath: staging + "/" + folder, withIntermediateDirectories: true)
            }
            let digests = DigestSlots(count: manifests.count)
            let previous = Self.previousDigests(out)
            let workers = max(1, min(threads, manifests.count / 2000 + 1))
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                for index in stride(from: worker, to: manifests.count, by: workers) {
                    do {
                        let data = try encoder.encode(manifests[index])
                        let digest = PolicyDigest.hex(data)
                        // Unchanged since the last build: link the old file instead of writing it again.
                        if previous[paths[index]] == digest,
                            link(out + "/" + paths[index], staging + "/" + paths[index]) == 0
                        {
                            digests.store(digest, at: index, reused: true)
                        } else {
                            try Self.writeFile(staging + "/" + paths[index], data)
                            digests.store(digest, at: index, reused: false)
                        }
                    } catch {
                        digests.fail(error)
                    }
                }
            }
            if let error = digests.error { throw error }
            var index = Dictionary(uniqueKeysWithValues: zip(paths, digests.all))
            for (relative, text) in clientInstallFiles() {
                try fm.createDirectory(
                    atPath: staging + "/" + (relative as NSString).deletingLastPathComponent,
                    withIntermediateDirectories: true)
                let data = Data(text.utf8)
                try Self.writeFile(staging + "/" + relative, data)
                index[relative] = PolicyDigest.hex(data)
            }
            let document: [String: Any] = [
                "policySetVersion": set.version, "asOf": ISO8601DateFormatter().string(from: asOf), "files": index,
            ]
            try Self.writeFile(
                staging + "/index.json",
                try JSONSerialization.data(
                    withJSONObject: document, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]))
            let old = fm.fileExists(atPath: out) ? staging + ".old" : nil
            if let old { try fm.moveItem(atPath: out, toPath: old) }
            try fm.moveItem(atPath: staging, toPath: out)
            if let old { try? fm.removeItem(atPath: old) }
            let reused = digests.reusedCount
            return WriteOutcome(written: index.count - reused, reused: reused)
        } catch {
            try? fm.removeItem(atPath: staging)
            throw error
        }
    }

    /// The digests of the previous output's files (its index.json), empty when there is none.
    static func previousDigests(_ out: String) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: out + "/index.json"),
            let index = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return index["files"] as? [String: String] ?? [:]
    }

    /// One file, written with plain POSIX calls: Foundation's atomic write syncs each of 100,000 files, and
    /// the staging folder's rename already makes the whole output appear at once.
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

/// Digests written by index from several threads.
final class DigestSlots: @unchecked Sendable {
    private var slots: [String]
    private(set) var error: (any Error)?
    private(set) var reusedCount = 0
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: "", count: count) }
    func store(_ digest: String, at index: Int, reused: Bool) {
        lock.lock(); slots[index] = digest; if reused { reusedCount += 1 }; lock.unlock()
    }
    func fail(_ error: any Error) { lock.lock(); if self.error == nil { self.error = error }; lock.unlock() }
    var all: [String] { slots }
}
