import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Testing

@testable import InboardServer

/// Live frames enter a stream's pipeline below the HTTP/1 response encoder, framed as chunks by the hub
/// (`StreamConnection.chunkFramed`): on the wire they must be exactly what the encoder makes of a body part, or a
/// client reads a broken response.
@Suite struct StreamConnectionFramingTests {
    /// The bytes a response with these frames puts on the wire, through the encoder or below it.
    func wire(frames: [String], belowEncoder: Bool) throws -> [UInt8] {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(HTTPResponseEncoder())
        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        let connection = StreamConnection(channel, responseIsChunked: true)
        for text in frames {
            let frame = ByteBuffer(string: text)
            if belowEncoder {
                #expect(connection.writeOnLoop(0, of: .init([frame]), blockedLimit: 10))
                connection.flushOnLoop()
            } else {
                try channel.writeOutbound(HTTPResponsePart.body(frame))
            }
        }
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        var bytes: [UInt8] = []
        while let part = try channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = part else { continue }
            bytes += buffer.readableBytesView
        }
        _ = try channel.finish()
        return bytes
    }

    @Test func framesWrittenBelowTheEncoderAreTheChunksItWouldWrite() throws {
        let frames = [
            ": keep-alive\n\n", "event: status\ndata: " + String(repeating: "x", count: 300) + "\n\n",
            "id: 7\nevent: note\ndata: {\"text\":\"é\"}\n\n",
        ]
        let below = try wire(frames: frames, belowEncoder: true)
        let through = try wire(frames: frames, belowEncoder: false)
        #expect(below == through)
        #expect(String(decoding: below, as: UTF8.self).contains("\r\n142\r\nevent: status"))
    }

    /// A connection that took `blockedLimit` frames it could not send is done: it takes no more frames, not even
    /// once it could send again (its stream has ended; the client resumes from the last frame it read).
    @Test func aConnectionThatFellBehindTakesNoMoreFramesEvenOnceItCouldSend() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(HTTPResponseEncoder())
        let connection = StreamConnection(channel, responseIsChunked: true)
        let frames = StreamConnection.LoopFrames([ByteBuffer(string: "event: note\ndata: x\n\n")])
        channel.isWritable = false
        #expect(connection.writeOnLoop(0, of: frames, blockedLimit: 2))
        #expect(connection.writeOnLoop(0, of: frames, blockedLimit: 2))
        #expect(!connection.writeOnLoop(0, of: frames, blockedLimit: 2), "a third frame it cannot send")
        channel.isWritable = true
        #expect(connection.writeOnLoop(0, of: frames, blockedLimit: 2))  // nothing to report: already ended
        connection.flushOnLoop()
        var written = 0
        while let part = try channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let bytes) = part, String(buffer: bytes).contains("event: note") { written += 1 }
        }
        #expect(written == 2)
        _ = try channel.finish()
    }

    @Test func anEmptyFrameIsNeverWrittenForItWouldEndTheResponse() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(HTTPResponseEncoder())
        let connection = StreamConnection(channel, responseIsChunked: true)
        #expect(connection.writeOnLoop(0, of: .init([ByteBuffer()]), blockedLimit: 1))
        connection.flushOnLoop()
        #expect(try channel.readOutbound(as: IOData.self) == nil)
        _ = try channel.finish()
    }
}
