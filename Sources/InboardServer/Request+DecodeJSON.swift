import Foundation
import Hummingbird

/// A request body whose top-level fields are known, so that an unknown one (a typo such as `retrunAt`)
/// is refused with its name instead of being silently ignored.
protocol KnownFields {
    static var fields: Set<String> { get }
}

extension Request {
    /// Decodes a JSON body; an unknown field, a wrong type or a missing field is a 400 naming it. An empty
    /// body reads as `{}` when `emptyMeansDefaults` (requests whose fields are all optional).
    func decodeJSON<T: Decodable>(as type: T.Type, context: AppRequestContext, emptyMeansDefaults: Bool = false)
        async throws -> T
    {
        var body = try await self.body.collect(upTo: 1 << 20)
        let blank = body.readableBytesView.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 })
        // A cross-site form can send text/plain without a preflight; only JSON's own type is taken.
        if !(blank && emptyMeansDefaults), !Self.isJSON(headers[.contentType]) {
            throw APIError(
                .unsupportedMediaType, code: "unsupported_media_type",
                message: "send the body as JSON with 'Content-Type: application/json'")
        }
        if emptyMeansDefaults, blank {
            body = ByteBuffer(string: "{}")
        }
        if let known = T.self as? any KnownFields.Type,
            let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
            let unknown = object.keys.sorted().first(where: { !known.fields.contains($0) })
        {
            throw APIError(
                .badRequest, code: "bad_request",
                message:
                    "field '\(unknown)' is unknown; the fields are: \(known.fields.sorted().joined(separator: ", "))")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = ISO8601DateFormatter().date(from: text) ?? Self.fractionalISO.date(from: text) { return date }
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text)' is not an ISO 8601 date such as 2026-11-25T14:00:00Z")
        }
        do { return try decoder.decode(T.self, from: Data(buffer: body)) } catch let error as DecodingError {
            throw APIError(.badRequest, code: "bad_request", message: Self.describe(error))
        } catch {
            throw APIError(.badRequest, code: "bad_request", message: "the body is not JSON")
        }
    }

    static func isJSON(_ contentType: String?) -> Bool {
        guard let type = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        else { return false }
        return type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json"))
    }

    nonisolated(unsafe) static let fractionalISO: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case let .keyNotFound(key, context):
            return "field '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))' is missing"
        case let .typeMismatch(type, context), let .valueNotFound(type, context):
            return
                "field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' must be \(type == Date.self ? "an ISO 8601 date" : "\(type)")"
        case let .dataCorrupted(context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "the body is not valid JSON" : "field '\(path)': \(context.debugDescription)"
        @unknown default:
            return "the body does not match"
        }
    }
}
