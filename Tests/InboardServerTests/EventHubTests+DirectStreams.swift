import HTTPTypes
@testable import InboardStore
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Testing

@testable import InboardServer

/// Streams whose frames the hub writes to their connections itself, as every stream the server opens: one change
/// reaches them in several hand-offs to the loops (`EventHub.dispatchEvery`), started while the rest are picked.
extension EventHubTests {
    /// Two changes to more streams than three hand-offs hold, on two loops: each stream gets both frames, once, in
    /// order, with the hidden note only where its viewer may read it (the subject, delegates).
    @Test func everyDirectStreamGetsEachFrameOnceInOrderAcrossHandOffs() async throws {
        try await withHub { hub, _, _ in
            let loops = [NIOAsyncTestingEventLoop(), NIOAsyncTestingEventLoop()]
            // Each stream's subscription is kept, as its response keeps it: one dropped ends the stream.
            var streams: [(channel: NIOAsyncTestingChannel, viewer: Person, subscription: EventHub.Subscription)] = []
            for index in 0..<(EventHub.dispatchEvery * 3 + 7) {
                // Ten streams a person (the most one may hold): the first ten are the subject's own.
                let viewer = Person(
                    id: index < 10 ? 7 : 1_000 + Int64(index / 10), username: "p\(index / 10)", displayName: "P",
                    email: nil, department: nil, role: (index / 10) % 4 == 1 ? .delegate : .user, active: true,
                    source: "directory", directoryID: nil)
                let channel = try await Self.streamChannel(on: loops[index % 2])
                let connection = StreamConnection(channel, responseIsChunked: true)
                let subscription = try #require(try await hub.subscribe(viewer, connection: connection))
                await hub.startDirectDelivery(subscription.id, skipping: [])
                streams.append((channel, viewer, subscription))
            }
            let after = try await hub.position().after
            await hub.deliverNew(committed: [
                StoredEvent(
                    id: after + 1, kind: "status", recipientID: nil, payload: Self.entry(7, note: "hidden-one")),
                StoredEvent(id: after + 2, kind: "status", recipientID: nil, payload: Self.entry(8, note: "plain-two")),
            ])
            for loop in loops { await loop.run() }
            for (channel, viewer, _) in streams {
                let wire = try await Self.wire(of: channel)
                let first = try #require(wire.range(of: #""id":7"#), "stream of \(viewer.id): \(wire)")
                let second = try #require(wire.range(of: #""id":8"#), "stream of \(viewer.id): \(wire)")
                #expect(first.lowerBound < second.lowerBound)
                #expect(wire.components(separatedBy: "event: status").count == 3, "\(wire)")
                #expect(wire.contains("hidden-one") == (viewer.id == 7 || viewer.role == .delegate))
                #expect(wire.contains("plain-two"))
            }
            await hub.finishAll()
            for loop in loops { try await loop.shutdownGracefully() }
        }
    }

    /// A direct stream whose client stopped reading (its connection takes no more: not writable) is ended once
    /// `streamBuffer` frames wait on it, keeping them, oldest first, for a client that resumes; nothing is written
    /// after them, and the stream keeps its person's slot until its writer ends.
    @Test func aDirectStreamWhoseClientStoppedReadingIsEndedKeepingWhatWasWritten() async throws {
        try await withHub(streamBuffer: 5) { hub, db, cat in
            let loop = NIOAsyncTestingEventLoop()
            let channel = try await Self.streamChannel(on: loop)
            let subscription = try #require(
                try await hub.subscribe(cat, connection: StreamConnection(channel, responseIsChunked: true)))
            await hub.startDirectDelivery(subscription.id, skipping: [])
            channel.isWritable = false  // the client stopped reading: its socket's buffers are full
            for index in 0..<8 { try await commitNote(db, to: cat, "n\(index)") }
            await hub.deliverNew()
            await loop.run()
            // The loop tells the hub (a task of its own) that the stream fell behind: waited for, not timed (the
            // deadline only stops a broken hub from hanging the run).
            let endedBy = ContinuousClock.now.advanced(by: .seconds(10))
            while await hub.subscriberCount > 0, ContinuousClock.now < endedBy {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(await hub.subscriberCount == 0, "the stream that fell behind is still open")
            let wire = try await Self.wire(of: channel)
            #expect(wire.components(separatedBy: "event: note").count == 6, "five frames kept: \(wire)")
            let note = { (index: Int) in #""n\#(index)""# }  // the note's body, quoted
            let kept = (0..<5).compactMap { wire.range(of: note($0))?.lowerBound }
            #expect(kept.count == 5 && kept == kept.sorted(), "the oldest five, in order: \(wire)")
            #expect((5..<8).allSatisfy { !wire.contains(note($0)) }, "written past the limit: \(wire)")
            try await expectSlotHeldUntilWriterEnds(subscription, of: cat, in: hub)
            await hub.finishAll()
            try await loop.shutdownGracefully()
        }
    }

    /// A stream's channel on `loop`, its response head written (through the HTTP/1 encoder, as the server writes it)
    /// and read: what is read from it afterwards is frames.
    static func streamChannel(on loop: NIOAsyncTestingEventLoop) async throws -> NIOAsyncTestingChannel {
        let channel = NIOAsyncTestingChannel(loop: loop)
        try await channel.pipeline.addHandler(HTTPResponseEncoder())
        try await channel.pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
        try await channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        _ = try await channel.readOutbound(as: IOData.self)
        return channel
    }

    /// What was written to `channel` since it was last read, as text.
    static func wire(of channel: NIOAsyncTestingChannel) async throws -> String {
        var wire = ""
        while let part = try await channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let bytes) = part { wire += String(buffer: bytes) }
        }
        return wire
    }

    /// A board entry as a status event stores it, its note hidden when `note` starts with "hidden".
    static func entry(_ id: Int64, note: String) -> String {
        """
        {"id":\(id),"username":"u\(id)","displayName":"U","active":true,"status":{"type":"Lunch","typeId":3,\
        "colour":"#123456","presence":"out","note":"\(note)","noteHidden":\(note.hasPrefix("hidden")),\
        "setAt":1700000000,"autoAway":false}}
        """
    }
}
