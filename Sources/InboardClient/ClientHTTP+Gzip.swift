import CompressNIO
import Foundation
import NIOCore

extension ClientHTTP.Answer {
    /// The answer with a gzipped body inflated (the server gzips the board for a client that asks), within
    /// `limit` bytes: a small compressed answer can inflate to gigabytes, so the limit holds after inflating too.
    /// An error answer that cannot be inflated (a balancer's page, labelled gzip) is left as it came: its status
    /// says what happened.
    func inflated(limit: Int) throws -> Self {
        guard header("Content-Encoding")?.trimmingCharacters(in: .whitespaces).lowercased() == "gzip" else {
            return self
        }
        let plain: [UInt8]
        do { plain = try Self.gunzip(body, limit: limit) } catch {
            guard (200..<300).contains(status) else { return self }
            throw error
        }
        var answer = self
        answer.headers.removeAll { $0.name.lowercased() == "content-encoding" }
        answer.body = plain
        return answer
    }

    /// `compressed` inflated; its trailer's length (ISIZE, RFC 1952) must match, so a cut answer is an error.
    static func gunzip(_ compressed: [UInt8], limit: Int) throws(ClientError) -> [UInt8] {
        var input = ByteBuffer(bytes: compressed)
        let plain: [UInt8]
        do {
            var output = try input.decompress(with: .gzip(), maxSize: limit)
            plain = output.readBytes(length: output.readableBytes) ?? []
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw ClientError.answerTooLarge(limit: limit)
        } catch {
            throw ClientError.local("the server's gzipped answer could not be read (\(error))")
        }
        let trailer = compressed.suffix(4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard compressed.count >= 18, trailer == UInt32(truncatingIfNeeded: plain.count) else {
            throw ClientError.local("the server's gzipped answer was cut short")
        }
        return plain
    }
}
