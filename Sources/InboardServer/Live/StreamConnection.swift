import Foundation
import NIOCore
import NIOHTTPTypes

/// A live stream's connection, which the hub writes frames to directly, on the connection's event loop. One
/// change then reaches a thousand streams as one task per event loop, each writing to its connections in turn,
/// instead of a thousand stream tasks each waking and hopping to its loop through the response's writer (measured
/// in one A/B on 2 cores: the server's CPU for one change to 1,000 streams 40.5 ms before, 29.6 ms after; p99
/// 37.1 ms before, 32.8 ms after).
///
/// The response writes its head, its preamble and any replay through its own writer first: the hub holds
/// live frames until the response releases the stream (`EventHub.release`), and both go through the loop's
/// queue in order. `close()` stops the direct writes for good; the response calls it before it writes its
/// end, so no frame ever follows the end of the response on a kept-alive connection.
final class StreamConnection: Sendable {
    let channel: any Channel
    private let state: NIOLoopBoundBox<State>

    private struct State {
        var open = true
        /// Frames written in a row while the connection could not take more (its client is not reading).
        var writtenWhileBlocked = 0
    }

    init(_ channel: any Channel) {
        self.channel = channel
        state = .makeBoxSendingValue(State(), eventLoop: channel.eventLoop)
    }

    /// Writes `frame` now: on the connection's event loop only. False when the connection has taken
    /// `blockedLimit` frames in a row without being able to send them: the caller ends the stream (what was
    /// written stays queued, oldest first, for a client that resumes reading).
    func writeOnLoop(_ frame: ByteBuffer, blockedLimit: Int) -> Bool {
        guard state.value.open else { return true }
        if channel.isWritable {
            state.value.writtenWhileBlocked = 0
        } else {
            state.value.writtenWhileBlocked += 1
            if state.value.writtenWhileBlocked > blockedLimit {
                state.value.open = false
                return false
            }
        }
        channel.pipeline.syncOperations.writeAndFlush(NIOAny(HTTPResponsePart.body(frame)), promise: nil)
        return true
    }

    /// No frame is written after this returns.
    func close() async {
        let state = self.state
        try? await channel.eventLoop.submit { state.value.open = false }.get()
    }

    /// Frames for streams' connections: each names its frame by its place in `frames`, so that each loop can
    /// write its own copy of each (below).
    struct Fanout: Sendable {
        struct Delivery: Sendable {
            let stream: UUID
            let connection: StreamConnection
            let frame: Int
        }

        private(set) var frames: [ByteBuffer] = []
        private(set) var deliveries: [Delivery] = []

        var isEmpty: Bool { deliveries.isEmpty }

        mutating func add(_ frame: ByteBuffer, for stream: UUID, to connection: StreamConnection) {
            deliveries.append(Delivery(stream: stream, connection: connection, frame: index(of: frame)))
        }

        /// The frame's place in `frames`: the same buffer (the same storage) is one frame.
        private mutating func index(of frame: ByteBuffer) -> Int {
            let address = frame.withUnsafeReadableBytes { $0.baseAddress }
            let same = { (known: ByteBuffer) in
                known.withUnsafeReadableBytes { $0.baseAddress } == address
                    && known.readableBytes == frame.readableBytes
            }
            if let index = frames.firstIndex(where: same) { return index }
            frames.append(frame)
            return frames.count - 1
        }
    }

    /// Writes each frame to its connection with one task per event loop. `fellBehind` is told (on the loop) of
    /// each stream whose connection stopped taking frames.
    static func write(_ fanout: Fanout, blockedLimit: Int, fellBehind: @escaping @Sendable (UUID) -> Void) {
        var batches: [(loop: any EventLoop, deliveries: [Fanout.Delivery])] = []  // a handful of loops: a list does
        for delivery in fanout.deliveries {
            let loop = delivery.connection.channel.eventLoop
            if let index = batches.firstIndex(where: { $0.loop === loop }) {
                batches[index].deliveries.append(delivery)
            } else {
                batches.append((loop, [delivery]))
            }
        }
        let frames = fanout.frames
        for (loop, batch) in batches {
            loop.execute {
                // Each loop writes its own copy of each frame: the buffers' reference counts are then touched by
                // one thread, not by every loop at once (a shared count bounced between cores on every write).
                let copies = frames.map { ByteBuffer(bytes: $0.readableBytesView) }
                for delivery in batch
                where !delivery.connection.writeOnLoop(copies[delivery.frame], blockedLimit: blockedLimit) {
                    fellBehind(delivery.stream)
                }
            }
        }
    }
}
