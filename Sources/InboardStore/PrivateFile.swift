import Foundation

/// Files that hold secrets or backups, written so that no one else can read them at any moment: created with
/// O_EXCL|O_NOFOLLOW at their final mode (a planted symlink or an existing file makes the write fail instead of
/// following it), owned before the first byte is written, synced, then moved into place.
public enum PrivateFile {
    /// Writes `data` to `path` through `path.partial`. With `replacing` false an existing `path` is an error.
    public static func write(
        _ data: Data, to path: String, mode: mode_t, user: String? = nil, group: String? = nil, replacing: Bool
    ) throws {
        let partial = path + ".partial"
        try create(partial, mode: mode, user: user, group: group) { descriptor in
            try data.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    guard written > 0 else { throw PrivateFileError.system("write \(partial)", errno) }
                    offset += written
                }
            }
        }
        try place(partial, at: path, replacing: replacing)
    }

    /// Creates `path` exclusively (never through a link someone put there) and hands it to `body` open, for a
    /// program that writes into it (pg_dump on its standard output): nothing reopens the file by name.
    public static func writing(_ path: String, mode: mode_t, _ body: (FileHandle) async throws -> Void) async throws {
        let descriptor = try openExclusively(path, mode: mode)
        var outcome: Result<Void, any Error> = .success(())
        do { try await body(FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)) } catch {
            outcome = .failure(error)
        }
        try seal(descriptor, path) { try outcome.get() }
    }

    /// Moves a finished `partial` to `path`; without `replacing`, never over an existing file.
    public static func place(_ partial: String, at path: String, replacing: Bool) throws {
        if replacing {
            guard rename(partial, path) == 0 else { throw PrivateFileError.system("rename to \(path)", errno) }
        } else {
            // link(2) refuses an existing name, where rename(2) would replace it.
            guard link(partial, path) == 0 else {
                let code = errno
                unlink(partial)
                throw code == EEXIST ? PrivateFileError.exists(path) : PrivateFileError.system("create \(path)", code)
            }
            unlink(partial)
        }
    }

    private static func create(
        _ path: String, mode: mode_t, user: String?, group: String?,
        _ body: (Int32) throws -> Void
    ) throws {
        let descriptor = try openExclusively(path, mode: mode)
        try seal(descriptor, path) {
            if geteuid() == 0, user != nil || group != nil {
                let uid = user.flatMap { getpwnam($0) }.map { $0.pointee.pw_uid } ?? 0
                let gid = group.flatMap { getgrnam($0) }.map { $0.pointee.gr_gid } ?? 0
                guard fchown(descriptor, uid, gid) == 0 else { throw PrivateFileError.system("chown \(path)", errno) }
            }
            try body(descriptor)
        }
    }

    /// Runs `body` on the open file, then syncs and closes it; on any failure it is closed and removed.
    private static func seal(_ descriptor: Int32, _ path: String, _ body: () throws -> Void) throws {
        var closed = false
        defer { if !closed { close(descriptor) } }
        do {
            try body()
            guard fsync(descriptor) == 0 else { throw PrivateFileError.system("sync \(path)", errno) }
            closed = true
            guard close(descriptor) == 0 else { throw PrivateFileError.system("close \(path)", errno) }
        } catch {
            unlink(path)
            throw error
        }
    }
}

extension PrivateFile {
    /// A new file at `path` with `mode`, opened for writing; a leftover from an interrupted run is removed first,
    /// and a link put in its place makes this fail rather than write through it.
    static func openExclusively(_ path: String, mode: mode_t) throws -> Int32 {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw PrivateFileError.system("create the folder \(folder)", EACCES)
        }
        unlink(path)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw PrivateFileError.system("create \(path)", errno) }
        guard fchmod(descriptor, mode) == 0 else {
            close(descriptor)
            throw PrivateFileError.system("chmod \(path)", errno)
        }
        return descriptor
    }
}

public enum PrivateFileError: Error, CustomStringConvertible, Equatable {
    case exists(String)
    case system(String, Int32)

    public var description: String {
        switch self {
        case let .exists(path): return "\(path) already exists: choose another name (it is never overwritten)"
        case let .system(action, code): return "cannot \(action): \(String(cString: strerror(code)))"
        }
    }
}
