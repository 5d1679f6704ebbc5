import Foundation
import InboardCore

extension EnvironmentFile {
    /// The file's values (none when it cannot be read).
    static func read(_ path: String) -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        return parse(text)
    }
}
