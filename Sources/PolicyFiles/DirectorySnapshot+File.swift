import Foundation
import PolicyEngine

extension DirectorySnapshot {
    /// Reads a snapshot file (`inboard policy --directory FILE`): JSON or LDIF.
    public static func load(file path: String) throws -> DirectorySnapshot {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PolicyError(file: path, message: "cannot read the directory snapshot")
        }
        return try parse(data, file: path)
    }
}
