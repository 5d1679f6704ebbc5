import Foundation

/// Settings of the real services started by `scripts/services`, from the environment, or else from the
/// `.local/env` file that script writes, so that `swift test` works in a shell that did not source it.
public enum TestEnvironment {
    public static let values: [String: String] = {
        var values = localEnvFile()
        for (key, value) in ProcessInfo.processInfo.environment where key.hasPrefix("INBOARD_") { values[key] = value }
        return values
    }()

    /// A required setting; a missing one fails the test with the fix, rather than skipping it silently.
    public static func require(_ name: String) throws -> String {
        guard let value = values[name], !value.isEmpty else {
            throw MissingService(variable: name)
        }
        return value
    }

    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    private static func localEnvFile() -> [String: String] {
        let dir =
            ProcessInfo.processInfo.environment["INBOARD_LOCAL_DIR"]
            ?? repositoryRoot.appendingPathComponent(".local").path
        guard let text = try? String(contentsOfFile: dir + "/env", encoding: .utf8) else { return [:] }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard line.hasPrefix("export "), let eq = line.firstIndex(of: "=") else { continue }
            let key = String(line[line.index(line.startIndex, offsetBy: 7)..<eq])
            values[key] = String(line[line.index(after: eq)...]).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        }
        return values
    }
}

public struct MissingService: Error, CustomStringConvertible {
    public let variable: String
    public var description: String {
        "\(variable) is not set: start the test services with 'scripts/services start' (or run scripts/test)"
    }
}
