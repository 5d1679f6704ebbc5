import Foundation
import LDAPKit

/// How one Inboard field gets its value: a directory attribute (`mail`), a template (`{givenName} {sn}`)
/// or a constant (`="Acme"`).
public enum AttributeMapping: Sendable, Hashable, CustomStringConvertible {
    case attribute(String)
    case template([TemplatePart])
    case constant(String)

    public enum TemplatePart: Sendable, Hashable {
        case text(String)
        case attribute(String)
    }

    public init(parsing text: String) throws(MappingSyntaxError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("=") {
            var value = String(trimmed.dropFirst())
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            self = .constant(value)
        } else if trimmed.contains("{") || trimmed.contains("}") {
            self = .template(try Self.parseTemplate(trimmed))
        } else {
            guard Self.isAttributeName(trimmed) else {
                throw MappingSyntaxError(message: "'\(text)' is not an attribute name, a {template} or a =constant")
            }
            self = .attribute(trimmed)
        }
    }

    private static func parseTemplate(_ text: String) throws(MappingSyntaxError) -> [TemplatePart] {
        var parts: [TemplatePart] = []
        var literal = ""
        var rest = Substring(text)
        while let first = rest.first {
            rest = rest.dropFirst()
            if first == "}" { throw MappingSyntaxError(message: "'\(text)' has a '}' without its '{'") }
            guard first == "{" else { literal.append(first); continue }
            guard let close = rest.firstIndex(of: "}") else {
                throw MappingSyntaxError(message: "'\(text)' has a '{' that is never closed")
            }
            let name = String(rest[..<close]).trimmingCharacters(in: .whitespaces)
            guard isAttributeName(name) else {
                throw MappingSyntaxError(message: "'{\(name)}' in '\(text)' is not an attribute name")
            }
            if !literal.isEmpty { parts.append(.text(literal)); literal = "" }
            parts.append(.attribute(name))
            rest = rest[rest.index(after: close)...]
        }
        if !literal.isEmpty { parts.append(.text(literal)) }
        return parts
    }

    /// RFC 4512 descriptor or numeric OID.
    static func isAttributeName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !name.isEmpty else { return false }
        if CharacterSet.asciiLetters.contains(first) {
            return name.unicodeScalars.allSatisfy {
                CharacterSet.asciiLetters.contains($0) || ("0"..."9").contains($0) || $0 == "-"
            }
        }
        return name.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || $0 == "." }
    }

    /// The directory attributes this mapping reads.
    public var attributes: [String] {
        switch self {
        case let .attribute(name): [name]
        case let .template(parts): parts.compactMap { if case let .attribute(name) = $0 { name } else { nil } }
        case .constant: []
        }
    }

    /// The mapped text value for `entry`, nil when the directory has none (a template with every attribute missing).
    public func text(for entry: LDAPEntry) -> String? { text { entry.string($0) } }

    /// The mapped text value, each attribute's value read through `value` (nil: missing).
    func text(reading value: (String) -> String?) -> String? {
        switch self {
        case let .attribute(name):
            return value(name)
        case let .constant(constant):
            return constant
        case let .template(parts):
            var result = ""
            var found = false
            for part in parts {
                switch part {
                case let .text(text): result += text
                case let .attribute(name):
                    if let value = value(name) { result += value; found = true }
                }
            }
            return found ? result.trimmingCharacters(in: .whitespaces) : nil
        }
    }

    public var description: String {
        switch self {
        case let .attribute(name): name
        case let .constant(value): "=\(value)"
        case let .template(parts):
            parts.map { part in
                switch part {
                case let .text(text): text
                case let .attribute(name): "{\(name)}"
                }
            }.joined()
        }
    }
}

public struct MappingSyntaxError: Error, Sendable, CustomStringConvertible, Equatable {
    public let message: String
    public var description: String { message }
}

private extension CharacterSet {
    static let asciiLetters = CharacterSet(charactersIn: "a"..."z").union(CharacterSet(charactersIn: "A"..."Z"))
}
