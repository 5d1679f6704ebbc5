/// A paged search (RFC 2696) as an `AsyncSequence` of entries: one page is held at a time, and the next page
/// is requested only when the consumer reaches the end of the current one, so memory does not grow with the
/// size of the directory. The connection is held for the whole search and returned when it ends.
public struct LDAPSearchResults: AsyncSequence, Sendable {
    public typealias Element = LDAPEntry

    struct Request: Sendable {
        let base: String
        let scope: LDAPScope
        let filter: String
        let attributes: [String]
        let pageSize: Int32
    }

    let client: LDAPClient
    let request: Request

    public func makeAsyncIterator() -> Iterator { Iterator(state: SearchState(client: client, request: request)) }

    public struct Iterator: AsyncIteratorProtocol {
        let state: SearchState
        public mutating func next() async throws -> LDAPEntry? { try await state.next() }
    }

    /// Reference state, so that an abandoned iterator still returns its connection (in deinit).
    final class SearchState: @unchecked Sendable {
        let client: LDAPClient
        let request: Request
        private var connection: LDAPConnection?
        private var page: [LDAPEntry] = []
        private var index = 0
        private var cookie: [UInt8]?
        private var started = false
        private var finished = false
        private(set) var pagesFetched = 0

        init(client: LDAPClient, request: Request) {
            self.client = client
            self.request = request
        }

        deinit {
            // Abandoned mid-search: the server still holds the paged search, so close rather than reuse.
            if let connection {
                let pool = client.searchPool
                Task { await pool.release(connection, reusable: false) }
            }
        }

        func next() async throws -> LDAPEntry? {
            while index >= page.count {
                if finished || (started && cookie == nil) {
                    await finish(reusable: true)
                    return nil
                }
                try await fetchPage()
            }
            defer { index += 1 }
            return page[index]
        }

        private func fetchPage() async throws {
            let request = self.request, cookie = self.cookie
            let firstPage = !started
            started = true
            var attempt = 0
            while true {
                attempt += 1
                if connection == nil { connection = try await client.searchPool.lease() }
                let current = connection!
                do {
                    let result = try await client.threadPool.runIfActive {
                        try current.search(base: request.base, scope: request.scope, filter: request.filter,
                                           attributes: request.attributes, pageSize: request.pageSize, cookie: cookie)
                    }
                    page = result.entries
                    index = 0
                    self.cookie = result.cookie.flatMap { $0.isEmpty ? nil : $0 }
                    pagesFetched += 1
                    return
                } catch let error as LDAPError {
                    await finish(reusable: !error.isConnectionFailure && error.kind != .tls)
                    // Only the first page may be retried: later pages' cookies belong to the lost connection.
                    guard error.isConnectionFailure, firstPage, attempt < 2 else { throw error }
                }
            }
        }

        private func finish(reusable: Bool) async {
            finished = true
            page = []
            index = 0
            if let connection {
                self.connection = nil
                await client.searchPool.release(connection, reusable: reusable)
            }
        }
    }
}
