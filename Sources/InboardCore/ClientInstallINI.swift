/// `ClientInstall.ini`, in the old product's format (CRLF lines under `[Startup Defaults]`): how a client
/// finds its server, which version it runs and how it is installed. One definition for the policy build,
/// `inboard setup` (which write it) and `inboard-client` (which reads it).
public enum ClientInstallINI {
    public static let section = "Startup Defaults"

    public static func text(address: String, clientVersion: String, installMode: String) -> String {
        "[\(section)]\r\nWebServiceAddress=\(address)\r\nClientVersion=\(clientVersion)\r\nInstallMode=\(installMode)\r\n"
    }

    /// The `key=value` lines of the `[Startup Defaults]` section (keys as written; CRLF or LF; `;` comments).
    public static func values(in text: String) -> [String: String] {
        var values: [String: String] = [:]
        var inSection = false
        for raw in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = raw.trimming([" ", "\t", "\r", "\u{FEFF}"])
            if line.isEmpty || line.hasPrefix(";") || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") {
                inSection = line.dropFirst().dropLast().caseInsensitiveEquals(section) && line.hasSuffix("]")
                continue
            }
            guard inSection, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimming([" ", "\t"])
            values[key] = line[line.index(after: equals)...].trimming([" ", "\t"])
        }
        return values
    }

    /// The server address a client should use, if the file names one.
    public static func webServiceAddress(in text: String) -> String? {
        values(in: text).first { $0.key.caseInsensitiveEquals("WebServiceAddress") }.map(\.value)
            .flatMap { $0.isEmpty ? nil : $0 }
    }
}

extension StringProtocol {
    func caseInsensitiveEquals(_ other: some StringProtocol) -> Bool { lowercased() == other.lowercased() }
    func trimming(_ set: Set<Character>) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
