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
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        handle = FileHandle(forWritingAtPath: path)
        handle?.seekToEndOfFile()
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
