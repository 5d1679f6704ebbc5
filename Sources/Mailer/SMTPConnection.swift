import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// Where and how to reach an SMTP server.
public struct SMTPServer: Sendable {
    public enum Security: String, Sendable { case none, starttls, tls }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    /// PEM file of the CA that signed the server's certificate; nil trusts the system's roots.
    public var caFile: String?
    /// Skips certificate verification: only for tests against self-signed servers (logged as a warning).
    public var insecureSkipVerify: Bool
    /// The name sent in EHLO.
    public var heloName: String
    /// RFC 5321 §4.5.3.2 gives minutes per stage; a notification sender would rather fail and retry sooner.
    public var commandTimeout: TimeAmount
    public var dataTimeout: TimeAmount

    public init(
        host: String, port: Int, security: Security, username: String? = nil, password: String? = nil,
        caFile: String? = nil,
        insecureSkipVerify: Bool = false, heloName: String = "inboard.localdomain",
        commandTimeout: TimeAmount = .seconds(60), dataTimeout: TimeAmount = .seconds(120)
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.caFile = caFile
        self.insecureSkipVerify = insecureSkipVerify
        self.heloName = heloName
        self.commandTimeout = commandTimeout
        self.dataTimeout = dataTimeout
    }
}

/// One SMTP session over SwiftNIO: connect (greeting, EHLO, STARTTLS or implicit TLS, AUTH), then any number
/// of messages on the same connection, then QUIT. The protocol decisions are `SMTPStateMachine`'s.
public final class SMTPConnection: Sendable {
    private let channel: any Channel
    private let handler: SMTPClientHandler  // touched only through its channel's event loop

    private init(channel: any Channel, handler: SMTPClientHandler) {
        self.channel = channel
        self.handler = handler
    }

    public static func connect(to server: SMTPServer, logger: Logger) async throws -> SMTPConnection {
        let tls: NIOSSLContext?
        do { tls = server.security == .none ? nil : try makeTLSContext(server, logger: logger) } catch {
            throw SMTPError(.tls, stage: "TLS set-up", message: "\(error)")
        }
        let configuration = SMTPStateMachine.Configuration(
            heloName: server.heloName,
            security: server.security == .tls ? .implicitTLS : server.security == .starttls ? .startTLS : .none,
            username: server.username, password: server.password)
        let handler = SMTPClientHandler(
            machine: SMTPStateMachine(configuration: configuration), server: server, tls: tls, logger: logger)
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if server.security == .tls, let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: tls, serverHostname: server.tlsHostname))
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPReplyDecoder()))
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        let channel: any Channel
        do { channel = try await bootstrap.connect(host: server.host, port: server.port).get() } catch {
            throw SMTPError(
                .connection, stage: "connect", message: "cannot reach \(server.host):\(server.port) (\(error))")
        }
        do { try await channel.eventLoop.flatSubmit { handler.waitForReady() }.get() } catch {
            try? await channel.close()
            throw error
        }
        return SMTPConnection(channel: channel, handler: handler)
    }

    /// Sends one message; the reply to its final dot on success. A refused message throws an `SMTPError` whose
    /// `isPerMessage` is true, and the connection stays usable.
    public func send(_ envelope: SMTPEnvelope) async throws -> SMTPReply {
        let handler = self.handler
        return try await channel.eventLoop.flatSubmit { handler.send(envelope) }.get()
    }

    /// QUIT, then close (errors are ignored: the messages are delivered already).
    public func quit() async {
        let handler = self.handler
        _ = try? await channel.eventLoop.flatSubmit { handler.quit() }.get()
        try? await channel.close()
    }

    static func makeTLSContext(_ server: SMTPServer, logger: Logger) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile = server.caFile {
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        }
        if server.insecureSkipVerify {
            logger.warning(
                "SMTP certificate verification is OFF (insecureSkipVerify)", metadata: ["host": "\(server.host)"])
            configuration.certificateVerification = .none
        }
        return try NIOSSLContext(configuration: configuration)
    }
}

extension SMTPServer {
    /// SNI and verification need a name; an IP address is verified against the certificate's IP entries.
    var tlsHostname: String? {
        host.first.map { $0.isNumber } == true && host.contains(".") && host.allSatisfy({ $0.isNumber || $0 == "." })
            ? nil : host
    }
}

/// Carries out the state machine's actions on the channel, on its event loop; one reply timer at a time.
/// Unchecked Sendable: created before its channel exists, then only ever touched on that channel's loop.
final class SMTPClientHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = SMTPReply
    typealias OutboundOut = ByteBuffer

    private var machine: SMTPStateMachine
    private let server: SMTPServer
    private let tls: NIOSSLContext?
    private let logger: Logger
    private var context: ChannelHandlerContext?
    private var readyPromise: EventLoopPromise<Void>?
    private var readyFuture: EventLoopFuture<Void>?
    private var deliveryPromise: EventLoopPromise<SMTPReply>?
    private var quitPromise: EventLoopPromise<Void>?
    private var timer: Scheduled<Void>?
    private var failure: SMTPError?

    init(machine: SMTPStateMachine, server: SMTPServer, tls: NIOSSLContext?, logger: Logger) {
        self.machine = machine
        self.server = server
        self.tls = tls
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let promise = context.eventLoop.makePromise(of: Void.self)
        readyPromise = promise
        readyFuture = promise.futureResult
        arm(server.commandTimeout)  // the greeting
    }

    /// Completes once the session is ready (or failed); the same future whenever it is asked for.
    func waitForReady() -> EventLoopFuture<Void> {
        guard let readyFuture else { fatalError("SMTP handler used before it was added") }
        return readyFuture
    }

    func send(_ envelope: SMTPEnvelope) -> EventLoopFuture<SMTPReply> {
        guard let context else { fatalError("SMTP handler used before it was added") }
        if let failure { return context.eventLoop.makeFailedFuture(failure) }
        let promise = context.eventLoop.makePromise(of: SMTPReply.self)
        deliveryPromise = promise
        perform(machine.send(envelope))
        return promise.futureResult
    }

    func quit() -> EventLoopFuture<Void> {
        guard let context else { fatalError("SMTP handler used before it was added") }
        let promise = context.eventLoop.makePromise(of: Void.self)
        quitPromise = promise
        perform(machine.quit())
        if machine.state == .closed { promise.succeed() }
        return promise.futureResult
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        timer?.cancel()
        let reply = unwrapInboundIn(data)
        logger.trace("SMTP reply", metadata: ["reply": "\(reply)"])
        perform(machine.received(reply))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Implicit TLS completes its handshake while the greeting is awaited: only STARTTLS waits for it.
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event, machine.state == .handshake {
            timer?.cancel()
            perform(machine.tlsEstablished())
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        perform(machine.closed())
        quitPromise?.succeed()
        quitPromise = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let smtpError: SMTPError
        if let error = error as? SMTPError {
            smtpError = error
        } else if error is NIOSSLError || "\(type(of: error))".contains("SSL") {
            smtpError = SMTPError(.tls, stage: machine.stage, message: "\(error)")
        } else {
            smtpError = SMTPError(.connection, stage: machine.stage, message: "\(error)")
        }
        fail(smtpError)
        context.close(promise: nil)
    }

    private func perform(_ action: SMTPStateMachine.Action) {
        guard let context else { return }
        switch action {
        case let .send(command):
            logger.trace(
                "SMTP command",
                metadata: [
                    "command":
                        "\(command.hasPrefix("AUTH") || machine.state == .authLoginDone || machine.state == .authLoginPassword ? "(credentials)" : command)"
                ])
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: command + "\r\n")), promise: nil)
            arm(server.commandTimeout)
        case let .sendData(bytes):
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
            arm(server.dataTimeout)
        case .startTLS:
            guard let tls else { return fail(SMTPError(.tls, stage: "STARTTLS", message: "no TLS configuration")) }
            do {
                let ssl = try NIOSSLClientHandler(context: tls, serverHostname: server.tlsHostname)
                try context.pipeline.syncOperations.addHandler(ssl, position: .first)
                arm(server.commandTimeout)
            } catch {
                fail(SMTPError(.tls, stage: "STARTTLS", message: "\(error)"))
                context.close(promise: nil)
            }
        case .ready:
            readyPromise?.succeed()
            readyPromise = nil
        case let .delivered(reply):
            deliveryPromise?.succeed(reply)
            deliveryPromise = nil
        case let .deliveryFailed(error):
            deliveryPromise?.fail(error)
            deliveryPromise = nil
        case let .failed(error):
            fail(error)
            context.close(promise: nil)
        case .close:
            context.close(promise: nil)
        case .none:
            break
        }
    }

    private func fail(_ error: SMTPError) {
        timer?.cancel()
        if failure == nil { failure = error }
        readyPromise?.fail(error)
        readyPromise = nil
        deliveryPromise?.fail(error)
        deliveryPromise = nil
    }

    private func arm(_ limit: TimeAmount) {
        timer?.cancel()
        guard let context else { return }
        let stage = machine.stage
        timer = context.eventLoop.scheduleTask(in: limit) { [weak self] in
            guard let self, let context = self.context else { return }
            self.fail(
                SMTPError(.timeout, stage: stage, message: "no reply within \(limit.nanoseconds / 1_000_000_000) s"))
            context.close(promise: nil)
        }
    }
}
