import Foundation
import Testing

@testable import InboardClient

/// Whose queued change is whose: a change goes only with the session it was queued under or a later session of
/// the same person, and a logout leaves only what its maker's next login can send.
@Suite struct OfflineQueueTests {
    func withQueue(_ body: (OfflineQueue) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("queue-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try body(OfflineQueue(config: ClientConfig(environment: ["INBOARD_CLIENT_CONFIG_DIR": folder])))
    }

    func change(_ type: String, owner: String?, token: String?, hidden: Bool = false, daysAgo: Double = 0)
        -> OfflineQueue.Change
    {
        OfflineQueue.Change(
            body: ["type": type, "noteHidden": hidden], madeAt: Date().addingTimeInterval(-daysAgo * 86_400),
            owner: owner, session: OfflineQueue.session(of: token))
    }

    @Test func aChangeBelongsToItsSessionAndItsMakersLaterSessionsOnly() {
        let bobs = change("Out", owner: "bob", token: "bob-1")
        #expect(bobs.belongs(toSession: OfflineQueue.session(of: "bob-1"), account: nil))
        #expect(bobs.belongs(toSession: OfflineQueue.session(of: "bob-2"), account: "BOB"))
        #expect(!bobs.belongs(toSession: OfflineQueue.session(of: "carol-1"), account: "carol"))
        #expect(!bobs.belongs(toSession: OfflineQueue.session(of: "carol-1"), account: nil))
        // Queued under a login an older client made (maker unknown): its own session only.
        let unknown = change("Out", owner: nil, token: "bob-1")
        #expect(unknown.belongs(toSession: OfflineQueue.session(of: "bob-1"), account: "bob"))
        #expect(!unknown.belongs(toSession: OfflineQueue.session(of: "bob-2"), account: "bob"))
        // Written by an older client (neither mark): whoever is logged in, as that client did.
        #expect(change("Out", owner: nil, token: nil).belongs(toSession: "x", account: "carol"))
        #expect(OfflineQueue.session(of: "bob-1")?.contains("bob") == false, "the token is not copied")
    }

    @Test func aLogoutKeepsOnlyWhatItsMakersNextLoginCanSend() throws {
        try withQueue { queue in
            try queue.append(change("Out", owner: "bob", token: "bob-1"))
            try queue.append(change("Lunch", owner: "bob", token: "bob-1", hidden: true))
            try queue.append(change("Remote", owner: nil, token: "bob-1"))
            try queue.append(change("In", owner: "carol", token: "carol-1"))
            let left = queue.logout("bob-1", account: nil)
            #expect(left.kept == 1 && left.hidden == 1 && left.discarded == 1, "\(left)")
            #expect(queue.changes.map(\.type) == ["Out", "In"], "Carol's change is not Bob's to drop")
            // The same queue at a logout whose maker is known: changes with no owner (this session's, an older
            // client's) are named and kept, so nobody else's login sends them.
            try queue.append(change("Remote", owner: nil, token: "bob-2"))
            try queue.append(change("Away", owner: nil, token: nil))
            #expect(queue.logout("bob-2", account: "bob").kept == 3)
            #expect(queue.changes.filter { $0.owner == "bob" }.count == 3)
            #expect(queue.changes.last?.type == "Away")
            #expect(!queue.changes.last!.belongs(toSession: OfflineQueue.session(of: "carol-1"), account: "carol"))
        }
    }

    /// A change the server can no longer apply (made more than 7 days ago, a day allowed for the clock) is not
    /// kept: whoever's it is, it goes at the next logout (or flush) here, so a person who never comes back to
    /// this machine does not leave their note on it for ever.
    @Test func aChangeTooOldToApplyIsNotKept() throws {
        try withQueue { queue in
            try queue.append(change("Out", owner: "bob", token: "bob-1", daysAgo: 9))
            try queue.append(change("Lunch", owner: "bob", token: "bob-1", daysAgo: 7.5))
            try queue.append(change("In", owner: "carol", token: "carol-1"))
            let carols = queue.logout("carol-1", account: "carol")
            #expect(carols.kept == 1 && carols.expired == 0, "\(carols)")
            #expect(queue.changes.map(\.type) == ["Lunch", "In"], "Bob's nine-day-old change went at Carol's logout")
            // Bob's own logout says so when one of his goes.
            try queue.append(change("Remote", owner: "bob", token: "bob-2", daysAgo: 8.5))
            let bobs = queue.logout("bob-2", account: "bob")
            #expect(bobs.expired == 1 && bobs.kept == 1, "\(bobs)")
        }
        #expect(OfflineQueue.keptFor > 7 * 86_400, "never shorter than the server's own limit")
    }
}
