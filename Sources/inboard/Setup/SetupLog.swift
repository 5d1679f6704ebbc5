import Foundation

/// What setup says, on the terminal and appended to the setup log with a timestamp. Never a secret: callers
/// pass URLs through `DatabaseURL.description`, which masks the password.
final class SetupLog: @unchecked Sendable {  // used by one task at a time; FileHandle writes whole lines
    let path: String
    private var handle: FileHandle?

    init(path: String) {
        self.path = path
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        handle = Self.openForAppending(path)
    }

    /// Only a plain file with one name: setup runs as root, and a link put in the log's place (symbolic or hard,
    /// by whoever else can write in its folder) must not make root append to the file it points to.
    static func openForAppending(_ path: String) -> FileHandle? {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return nil }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_nlink == 1 else {
            close(descriptor)
            return nil
        }
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    deinit { try? handle?.close() }

    var isWritable: Bool { handle != nil }

    func say(_ line: String) {
        Terminal.line(line)
        record(line)
    }

    /// Into the log only.
    func record(_ line: String) {
        let stamp = ISO8601DateFormatter().string(from: Date())
        handle?.write(Data("\(stamp) \(line)\n".utf8))
    }
}
