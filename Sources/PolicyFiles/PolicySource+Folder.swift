import Foundation
import PolicyEngine

/// Reading a policy folder: the file side of `PolicySet.parse`.
extension PolicySource {
    public static func read(folder: String) throws -> PolicySource {
        let policyFolder = (folder as NSString).appendingPathComponent("policies")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: policyFolder) else {
            throw PolicyError(file: policyFolder, message: "no policies folder (expected \(policyFolder)/*.yaml)")
        }
        let policies = try names.sorted().filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.map {
            try readFile((policyFolder as NSString).appendingPathComponent($0))
        }
        return PolicySource(
            policies: policies, links: try readFile((folder as NSString).appendingPathComponent("links.yaml")))
    }

    static func readFile(_ path: String) throws -> File {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw PolicyError(file: path, message: "cannot read the file")
        }
        return File(path: path, text: text)
    }
}

extension PolicySet {
    /// Reads and validates `folder`; every problem is a `PolicyError` with file, line and column.
    public static func load(folder: String) throws -> PolicySet {
        try parse(try PolicySource.read(folder: folder))
    }
}
