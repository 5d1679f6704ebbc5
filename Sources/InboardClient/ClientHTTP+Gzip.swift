import Foundation
import CompressNIO
import NIOCore

extension ClientHTTP.Answer {
    /// The answer with a gzipped body inflated (the server gzips the board for a client that asks), within
    /// `limit` bytes: a small compressed answer can inflate to gigabytes, so the limit holds after inflating too.
    func inflated(limit: Int) throws -> Self {
        guard header("Content-Encoding")?.trimmingCharacters(in: .whitespaces).lowercased() == "gzip" else {
            return self
        }
        var compressed = ByteBuffer(bytes: body)
        var plain: ByteBuffer
        do {
            plain = try compressed.decompress(with: .gzip(), maxSize: limit)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw ClientError.answerTooLarge(limit: limit)
        } catch {
            throw ClientError.local("the server's gzipped answer could not be read (\(error))")
        }
        var answer = self
        answer.headers.removeAll { $0.name.lowercased() == "content-encoding" }
        answer.body = plain.readBytes(length: plain.readableBytes) ?? []
        return answer
    }
}
