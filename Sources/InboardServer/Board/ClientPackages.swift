import Crypto
import Foundation
import InboardCore

/// The client packages an admin dropped into the package folder (`INBOARD_CLIENT_PACKAGE_DIR`), named
/// `inboard-client-VERSION-PLATFORM` (for example `inboard-client-1.0.2-linux-x86_64`), each with its SHA-256,
/// computed once per file content (size and modification time) and kept.
actor ClientPackages {
    struct File: Sendable, Equatable {
        let name: String
        let version: String
        let platform: String
        let size: Int
        let sha256: String
    }

    let folder: String
    private var digests: [String: (size: Int, modified: Date, sha256: String)] = [:]

    init(folder: String) { self.folder = folder }

    /// `inboard-client-1.0.2-linux-x86_64`: a version of 1 to 4 numbers and a platform of letters, digits,
    /// `_` and `-`. Anything else (a path, a dot file) is never served.
    static func parse(_ name: String) -> (version: String, platform: String)? {
        guard
            let match = name.wholeMatch(
                of: /inboard-client-([0-9]{1,9}(?:\.[0-9]{1,9}){0,3})-([a-z0-9_]+(?:-[a-z0-9_]+)*)/)
        else { return nil }
        return (String(match.1), String(match.2))
    }

    /// The files of `version`, one per platform; versions compare as numbers (a policy's `1.0.0` is the file
    /// `inboard-client-1.0.0.0-…`, as the README names them).
    func files(version: String) -> [File] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let wanted = InboardVersion(version)
        return names.sorted().compactMap { name in
            guard let parsed = Self.parse(name), let wanted, InboardVersion(parsed.version) == wanted else {
                return nil
            }
            return file(named: name)
        }
    }

    /// The file, with its digest, when the name is a package's and it is there.
    func file(named name: String) -> File? {
        guard let parsed = Self.parse(name) else { return nil }
        let path = folder + "/" + name
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            attributes[.type] as? FileAttributeType == .typeRegular,
            let size = (attributes[.size] as? NSNumber)?.intValue,
            let modified = attributes[.modificationDate] as? Date
        else { return nil }
        if let known = digests[name], known.size == size, known.modified == modified {
            return File(
                name: name, version: parsed.version, platform: parsed.platform, size: size, sha256: known.sha256)
        }
        guard let sha256 = Self.sha256(of: path) else { return nil }
        digests[name] = (size, modified, sha256)
        return File(name: name, version: parsed.version, platform: parsed.platform, size: size, sha256: sha256)
    }

    static func sha256(of path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().lowercaseHex
    }
}
