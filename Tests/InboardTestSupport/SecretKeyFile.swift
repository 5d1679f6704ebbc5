import Foundation

public struct KeyFileNotWritten: Error, CustomStringConvertible {
    public let path: String
    public var description: String { "could not write the test key file \(path)" }
}

/// A key file with 32 random bytes (mode 0600) in the temporary folder, removed by the caller.
public func makeSecretKeyFile() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("inboard-key-\(UUID().uuidString)").path
    let bytes = Data((0..<32).map { _ in UInt8.random(in: 0...255) })
    guard FileManager.default.createFile(atPath: path, contents: bytes, attributes: [.posixPermissions: 0o600])
    else { throw KeyFileNotWritten(path: path) }
    return path
}
