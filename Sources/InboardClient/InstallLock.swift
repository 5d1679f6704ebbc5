import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One install at a time per install folder (the agent at logon, a second session's agent, a manual `update`):
/// they share `current.next`, a download's `.partial` and `versions/`.
enum InstallLock {
    static func holding<T>(in folder: String, _ body: () async throws -> T) async throws -> T {
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let descriptor = open(folder + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ClientError.local("cannot open \(folder)/.lock") }
        defer { close(descriptor) }  // releases the lock
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            throw ClientError.local("another inboard-client is changing \(folder) right now: try again in a moment")
        }
        return try await body()
    }
}
