import Foundation

/// The built `inboard` executable, next to the test bundle (swift build puts both in .build/<config>/).
public func inboardBinary() throws -> String {
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("inboard")
            .path,
        TestEnvironment.repositoryRoot.appendingPathComponent(".build/debug/inboard").path,
    ]
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        throw ProgramFailed("the inboard executable is not built: run 'swift build' first (looked in \(candidates))")
    }
    return found
}

/// The built `inboard-client` executable, beside `inboard`.
public func inboardClientBinary() throws -> String {
    let path = URL(fileURLWithPath: try inboardBinary()).deletingLastPathComponent().appendingPathComponent(
        "inboard-client"
    ).path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw ProgramFailed("inboard-client is not built: run 'swift build' first (looked for \(path))")
    }
    return path
}
