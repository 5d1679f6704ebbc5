/// Validation of filters administrators type (user filter, group filter): a malformed one is refused here,
/// with the position of the problem, rather than by the server mid-sync.
extension LDAPFilter {
    public init(parsing text: String) throws(LDAPFilterSyntaxError) {
        var parser = FilterParser(Array(text.utf8))
        parser.skipSpaces()
        try parser.parseFilter()
        parser.skipSpaces()
        guard parser.atEnd else { throw parser.error("unexpected text after the filter") }
        self = .raw(text.trimmingCharacters(in: .whitespaces))
    }
}

public struct LDAPFilterSyntaxError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public let offset: Int
    public var description: String { "invalid LDAP filter at character \(offset + 1): \(message)" }
}

private struct FilterParser {
    let bytes: [UInt8]
    var i = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { i >= bytes.count }
    func error(_ message: String) -> LDAPFilterSyntaxError {
        LDAPFilterSyntaxError(message: message, offset: min(i, bytes.count))
    }
    mutating func skipSpaces() { while !atEnd, bytes[i] == 0x20 { i += 1 } }

    mutating func expect(_ c: UInt8, _ what: String) throws(LDAPFilterSyntaxError) {
        guard !atEnd, bytes[i] == c else { throw error("expected \(what)") }
        i += 1
    }

    mutating func parseFilter() throws(LDAPFilterSyntaxError) {
        try expect(UInt8(ascii: "("), "'('")
        guard !atEnd else { throw error("unterminated filter") }
        switch bytes[i] {
        case UInt8(ascii: "&"), UInt8(ascii: "|"):
            i += 1
            var count = 0
            skipSpaces()
            while !atEnd, bytes[i] == UInt8(ascii: "(") { try parseFilter(); count += 1; skipSpaces() }
            guard count > 0 else { throw error("'&' and '|' need at least one filter") }
        case UInt8(ascii: "!"):
            i += 1
            skipSpaces()
            try parseFilter()
            skipSpaces()
        default:
            try parseItem()
        }
        try expect(UInt8(ascii: ")"), "')'")
    }

    mutating func parseItem() throws(LDAPFilterSyntaxError) {
        let start = i
        while !atEnd, isAttributeChar(bytes[i]) { i += 1 }
        let hasAttribute = i > start
        // extensible: attr[:dn][:rule]:=value or :[dn:]rule:=value
        if !atEnd, bytes[i] == UInt8(ascii: ":") {
            while !atEnd, bytes[i] != UInt8(ascii: "=") {
                guard bytes[i] == UInt8(ascii: ":") || isAttributeChar(bytes[i]) else {
                    throw error("bad character in matching rule")
                }
                i += 1
            }
            guard i > start + 1, bytes[i - 1] == UInt8(ascii: ":") else { throw error("extensible match needs ':='") }
            i += 1
            try parseValue(allowStar: false)
            return
        }
        guard hasAttribute else { throw error("expected an attribute name") }
        guard !atEnd else { throw error("unterminated filter") }
        switch bytes[i] {
        case UInt8(ascii: "="): i += 1
        case UInt8(ascii: ">"), UInt8(ascii: "<"), UInt8(ascii: "~"):
            i += 1
            try expect(UInt8(ascii: "="), "'=' after the comparison")
        default: throw error("expected '=', '>=', '<=' or '~='")
        }
        try parseValue(allowStar: true)
    }

    mutating func parseValue(allowStar: Bool) throws(LDAPFilterSyntaxError) {
        while !atEnd, bytes[i] != UInt8(ascii: ")") {
            switch bytes[i] {
            case UInt8(ascii: "("): throw error("'(' in a value must be escaped as \\28")
            case UInt8(ascii: "*") where !allowStar: throw error("'*' in a value must be escaped as \\2a")
            case UInt8(ascii: "\\"):
                guard i + 2 < bytes.count, isHex(bytes[i + 1]), isHex(bytes[i + 2]) else {
                    throw error("'\\' must start a two-digit hex escape")
                }
                i += 3
            case 0: throw error("NUL in a value must be escaped as \\00")
            default: i += 1
            }
        }
    }

    func isAttributeChar(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "-")
            || c == UInt8(ascii: ".") || c == UInt8(ascii: ";")
    }

    func isHex(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66) }
}

import Foundation
