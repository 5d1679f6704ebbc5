import NIOCore

/// Appends rows in PostgreSQL's COPY text format: tab between columns, `\N` for NULL, backslash escapes
/// for backslash, tab, newline and carriage return, bytea as `\\x` + hex. PostgreSQL text cannot hold a NUL
/// byte, and COPY would refuse the whole batch for one: callers drop such values with a warning
/// (`StorableValues`), and one that still arrives here is written as NULL rather than fail the sync.
struct CopyRowEncoder {
    private(set) var buffer: ByteBuffer
    private var columnStarted = false

    init(capacity: Int = 1 << 18) { buffer = ByteBufferAllocator().buffer(capacity: capacity) }

    mutating func text(_ value: String?) {
        separate()
        guard var text = value else { buffer.writeStaticString("\\N"); return }
        text.withUTF8 { bytes in
            guard !bytes.contains(0) else { buffer.writeStaticString("\\N"); return }
            var start = 0
            for (index, byte) in bytes.enumerated() {
                let escaped: StaticString? =
                    switch byte {
                    case UInt8(ascii: "\\"): "\\\\"
                    case UInt8(ascii: "\t"): "\\t"
                    case UInt8(ascii: "\n"): "\\n"
                    case UInt8(ascii: "\r"): "\\r"
                    default: nil
                    }
                guard let escaped else { continue }
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start..<index]))
                buffer.writeStaticString(escaped)
                start = index + 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start...]))
        }
    }

    mutating func bool(_ value: Bool) {
        separate()
        buffer.writeStaticString(value ? "t" : "f")
    }

    mutating func bytea(_ value: [UInt8]?) {
        separate()
        guard let value else { buffer.writeStaticString("\\N"); return }
        buffer.writeStaticString("\\\\x")
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        for byte in value {
            buffer.writeInteger(digits[Int(byte >> 4)])
            buffer.writeInteger(digits[Int(byte & 0x0f)])
        }
    }

    mutating func endRow() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        columnStarted = false
    }

    /// Hands over what was written so far and starts a new buffer.
    mutating func take() -> ByteBuffer {
        let full = buffer
        buffer = ByteBufferAllocator().buffer(capacity: full.capacity)
        return full
    }

    var readableBytes: Int { buffer.readableBytes }

    private mutating func separate() {
        if columnStarted { buffer.writeInteger(UInt8(ascii: "\t")) }
        columnStarted = true
    }
}
