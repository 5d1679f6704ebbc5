import Foundation

/// A request's `Accept-Encoding` (RFC 9110 §12.5.3), read for the one coding Inboard sends: gzip.
enum AcceptEncoding {
    /// Whether the client takes gzip: `gzip` or `x-gzip` listed with a weight above zero, or `*` above zero when
    /// gzip is not listed itself. No header: sent as it is (Inboard's choice; RFC 9110 would allow any coding,
    /// and a client that cannot inflate often sends none).
    static func allowsGzip(_ values: [String]) -> Bool {
        var gzip: Bool?, wildcard: Bool?
        for value in values {
            for member in value.split(separator: ",") {
                let parts = member.split(separator: ";")
                guard let first = parts.first else { continue }
                let coding = first.trimmingCharacters(in: .whitespaces).lowercased()
                let accepted = weight(parts.dropFirst()) > 0
                // x-gzip is the same coding (RFC 9110 §8.4.1.3): either name with a weight above zero will do.
                if coding == "gzip" || coding == "x-gzip" { gzip = (gzip ?? false) || accepted }
                if coding == "*" { wildcard = accepted }
            }
        }
        return gzip ?? wildcard ?? false
    }

    /// The `q` parameter (1 when absent; 0 when it is not a number, so a garbled weight never turns gzip on).
    private static func weight(_ parameters: ArraySlice<Substring>) -> Double {
        for parameter in parameters {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "q" else { continue }
            return Double(pair[1].trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 1
    }
}
