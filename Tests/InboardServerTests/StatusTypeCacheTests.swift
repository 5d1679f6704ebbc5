import InboardStore
import InboardTestSupport
import Testing

@testable import InboardServer

/// What the status type cache keeps: one entry per type, under its exact name, and nothing else.
@Suite struct StatusTypeCacheTests {
    @Test func onlyATypeNamedByItsExactNameIsKept() async throws {
        let stores = InMemoryStores()
        let cache = StatusTypeCache()
        #expect(try await cache.read("iN", from: stores)?.type.name == "In")
        #expect(cache.cached("iN") == nil, "a case variant was kept")
        let type = try #require(try await cache.read("In", from: stores))
        #expect(cache.cached("In") == type)
        #expect(try await cache.read(String(type.type.id), from: stores) == type)
        #expect(cache.cached(String(type.type.id)) == nil, "an id was kept")
        #expect(try await cache.read("Nap", from: stores) == nil)
        #expect(cache.cached("Nap") == nil)
    }
}
