import CLDAP
import Foundation

/// One libldap handle: the only type that touches C. Every method blocks, so callers run it on the client's
/// thread pool; the pool hands a connection to one task at a time. Every step has a deadline: TCP connect
/// `connectTimeout`, every exchange with the server (LDAPS handshake, StartTLS, bind, each search page)
/// `operationTimeout`. A connection on which one passed is discarded by the pool.
final class LDAPConnection: @unchecked Sendable {
    let server: LDAPServerURL
    let serverIndex: Int
    private var handle: OpaquePointer?
    private let operationTimeout: Duration
    /// Bounds the TLS handshake, which libldap 2.5 lets run forever (see `SocketDeadline`).
    private let deadline: SocketDeadline
    /// libldap keeps a pointer to these until the handle is freed.
    private let socketCallbacks: UnsafeMutablePointer<ldap_conncb>

    /// Opens (and for StartTLS, secures) a connection; with `credentials`, binds as them.
    init(server: LDAPServerURL, serverIndex: Int, configuration: LDAPConfiguration, credentials: LDAPCredentials?)
        throws(LDAPError)
    {
        self.server = server
        self.serverIndex = serverIndex
        self.operationTimeout = configuration.operationTimeout
        let deadline = SocketDeadline()
        self.deadline = deadline
        socketCallbacks = .allocate(capacity: 1)
        socketCallbacks.initialize(
            to: ldap_conncb(
                lc_add: recordSocket, lc_del: forgetSocket, lc_arg: Unmanaged.passUnretained(deadline).toOpaque()))
        var ld: OpaquePointer?
        guard ldap_initialize(&ld, server.description) == LDAP_SUCCESS, let ld else {
            throw LDAPError(
                kind: .configuration, diagnosticMessage: "libldap refused \(server)", operation: "connect",
                server: server.description)
        }
        handle = ld
        do throws(LDAPError) {
            try configure(configuration)
            try connect(configuration)
            if configuration.tls == .startTLS, !server.secure { try startTLS() }
            if let credentials { try bind(credentials) }
        } catch let failure {
            close()
            throw failure
        }
    }

    deinit {
        close()
        socketCallbacks.deinitialize(count: 1)
        socketCallbacks.deallocate()
    }

    func close() {
        if let handle { ldap_unbind_ext_s(handle, nil, nil) }
        handle = nil
        deadline.forget()
    }

    private func configure(_ configuration: LDAPConfiguration) throws(LDAPError) {
        var version = LDAP_VERSION3
        ldap_set_option(handle, LDAP_OPT_PROTOCOL_VERSION, &version)
        ldap_set_option(handle, LDAP_OPT_REFERRALS, configuration.chaseReferrals ? cldap_opt_on() : cldap_opt_off())
        ldap_set_option(handle, LDAP_OPT_RESTART, cldap_opt_on())
        var network = timeval(configuration.connectTimeout)
        ldap_set_option(handle, LDAP_OPT_NETWORK_TIMEOUT, &network)
        var operation = timeval(operationTimeout)
        ldap_set_option(handle, LDAP_OPT_TIMEOUT, &operation)
        ldap_set_option(handle, LDAP_OPT_CONNECT_CB, socketCallbacks)
        guard server.secure || configuration.tls == .startTLS else { return }
        var requirement = configuration.insecureSkipVerify ? LDAP_OPT_X_TLS_NEVER : LDAP_OPT_X_TLS_DEMAND
        ldap_set_option(handle, LDAP_OPT_X_TLS_REQUIRE_CERT, &requirement)
        if let caFile = configuration.caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw LDAPError(
                    kind: .configuration, diagnosticMessage: "CA file \(caFile) cannot be read", operation: "connect",
                    server: server.description)
            }
            ldap_set_option(handle, LDAP_OPT_X_TLS_CACERTFILE, caFile)
        }
        var newContext: Int32 = 0  // apply the options above to this handle's own TLS context
        ldap_set_option(handle, LDAP_OPT_X_TLS_NEWCTX, &newContext)
    }

    /// TCP within the connect timeout (libldap's network timeout), then for LDAPS the TLS handshake, an
    /// exchange with the server like any operation, within the operation timeout (the deadline).
    private func connect(_ configuration: LDAPConfiguration) throws(LDAPError) {
        let ld = handle
        let (rc, expired) = deadline.run(within: operationTimeout) { ldap_connect(ld) }
        if expired { throw timeout("TLS handshake", after: operationTimeout) }
        guard rc != LDAP_SUCCESS else { return }
        var failure = error(rc, operation: "connect", tlsInUse: server.secure)
        if server.secure, failure.kind == .serverDown,
            tcpReachable(host: server.host, port: server.port, timeout: configuration.connectTimeout)
        {
            failure = LDAPError(
                kind: .tls, resultCode: rc,
                diagnosticMessage:
                    "the TLS handshake failed (is the server's certificate signed by the configured CA, and does it name \(server.host)?)",
                operation: "connect", server: server.description)
        }
        throw failure
    }

    /// The StartTLS request, then the handshake, together within the operation timeout (ldap_start_tls_s
    /// would wait for the handshake for ever).
    private func startTLS() throws(LDAPError) {
        let start = ContinuousClock.now
        var messageID: Int32 = 0
        let sent = ldap_extended_operation(handle, LDAP_EXOP_START_TLS, nil, nil, nil, &messageID)
        guard sent == LDAP_SUCCESS else { throw error(sent, operation: "StartTLS", tlsInUse: true) }
        let response = try waitForResult(messageID, operation: "StartTLS")
        defer { ldap_msgfree(response) }
        try checkResult(response, operation: "StartTLS", tlsInUse: true)
        let remaining = max(operationTimeout - (ContinuousClock.now - start), .milliseconds(1))
        let ld = handle
        let (rc, expired) = deadline.run(within: remaining) { ldap_install_tls(ld) }
        if expired { throw timeout("StartTLS", after: operationTimeout) }
        guard rc == LDAP_SUCCESS else { throw error(rc, operation: "StartTLS", tlsInUse: true) }
    }

    /// A simple bind. The password goes as a counted string of its UTF-8 bytes (never through strlen, which
    /// would stop at a NUL); `validate()` has refused control characters and empty values already.
    func bind(_ credentials: LDAPCredentials) throws(LDAPError) {
        try credentials.validate()
        let operation = "bind as \(credentials.bindName)"
        var password = Array(credentials.password.utf8)
        defer { for index in password.indices { password[index] = 0 } }
        var messageID: Int32 = 0
        let sent = password.withUnsafeMutableBytes { bytes in
            var secret = berval(
                bv_len: ber_len_t(bytes.count), bv_val: bytes.baseAddress?.assumingMemoryBound(to: CChar.self))
            return ldap_sasl_bind(handle, credentials.bindName, cldap_sasl_simple(), &secret, nil, nil, &messageID)
        }
        guard sent == LDAP_SUCCESS else { throw error(sent, operation: operation) }
        let response = try waitForResult(messageID, operation: operation)
        defer { ldap_msgfree(response) }
        try checkResult(response, operation: operation)
    }

    /// Waits at most the operation timeout for the whole answer to `messageID`; the caller frees it.
    private func waitForResult(_ messageID: Int32, operation: String) throws(LDAPError) -> OpaquePointer {
        var timeout = timeval(operationTimeout)
        var result: OpaquePointer?
        let tag = ldap_result(handle, messageID, LDAP_MSG_ALL, &timeout, &result)
        guard tag > 0, let result else {
            if let result { ldap_msgfree(result) }
            if tag == 0 { throw self.timeout(operation, after: operationTimeout) }
            var code: Int32 = LDAP_SERVER_DOWN
            ldap_get_option(handle, LDAP_OPT_RESULT_CODE, &code)
            throw error(code, operation: operation)
        }
        return result
    }

    /// Throws the server's error unless the final message of `result` says success.
    private func checkResult(_ result: OpaquePointer, operation: String, tlsInUse: Bool = false) throws(LDAPError) {
        var code: Int32 = 0
        let parsed = ldap_parse_result(handle, result, &code, nil, nil, nil, nil, 0)
        guard parsed == LDAP_SUCCESS else { throw error(parsed, operation: operation, tlsInUse: tlsInUse) }
        guard code == LDAP_SUCCESS else { throw error(code, operation: operation, tlsInUse: tlsInUse) }
    }

    private func timeout(_ operation: String, after limit: Duration) -> LDAPError {
        LDAPError(
            kind: .timeout, resultCode: LDAP_TIMEOUT, diagnosticMessage: "no answer within \(limit)",
            operation: operation, server: server.description)
    }

    /// What a search asks for; `pageSize` > 0 makes it an RFC 2696 paged search.
    struct SearchRequest: Sendable {
        let base: String
        let scope: LDAPScope
        let filter: String
        let attributes: [String]
        let pageSize: Int32
    }

    /// One search request and its whole answer (for reads and unpaged searches).
    func search(_ request: SearchRequest) throws(LDAPError) -> [LDAPEntry] {
        let result = try waitForResult(try send(request, cookie: nil), operation: "search of \(request.base)")
        defer { ldap_msgfree(result) }
        _ = try nextCookie(result, base: request.base)  // checks the result code
        return readEntries(result)
    }

    /// One step of a pipelined paged search: collects the page requested earlier (or requests the first),
    /// asks for the next page at once, and decodes this one while the server prepares the next.
    func searchPage(_ request: SearchRequest, pending: Int32?) throws(LDAPError) -> (entries: [LDAPEntry], next: Int32?)
    {
        let messageID: Int32
        if let pending { messageID = pending } else { messageID = try send(request, cookie: nil) }
        let result = try waitForResult(messageID, operation: "search of \(request.base)")
        defer { ldap_msgfree(result) }
        var next: Int32?
        if let cookie = try nextCookie(result, base: request.base) { next = try send(request, cookie: cookie) }
        return (readEntries(result), next)
    }

    /// Sends a search request without waiting for its answer; returns its message ID.
    private func send(_ request: SearchRequest, cookie: [UInt8]?) throws(LDAPError) -> Int32 {
        var control: UnsafeMutablePointer<LDAPControl>?
        if request.pageSize > 0 {
            var value = berval(bv_len: 0, bv_val: nil)
            let encoded: Int32 = (cookie ?? []).withUnsafeBufferPointer { buffer in
                var cookieValue = berval(
                    bv_len: ber_len_t(buffer.count),
                    bv_val: UnsafeMutableRawPointer(mutating: buffer.baseAddress)?.assumingMemoryBound(to: CChar.self))
                return cldap_encode_paged_control(request.pageSize, &cookieValue, &value)
            }
            guard encoded == 0 else {
                throw LDAPError(
                    kind: .other, diagnosticMessage: "cannot encode the paged-results control", operation: "search",
                    server: server.description)
            }
            let rc = ldap_control_create(LDAP_CONTROL_PAGEDRESULTS, 1, &value, 1, &control)  // 1: copies the value
            ber_memfree(value.bv_val)
            guard rc == LDAP_SUCCESS else { throw error(rc, operation: "search") }
        }
        defer { if let control { ldap_control_free(control) } }
        var timeout = timeval(operationTimeout)  // the server's time limit
        var messageID: Int32 = 0
        var controls: [UnsafeMutablePointer<LDAPControl>?] = [control, nil]
        let rc: Int32 = withCStringArray(request.attributes) { attrs in
            controls.withUnsafeMutableBufferPointer { controlList in
                ldap_search_ext(
                    handle, request.base, request.scope.cValue, request.filter, attrs, 0,
                    control == nil ? nil : controlList.baseAddress, nil, &timeout, 0, &messageID)
            }
        }
        guard rc == LDAP_SUCCESS else { throw error(rc, operation: "search of \(request.base)") }
        return messageID
    }

    private func readEntries(_ result: OpaquePointer?) -> [LDAPEntry] {
        var entries: [LDAPEntry] = []
        var message = ldap_first_entry(handle, result)
        entries.reserveCapacity(Int(max(0, ldap_count_entries(handle, result))))
        while let entry = message {
            entries.append(readEntry(entry, sizedLike: entries.last))
            message = ldap_next_entry(handle, entry)
        }
        return entries
    }

    /// Reads an entry in one pass over its BER encoding, as ldapsearch does: values point into the message
    /// until they are copied (ldap_get_values_len would rescan the entry for every attribute).
    private func readEntry(_ entry: OpaquePointer, sizedLike previous: LDAPEntry?) -> LDAPEntry {
        var ber: OpaquePointer?
        var dnValue = berval(bv_len: 0, bv_val: nil)
        var builder = LDAPEntry.Builder(sizedLike: previous)
        guard ldap_get_dn_ber(handle, entry, &ber, &dnValue) == LDAP_SUCCESS else { return builder.finish(dn: "") }
        defer { if let ber { ber_free(ber, 0) } }
        var name = berval(bv_len: 0, bv_val: nil)
        var values: UnsafeMutablePointer<berval>?
        var position = 0
        while ldap_get_attribute_ber(handle, entry, ber, &name, &values) == LDAP_SUCCESS, name.bv_val != nil {
            builder.beginAttribute(attributeName(name, position: position))
            if let values {
                var index = 0
                while values[index].bv_val != nil {
                    builder.appendValue(
                        UnsafeRawBufferPointer(start: values[index].bv_val, count: Int(values[index].bv_len)))
                    index += 1
                }
                ber_memfree(values)
            }
            position += 1
        }
        return builder.finish(dn: Self.string(dnValue))
    }

    private static func bytes(_ value: berval) -> [UInt8] {
        guard let pointer = value.bv_val, value.bv_len > 0 else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: Int(value.bv_len)) {
            Array(UnsafeBufferPointer(start: $0, count: Int(value.bv_len)))
        }
    }

    private static func string(_ value: berval) -> String { String(decoding: bytes(value), as: UTF8.self) }

    /// Lower-cased attribute names, remembered by position: entries of one search list the same attributes
    /// in the same order, so a name is usually recognised with one comparison.
    private var namesByPosition: [(bytes: [UInt8], name: String)] = []

    private func attributeName(_ value: berval, position: Int) -> String {
        let raw = Self.bytes(value)
        if position < namesByPosition.count, namesByPosition[position].bytes == raw {
            return namesByPosition[position].name
        }
        let name = String(decoding: raw, as: UTF8.self).lowercased()
        if position < namesByPosition.count {
            namesByPosition[position] = (raw, name)
        } else {
            namesByPosition.append((raw, name))
        }
        return name
    }

    /// The paged-results cookie of the final message; nil (or empty) when the search is complete.
    private func nextCookie(_ result: OpaquePointer?, base: String) throws(LDAPError) -> [UInt8]? {
        var controls: UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>?
        var code: Int32 = 0
        let rc = ldap_parse_result(handle, result, &code, nil, nil, nil, &controls, 0)
        defer { if let controls { ldap_controls_free(controls) } }
        guard rc == LDAP_SUCCESS else { throw error(rc, operation: "search of \(base)") }
        guard code == LDAP_SUCCESS else { throw error(code, operation: "search of \(base)") }
        guard let found = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, controls, nil) else { return nil }
        var estimate: ber_int_t = 0
        var cookie = berval(bv_len: 0, bv_val: nil)
        guard cldap_decode_paged_control(&found.pointee.ldctl_value, &estimate, &cookie) == 0 else { return nil }
        defer { ber_memfree(cookie.bv_val) }
        guard cookie.bv_len > 0, let bytes = cookie.bv_val else { return nil }
        return bytes.withMemoryRebound(to: UInt8.self, capacity: Int(cookie.bv_len)) {
            Array(UnsafeBufferPointer(start: $0, count: Int(cookie.bv_len)))
        }
    }

    /// Builds the error for a result code, with the server's diagnostic and matched DN.
    private func error(_ code: Int32, operation: String, tlsInUse: Bool = false) -> LDAPError {
        var diagnostic: UnsafeMutablePointer<CChar>?
        ldap_get_option(handle, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diagnostic)
        let message =
            diagnostic.map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
            ?? String(cString: ldap_err2string(code))
        ldap_memfree(diagnostic)
        var matched: UnsafeMutablePointer<CChar>?
        ldap_get_option(handle, LDAP_OPT_MATCHED_DN, &matched)
        let matchedDN = matched.map { String(cString: $0) }
        ldap_memfree(matched)
        return LDAPError(
            kind: Self.kind(code, message: message, tlsInUse: tlsInUse), resultCode: code, matchedDN: matchedDN,
            diagnosticMessage: message, operation: operation, server: server.description)
    }

    static func kind(_ code: Int32, message: String, tlsInUse: Bool) -> LDAPError.Kind {
        let lower = message.lowercased()
        if tlsInUse,
            lower.contains("tls") || lower.contains("certificate") || lower.contains("ssl")
                || code == LDAP_CONNECT_ERROR
        {
            return .tls
        }
        switch code {
        case LDAP_INVALID_CREDENTIALS: return .invalidCredentials
        case LDAP_SERVER_DOWN, LDAP_CONNECT_ERROR, LDAP_UNAVAILABLE, LDAP_BUSY: return .serverDown
        case LDAP_TIMEOUT, LDAP_TIMELIMIT_EXCEEDED: return .timeout
        case LDAP_NO_SUCH_OBJECT: return .noSuchObject
        case LDAP_FILTER_ERROR, LDAP_INAPPROPRIATE_MATCHING: return .filterError
        case LDAP_PROTOCOL_ERROR where lower.contains("filter"): return .filterError
        case LDAP_SIZELIMIT_EXCEEDED: return .sizeLimitExceeded
        case LDAP_INSUFFICIENT_ACCESS: return .insufficientAccess
        default: return .other
        }
    }
}

extension timeval {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}

/// A NULL-terminated `char **` for libldap's attribute lists (nil for "all attributes").
func withCStringArray<R>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> R) -> R {
    guard !strings.isEmpty else { return body(nil) }
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress) }
}

/// libldap's connect callback, called right after TCP connects (before any TLS handshake): tells the
/// connection's deadline which socket to shut down.
private let recordSocket:
    @convention(c) (
        OpaquePointer?, OpaquePointer?, UnsafeMutablePointer<LDAPURLDesc>?, UnsafeMutablePointer<sockaddr>?,
        UnsafeMutablePointer<ldap_conncb>?
    ) -> Int32 = { _, sockbuf, _, _, callbacks in
        var socket: ber_socket_t = -1
        ber_sockbuf_ctrl(sockbuf, LBER_SB_OPT_GET_FD, &socket)
        if let argument = callbacks?.pointee.lc_arg {
            Unmanaged<SocketDeadline>.fromOpaque(argument).takeUnretainedValue().watch(socket)
        }
        return 0
    }

private let forgetSocket: @convention(c) (OpaquePointer?, OpaquePointer?, UnsafeMutablePointer<ldap_conncb>?) -> Void =
    { _, _, callbacks in
        if let argument = callbacks?.pointee.lc_arg {
            Unmanaged<SocketDeadline>.fromOpaque(argument).takeUnretainedValue().forget()
        }
    }
