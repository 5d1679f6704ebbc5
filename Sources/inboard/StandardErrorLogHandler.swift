#if canImport(Glibc)
    import Glibc
#endif
import Foundation
import Logging

/// Log lines on standard error in swift-log's StreamLogHandler format ("TIME LEVEL LABEL: key=value [SOURCE]
/// message"), with the metadata formatted when a line is written, not each time a key is set: the server sets
/// request metadata on every request and writes a line only for some (StreamLogHandler re-formatted all of it on
/// every set, a few per cent of a busy server's time). Control characters in messages and values are escaped,
/// so nothing a caller sends can forge a line.
struct StandardErrorLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    private static let output = NSLock()

    init(
        label: String, level: Logger.Level, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider
    ) {
        self.label = label
        self.logLevel = level
        self.metadataProvider = metadataProvider
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let explicit = event.metadata { all.merge(explicit) { $1 } }
        if let error = event.error {
            all["error.message"] = "\(error)"
            all["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        let pairs = all.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.oneLine("\($0.value)"))" }
            .joined(separator: " ")
        let line =
            "\(Self.timestamp()) \(event.level) \(label):\(pairs.isEmpty ? "" : " " + pairs) [\(event.source)] "
            + Self.oneLine("\(event.message)") + "\n"
        let bytes = Array(line.utf8)
        Self.output.withLock {  // whole lines between threads; a short write is continued
            bytes.withUnsafeBytes { buffer in
                var done = 0
                while done < buffer.count {
                    let written = write(STDERR_FILENO, buffer.baseAddress! + done, buffer.count - done)
                    if written > 0 { done += written } else if written < 0, errno == EINTR { continue } else { break }
                }
            }
        }
    }

    /// A value someone else wrote (a username, a directory's message) cannot start a line of its own.
    static func oneLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20 || c.value == 0x7F: out += String(format: "\\u{%02x}", c.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [Int8](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
