/// A paged search (RFC 2696) as an `AsyncSequence` of entries: one page is held at a time, and the next page
/// is requested only when the consumer reaches the end of the current one, so memory does not grow with the
/// size of the directory. The connection is held for the whole search and returned when it ends.
public struct LDAPSearchResults: AsyncSequence, Sendable {
    public typealias Element = LDAPEntry

    typealias Request = LDAPConnection.SearchRequest

    let client: LDAPClient
    let request: Request

    public func makeAsyncIterator() -> Iterator { Iterator(state: SearchState(client: client, request: request)) }

    public struct Iterator: AsyncIteratorProtocol {
        let state: SearchState
        public mutating func next() async throws -> LDAPEntry? { try await state.next() }
    }

    /// A page's entries and the message ID of the next page, already requested (nil after the last page).
    typealias Page = (entries: [LDAPEntry], next: Int32?)

    /// Reference state, so that an abandoned iterator still returns its connection (in deinit). While the
    /// consumer works through one page, the next is already being fetched: at most two pages are in memory.
    final class SearchState: @unchecked Sendable {
        let client: LDAPClient
        let request: Request
        private var connection: LDAPConnection?
        private var page: [LDAPEntry] = []
        private var index = 0
        private var started = false
        private var prefetch: Task<Page, any Error>?

        init(client: LDAPClient, request: Request) {
            self.client = client
            self.request = request
        }

        deinit {
            // Abandoned mid-search: the server still holds the paged search, so close rather than reuse,
            // after any page being fetched on it has come back.
            if let connection {
                let pool = client.searchPool, pending = prefetch
                Task {
                    _ = try? await pending?.value
                    await pool.release(connection, reusable: false)
                }
            }
        }

        func next() async throws -> LDAPEntry? {
            while index >= page.count {
                let next: Page
                if let pending = prefetch {
                    prefetch = nil
                    do { next = try await pending.value } catch { try await fail(error, retry: false); continue }
                } else if !started {
                    started = true
                    next = try await firstPage()
                } else {
                    return nil
                }
                page = next.entries
                index = 0
                if let pending = next.next { startPrefetch(pending) } else { await releaseConnection(reusable: true) }
            }
            defer { index += 1 }
            return page[index]
        }

        /// The first page may be retried once on a new connection: nothing has been delivered yet.
        private func firstPage() async throws -> Page {
            var attempt = 0
            while true {
                attempt += 1
                do {
                    if connection == nil { connection = try await client.searchPool.lease() }
                    let current = connection!, request = self.request
                    return try await client.threadPool.runIfActive { try current.searchPage(request, pending: nil) }
                } catch {
                    try await fail(error, retry: attempt < 2)
                }
            }
        }

        private func startPrefetch(_ pending: Int32) {
            let current = connection!, request = self.request, threadPool = client.threadPool
            prefetch = Task { try await threadPool.runIfActive { try current.searchPage(request, pending: pending) } }
        }

        /// Gives the connection back and rethrows, unless `retry` allows one more attempt after a connection
        /// failure. A connection that failed (a timeout included) is closed, never reused; when none could be
        /// leased at all, the pool has already tried every server.
        private func fail(_ error: any Error, retry: Bool) async throws {
            page = []
            index = 0
            guard let ldapError = error as? LDAPError, ldapError.isConnectionFailure else {
                await releaseConnection(reusable: (error as? LDAPError).map { $0.kind != .tls } ?? false)
                throw error
            }
            guard let connection else { throw error }
            self.connection = nil
            let worthRetrying = await client.searchPool.discard(connection, after: ldapError)
            guard retry, worthRetrying else { throw error }
        }

        private func releaseConnection(reusable: Bool) async {
            guard let connection else { return }
            self.connection = nil
            await client.searchPool.release(connection, reusable: reusable)
        }
    }
}
