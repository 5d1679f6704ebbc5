import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The board benchmark's baseline: the least an HTTP/1.1 server on NIO can do to answer with the board's bytes.
/// Every request, whatever its path, is answered 200 with the same buffer (content type, length, keep-alive), on
/// as many event loops as Inboard runs; no routing, no session, no cache lookup.
enum StaticBody {
    static func serve(port: Int, file: String) async throws {
        let body = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: file)))
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(Answer(body: body))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        print("listening on \(port)")
        try await channel.closeFuture.get()
    }

    final class Answer: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let body: ByteBuffer
        var keepAlive = true

        init(body: ByteBuffer) { self.body = body }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): keepAlive = head.isKeepAlive
            case .body: break
            case .end:
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: "\(body.readableBytes)")
                if !keepAlive { headers.add(name: "Connection", value: "close") }
                context.write(
                    wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
                    promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
                let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
                if !keepAlive {
                    let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                    written.whenComplete { _ in bound.value.close(promise: nil) }
                }
            }
        }
    }
}
