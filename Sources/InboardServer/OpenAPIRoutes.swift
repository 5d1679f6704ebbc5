/// The API's routes as openapi.yaml lists them (path templates and their methods), read from the embedded
/// document: one list, so that a 405's `Allow` names exactly what the spec promises.
struct OpenAPIRoutes: Sendable {
    static let documented = OpenAPIRoutes(spec: embeddedOpenAPISpec)

    struct Route: Sendable {
        let segments: [Substring]
        let methods: [String]
    }
    let routes: [Route]

    /// Reads `paths:` as this repository writes it: a path at two spaces (`  /api/v1/people/{id}:`), its methods
    /// at four (`    get:`).
    init(spec: String) {
        var routes: [Route] = []
        var inPaths = false
        var path: Substring?
        var methods: [String] = []
        func close() {
            if let path, !methods.isEmpty { routes.append(Route(segments: Self.segments(path), methods: methods)) }
            methods = []
        }
        for line in spec.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty {
                if inPaths { close() }
                inPaths = line == "paths:"
                path = nil
            } else if inPaths, line.hasPrefix("  /"), line.hasSuffix(":") {
                close()
                path = line.dropFirst(2).dropLast()
            } else if inPaths, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let name = line.dropFirst(4).dropLast()
                if ["get", "put", "post", "delete", "patch"].contains(name) { methods.append(name.uppercased()) }
            }
        }
        if inPaths { close() }
        self.routes = routes
    }

    /// The methods the spec lists for `path`, or nil when no documented path matches it (`{name}` matches any
    /// one segment).
    func methods(forPath path: String) -> [String]? {
        let asked = Self.segments(Substring(path))
        let matching = routes.filter { route in
            route.segments.count == asked.count
                && zip(route.segments, asked).allSatisfy { template, segment in
                    template == segment || (template.hasPrefix("{") && template.hasSuffix("}") && !segment.isEmpty)
                }
        }
        return matching.isEmpty ? nil : Array(Set(matching.flatMap(\.methods))).sorted()
    }

    private static func segments(_ path: Substring) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { $0 }
    }
}
