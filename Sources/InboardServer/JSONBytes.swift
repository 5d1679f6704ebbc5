import Foundation
import InboardCore

/// JSON written straight into bytes, for the answers that are large and frequent (a board page holds 1,000
/// people): the same text APIJSON's encoder writes (sorted keys, slashes unescaped, dates as ISO 8601 seconds),
/// which a test holds it to, at a small part of its cost.
struct JSONBytes {
    private(set) var bytes: [UInt8] = []
    /// Where the values written with `member(_:secret:)` lie in `bytes` (their text inside the quotes), in order.
    private(set) var secrets: [Range<Int>] = []
    /// Whether the next member or element needs a comma before it.
    private var needsComma = false

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); needsComma = false }
    mutating func endObject() { bytes.append(UInt8(ascii: "}")); needsComma = true }
    mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); needsComma = false }
    mutating func endArray() { bytes.append(UInt8(ascii: "]")); needsComma = true }

    /// A member's name; its value follows. Callers write members in sorted order, as the encoder does.
    mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        needsComma = false
    }

    mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var start = 0
            for (index, byte) in utf8.enumerated()
            where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                bytes.append(contentsOf: utf8[start..<index])
                Self.escape(byte, into: &bytes)
                start = index + 1
            }
            bytes.append(contentsOf: utf8[start...])
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    mutating func number(_ value: Int64) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
        needsComma = true
    }

    mutating func bool(_ value: Bool) {
        separate()
        let text: StaticString = value ? "true" : "false"
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
        needsComma = true
    }

    mutating func date(_ value: Date) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        ISO8601Seconds.append(value, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// One member, name and value. Optional ones are left out when nil, as the encoder's synthesized
    /// `encodeIfPresent` does.
    mutating func member(_ name: StaticString, _ value: String?) {
        if let value { key(name); string(value) }
    }

    /// A member whose value not every reader may see: written as any other, its place kept in `secrets` so a
    /// compressor can keep it apart (`SecretIsolatingGzip`).
    mutating func member(_ name: StaticString, secret value: String?) {
        guard let value else { return }
        key(name)
        let start = bytes.count + 1
        string(value)
        secrets.append(start..<(bytes.count - 1))
    }

    mutating func member(_ name: StaticString, _ value: Date?) {
        if let value { key(name); date(value) }
    }

    mutating func member(_ name: StaticString, _ value: Bool) { key(name); bool(value) }

    mutating func member(_ name: StaticString, _ value: Int64) { key(name); number(value) }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private static func escape(_ byte: UInt8, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        default:
            let hex = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: [
                UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)],
            ])
        }
    }
}
