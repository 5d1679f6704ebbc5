import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// A live stream's connection, which the hub writes frames to directly, on the connection's event loop. One
/// change then reaches a thousand streams as one task per event loop, each writing to its connections in turn,
/// instead of a thousand stream tasks each waking and hopping to its loop through the response's writer (measured
/// in one A/B on 2 cores: the server's CPU for one change to 1,000 streams 40.5 ms before, 29.6 ms after; p99
/// 37.1 ms before, 32.8 ms after).
///
/// The response writes its head, its preamble and any replay through its own writer first: the hub holds
/// live frames until the response has written those (`EventHub.startDirectDelivery`), and both go through the loop's
/// queue in order. `stopDirectWrites()` stops them for good; the response calls it before it writes its end,
/// so no frame ever follows the end of the response on a kept-alive connection.
///
/// A frame enters the pipeline just below the HTTP/1 response encoder, already framed as the chunk the encoder
/// would make of it (the response is always chunked: HTTP/1.1 without a length; the HTTPTypes codec answers even an
/// HTTP/1.0 request as 1.1), and passes only the handlers below it (TLS, the socket). Through the whole pipeline from
/// its tail, each frame of each stream passed four handlers and left as three buffers, a third of the fan-out's CPU.
/// The caller vouches that the encoder chunks this response (`responseIsChunked`: a GET answered without a length
/// or a transfer coding of its own, and no middleware that would add one); otherwise, or in a pipeline without that
/// encoder, frames take the whole pipeline.
final class StreamConnection: Sendable {
    let channel: any Channel
    private let state: NIOLoopBoundBox<State>
    /// Whether the HTTP/1 encoder frames this response's body as chunks, so that frames may be written as chunks.
    private let responseIsChunked: Bool

    private struct State {
        var open = true
        /// Frames written in a row while the connection could not take more (its client is not reading).
        var writtenWhileBlocked = 0
        /// Written since the last flush.
        var unflushed = false
        /// Where frames enter the pipeline: worked out at the first write (on the loop).
        var entry: Entry = .unknown
    }

    private enum Entry {
        case unknown
        /// Below the response encoder, as chunks.
        case belowEncoder(ChannelHandlerContext)
        /// At the pipeline's tail, as body parts, like the response's own writes.
        case tail
    }

    init(_ channel: any Channel, responseIsChunked: Bool) {
        self.channel = channel
        self.responseIsChunked = responseIsChunked
        state = .makeBoxSendingValue(State(), eventLoop: channel.eventLoop)
    }

    /// Writes frame `index` of `frames` now, unflushed (`flushOnLoop`): on the connection's event loop only. False
    /// when the connection has taken `blockedLimit` frames in a row without being able to send them: the caller
    /// ends the stream (what was written stays queued, oldest first, for a client that resumes reading).
    func writeOnLoop(_ index: Int, of frames: LoopFrames, blockedLimit: Int) -> Bool {
        guard state.value.open, frames.originals[index].readableBytes > 0 else { return true }
        if channel.isWritable {
            state.value.writtenWhileBlocked = 0
        } else {
            state.value.writtenWhileBlocked += 1
            if state.value.writtenWhileBlocked > blockedLimit {
                state.value.open = false
                return false
            }
        }
        switch entryOnLoop() {
        case .belowEncoder(let context): context.write(NIOAny(IOData.byteBuffer(frames.chunks[index])), promise: nil)
        case .tail, .unknown:
            channel.pipeline.syncOperations.write(NIOAny(HTTPResponsePart.body(frames.copies[index])), promise: nil)
        }
        state.value.unflushed = true
        return true
    }

    /// Sends what `writeOnLoop` wrote: on the connection's event loop only.
    func flushOnLoop() {
        guard state.value.unflushed else { return }
        state.value.unflushed = false
        switch state.value.entry {
        case .belowEncoder(let context): context.flush()
        case .tail, .unknown: channel.pipeline.syncOperations.flush()
        }
    }

    private func entryOnLoop() -> Entry {
        if case .unknown = state.value.entry {
            let encoder = try? channel.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
            state.value.entry = responseIsChunked ? encoder.map(Entry.belowEncoder) ?? .tail : .tail
        }
        return state.value.entry
    }

    /// One event loop's copies of a fan-out's frames, made as its connections need them: as chunks for those
    /// written below the encoder, as they are for the others. The buffers' reference counts are then touched by one
    /// thread, not by every loop at once (a shared count bounced between cores on each write).
    final class LoopFrames {
        let originals: [ByteBuffer]
        private(set) lazy var chunks = originals.map(StreamConnection.chunkFramed)
        private(set) lazy var copies = originals.map { ByteBuffer(bytes: $0.readableBytesView) }

        init(_ originals: [ByteBuffer]) { self.originals = originals }
    }

    /// `frame` as one HTTP/1.1 chunk: its size in hex, CRLF, the frame, CRLF (RFC 9112 7.1), as the encoder frames
    /// each body part. A frame is never empty (an empty chunk would end the response).
    static func chunkFramed(_ frame: ByteBuffer) -> ByteBuffer {
        var chunk = ByteBuffer()
        chunk.reserveCapacity(frame.readableBytes + 12)
        chunk.writeString(String(frame.readableBytes, radix: 16))
        chunk.writeStaticString("\r\n")
        chunk.writeImmutableBuffer(frame)
        chunk.writeStaticString("\r\n")
        return chunk
    }

    /// No frame is written after this returns.
    func stopDirectWrites() async {
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
        var count: Int { deliveries.count }

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
            // From the end: the frames of the event being fanned out are the last ones added (from the start, a read
            // of many events cost every stream a search through all of their frames).
            if let index = frames.lastIndex(where: same) { return index }
            frames.append(frame)
            return frames.count - 1
        }
    }

    /// Writes each frame to its connection with one task per event loop and `chunk` deliveries (a burst of events
    /// leaves room for the loop's other work between its tasks), each connection flushed once per task.
    /// `fellBehind` is told (on the loop) of each stream whose connection stopped taking frames.
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
            for start in stride(from: 0, to: batch.count, by: chunk) {
                let part = batch[start..<min(start + chunk, batch.count)]
                loop.execute {
                    let copies = LoopFrames(frames)
                    for delivery in part
                    where !delivery.connection.writeOnLoop(delivery.frame, of: copies, blockedLimit: blockedLimit) {
                        fellBehind(delivery.stream)
                    }
                    for delivery in part { delivery.connection.flushOnLoop() }
                }
            }
        }
    }

    /// Deliveries one event-loop task writes at most.
    static let chunk = 2_000
}
