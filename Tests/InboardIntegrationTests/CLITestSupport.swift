import Foundation
import InboardTestSupport

/// Runs `inboard` with only the given INBOARD_* settings (plus PATH), as an operator would.
func runInboard(_ arguments: [String], environment: [String: String]) async throws -> (
    status: Int32, output: String, error: String
) {
    // No environment file: an installed Inboard's /etc/inboard/inboard.env must not leak into a test.
    var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "INBOARD_ENV_FILE": "/dev/null"]
    env.merge(environment) { $1 }
    return try await runProgram(try inboardBinary(), arguments, environment: env)
}

/// A key file with 32 random bytes, removed by the caller.
func makeSecretKeyFile() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("inboard-key-\(UUID().uuidString)").path
    var bytes = [UInt8](repeating: 0, count: 32)
    for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
    FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600])
    return path
}
