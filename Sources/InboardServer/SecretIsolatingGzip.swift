import CompressNIO
import NIOCore

/// gzip (RFC 1952) whose length does not depend on the text of chosen byte ranges, the secrets. Compressing a
/// secret beside text someone else controls lets that person read it from the compressed length, a guess at a
/// time (BREACH); so each secret is written as it is, in stored deflate blocks (RFC 1951 §3.2.4), and each run
/// of text between secrets is compressed by a deflate stream reset before it. No match then reaches into a
/// secret, from before or after it, and no Huffman table counts its bytes: the length shows only how long each
/// secret is, as the uncompressed answer's length does.
enum SecretIsolatingGzip {
    enum Failure: Error { case badSecretRanges, zlib(CompressNIOError) }

    /// `body` gzipped, the bytes in `secrets` (in order, not overlapping, inside `body`) stored as they are.
    static func compress(_ body: ByteBuffer, keepingApart secrets: [Range<Int>]) throws -> ByteBuffer {
        let bytes = body.readableBytesView
        var previousEnd = 0
        for secret in secrets {
            guard secret.lowerBound >= previousEnd, secret.upperBound <= bytes.count else {
                throw Failure.badSecretRanges
            }
            previousEnd = secret.upperBound
        }
        var out = ByteBufferAllocator().buffer(capacity: bytes.count / 4 + 64)
        // Magic, deflate, no flags, no time, no extra flags, unknown OS.
        out.writeBytes([0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF])
        do {
            let compressor = try ZlibCompressor(algorithm: .deflate)
            var position = 0
            for secret in secrets {
                try compressRun(bytes, position..<secret.lowerBound, with: compressor, into: &out)
                writeStored(
                    bytes[bytes.startIndex + secret.lowerBound..<bytes.startIndex + secret.upperBound], into: &out)
                position = secret.upperBound
            }
            try compressRun(bytes, position..<bytes.count, with: compressor, into: &out)
        } catch let error as CompressNIOError {
            throw Failure.zlib(error)
        }
        // The last block: stored, empty, final.
        out.writeBytes([0x01, 0x00, 0x00, 0xFF, 0xFF])
        out.writeInteger(CRC32.checksum(bytes), endianness: .little)
        out.writeInteger(UInt32(truncatingIfNeeded: bytes.count), endianness: .little)
        return out
    }

    /// One run of text, deflated from an empty window and ended on a byte boundary (a sync flush), so the blocks
    /// that follow start clean.
    private static func compressRun(
        _ bytes: ByteBufferView, _ run: Range<Int>, with compressor: ZlibCompressor, into out: inout ByteBuffer
    ) throws {
        guard !run.isEmpty else { return }
        try compressor.reset()
        var input = ByteBuffer(bytes: bytes[bytes.startIndex + run.lowerBound..<bytes.startIndex + run.upperBound])
        out.reserveCapacity(minimumWritableBytes: compressor.maxSize(from: input))
        try compressor.deflate(from: &input, to: &out, flush: .sync)
        // All read and all written: zlib stops with output pending only when the buffer is full, and the next
        // reset would drop it.
        guard input.readableBytes == 0, out.writableBytes > 0 else { throw Failure.zlib(.bufferOverflow) }
    }

    /// Stored blocks (not final) of at most 65,535 bytes each: a header byte, the length, its complement, the bytes.
    private static func writeStored(_ secret: ByteBufferView.SubSequence, into out: inout ByteBuffer) {
        var start = secret.startIndex
        repeat {
            let end = min(start + 0xFFFF, secret.endIndex)
            let length = UInt16(end - start)
            out.writeInteger(UInt8(0))
            out.writeInteger(length, endianness: .little)
            out.writeInteger(~length, endianness: .little)
            out.writeBytes(secret[start..<end])
            start = end
        } while start < secret.endIndex
    }
}
