import Dispatch
import Hummingbird
import Metrics
import Synchronization

/// Hummingbird's request metrics (the same names and dimensions as its `MetricsMiddleware`: `hb.requests`,
/// `http.server.request.duration`, `hb.request.errors`, `http.server.active_requests`), recorded when the handler
/// returns its response rather than after the body is written. Hummingbird's wraps every body in a closure to
/// time its writing, which costs each answer held in one buffer its single write of head and body: the head went
/// out alone (2.25 write calls per board answer, 1.27 without it). The duration therefore ends when the handler
/// returns, before any byte is written, and a streamed body (an event stream, a CSV export) leaves the active
/// requests then: open streams are not counted in them.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private let cache: Cache

    /// Records into `factory`: the application's registry, which `GET /metrics` shows.
    init(factory: any MetricsFactory) { cache = Cache(factory: factory) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let started = DispatchTime.now().uptimeNanoseconds
        let method = Self.label(request.method)
        let active = cache.active(method)
        active.increment()
        defer { active.decrement() }
        do {
            let response = try await next(request, context)
            let metrics = cache.endpoint(.init(context.endpointPath ?? "Unknown", method, response.status))
            metrics.requests.increment()
            metrics.duration.recordNanoseconds(DispatchTime.now().uptimeNanoseconds - started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            let metrics = cache.endpoint(.init(context.endpointPath ?? "NotFound", method, status))
            metrics.requests.increment()
            metrics.errors.increment()
            throw error
        }
    }

    /// The method as a label: one of HTTP's own, or `_OTHER` (as OpenTelemetry names it), so that a method outside
    /// them (the HTTP/1 parser refuses most) never adds metrics of its own.
    static func label(_ method: HTTPRequest.Method) -> String {
        knownMethods.contains(method) ? method.rawValue : "_OTHER"
    }

    private static var knownMethods: Set<HTTPRequest.Method> {
        [.get, .head, .post, .put, .delete, .patch, .options, .connect, .trace]
    }

    /// The metric objects per method and per route, method and status: made once, not looked up in the
    /// metrics factory on every request.
    final class Cache: Sendable {
        struct EndpointKey: Hashable {
            let route: String
            let method: String
            let status: HTTPResponse.Status
            init(_ route: String, _ method: String, _ status: HTTPResponse.Status) {
                (self.route, self.method, self.status) = (route, method, status)
            }
        }

        struct Endpoint: Sendable {
            let requests: Counter
            let duration: Metrics.Timer
            let errors: Counter

            init(_ key: EndpointKey, factory: any MetricsFactory) {
                let labels = [
                    ("http.route", key.route), ("http.request.method", key.method),
                    ("http.response.status_code", String(key.status.code)),
                ]
                requests = Counter(label: "hb.requests", dimensions: labels, factory: factory)
                duration = Metrics.Timer(
                    label: "http.server.request.duration", dimensions: labels, preferredDisplayUnit: .seconds,
                    factory: factory)
                errors = Counter(
                    label: "hb.request.errors",
                    dimensions: [
                        ("http.route", key.route), ("http.request.method", key.method),
                        ("error.type", String(key.status.code)),
                    ], factory: factory)
            }
        }

        private let factory: any MetricsFactory
        private let endpoints = Mutex<[EndpointKey: Endpoint]>([:])
        private let actives = Mutex<[String: Meter]>([:])

        init(factory: any MetricsFactory) { self.factory = factory }

        func endpoint(_ key: EndpointKey) -> Endpoint {
            endpoints.withLock { known in
                if let endpoint = known[key] { return endpoint }
                let endpoint = Endpoint(key, factory: factory)
                known[key] = endpoint
                return endpoint
            }
        }

        func active(_ method: String) -> Meter {
            actives.withLock { known in
                if let meter = known[method] { return meter }
                let meter = Meter(
                    label: "http.server.active_requests", dimensions: [("http.request.method", method)],
                    factory: factory)
                known[method] = meter
                return meter
            }
        }
    }
}
