import Foundation

enum FileSystem {
    /// Writes through a temporary file renamed into place, created with `mode` (so that a secret is never
    /// readable by others, not even for a moment); `user` and `group` are applied when they exist and we may
    /// (root, for the service account that reads the file).
    static func writeAtomically(_ data: Data, to path: String, mode: Int, user: String? = nil, group: String? = nil)
        throws
    {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = path + ".partial"
        try? FileManager.default.removeItem(atPath: temporary)
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: mode])
        else {
            throw CommandFailure(message: "cannot write \(path): check that this user may write \(folder)")
        }
        if geteuid() == 0 {
            let uid = user.flatMap { getpwnam($0) }.map { $0.pointee.pw_uid } ?? 0
            let gid = group.flatMap { getgrnam($0) }.map { $0.pointee.gr_gid } ?? 0
            chown(temporary, uid, gid)
        }
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw CommandFailure(message: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
