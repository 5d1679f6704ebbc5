import NIOCore

/// How board answers are sent gzipped. Any audience's may be: a board with hidden notes also holds text any
/// colleague controls (their own note), and over TLS the length of compressed text that mixes a secret with an
/// attacker's guesses gives the secret away a byte at a time (BREACH); so the text of every hidden note is kept
/// apart, stored as it is (`SecretIsolatingGzip`), and the answer's length tells nobody more than the JSON's
/// length does. A board with hidden notes removed has nothing to keep apart.
enum BoardCompressionRule {
    /// `json` gzipped, the text at `hiddenNotes` stored apart; nil if zlib fails (the JSON is then sent as it is).
    static func gzip(_ json: ByteBuffer, hiddenNotes: [Range<Int>]) -> ByteBuffer? {
        try? SecretIsolatingGzip.compress(json, keepingApart: hiddenNotes)
    }

    /// A cached page gzipped, with the validator of those bytes (a strong ETag names one encoding, RFC 9110
    /// §8.8.3; and servers whose zlib compresses differently give different tags).
    static func gzipped(_ page: BoardCache.Page) -> BoardCache.Page? {
        guard let body = gzip(page.body, hiddenNotes: page.hiddenNotes) else { return nil }
        return BoardCache.Page(body: body, tag: BoardCache.tag(body), next: page.next, contentEncoding: "gzip")
    }
}
