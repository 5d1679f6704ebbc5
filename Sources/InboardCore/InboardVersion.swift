/// Inboard's four-part version, `major.minor.build.revision`, as in the product it replaces.
/// Shorter forms ("1", "1.2", "1.2.3") are accepted and padded with zeros.
public struct InboardVersion: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public var major: Int
    public var minor: Int
    public var build: Int
    public var revision: Int

    public init(_ major: Int, _ minor: Int, _ build: Int = 0, _ revision: Int = 0) {
        self.major = major
        self.minor = minor
        self.build = build
        self.revision = revision
    }

    public init?(_ text: String) {
        let parts = text.trimmingWhitespace().split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var numbers: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.allSatisfy(\.isASCIIDigit), part.count <= 9, let n = Int(part) else { return nil }
            numbers.append(n)
        }
        numbers += Array(repeating: 0, count: 4 - numbers.count)
        self.init(numbers[0], numbers[1], numbers[2], numbers[3])
    }

    /// This build of Inboard.
    public static let current = InboardVersion(1, 0, 0, 0)

    public var description: String { "\(major).\(minor).\(build).\(revision)" }
    public var majorMinor: String { "\(major).\(minor)" }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.major, lhs.minor, lhs.build, lhs.revision) < (rhs.major, rhs.minor, rhs.build, rhs.revision)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let version = InboardVersion(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a version like 1.2.3.4"))
        }
        self = version
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    func trimmingWhitespace() -> Substring {
        let s = self[...]
        guard let first = s.firstIndex(where: { !$0.isWhitespace }) else { return s[s.endIndex...] }
        let last = s.lastIndex(where: { !$0.isWhitespace })!
        return s[first...last]
    }
}
