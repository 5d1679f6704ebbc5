// Measurements behind scripts/bench. Each mode prints one JSON line; scripts/bench runs the baselines and
// compares. Modes:
//   raw-bind URL DN PASSWORD N                 N sequential simple binds on one libldap handle (the baseline)
//   pool-bind URL DN PASSWORD N CONCURRENCY    N binds through LDAPClient.bind with CONCURRENCY tasks
//   search URL BINDDN PASSWORD BASE FILTER PAGE  a paged search through LDAPSearchResults, every attribute read
//   raw-login URL BINDDN BINDPW BASE FILTER PASSWORD N [DATABASE_URL PERSON]  N search-then-bind logins on two
//                                              libldap handles (the least LDAP work a directory login needs); with
//                                              a database, each also commits one session row (SessionStore.create)
//   pool-query DATABASE_URL N CONCURRENCY pool|raw  N `SELECT 1` by CONCURRENCY tasks through DatabasePool, or on
//                                              raw connections of their own (the baseline: PoolQueries)
//   status-sql PERSON TYPE VERSION             the statement behind PUT /me/status with literal values, for pgbench
//   sse-fanout PORT TOKENS_FILE STREAMS [PID]  STREAMS event streams (tokens from the file, one per line, in turn),
//                                              one status change, each stream's time to receive it (SSEFanout);
//                                              with the server's PID, also the CPU time it spent on the change;
//                                              SSE_PROFILE_CHANGES=N makes N unmeasured changes first (for perf)
//   static-body PORT FILE                      serves FILE's bytes as every answer until killed (StaticBody: the
//                                              board's baseline)
import CLDAP
import Foundation
import LDAPKit
import InboardStore
import Logging

func peakRSSKilobytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? -1
    }
    return -1
}

func report(_ fields: [String: Any]) {
    var all = fields
    all["peakRSSKB"] = peakRSSKilobytes()
    let data = try! JSONSerialization.data(withJSONObject: all, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

let args = CommandLine.arguments
guard args.count >= 2 else {
    FileHandle.standardError.write(Data("usage: see the comment in main.swift\n".utf8)); exit(2)
}

switch args[1] {
case "raw-bind":
    let (url, dn, password, n) = (args[2], args[3], args[4], Int(args[5])!)
    var handle: OpaquePointer?
    ldap_initialize(&handle, url)
    var version = LDAP_VERSION3
    ldap_set_option(handle, LDAP_OPT_PROTOCOL_VERSION, &version)
    let clock = ContinuousClock()
    var failures = 0
    let elapsed = clock.measure {
        for _ in 0..<n {
            let rc = password.withCString { pw -> Int32 in
                var secret = berval(bv_len: ber_len_t(strlen(pw)), bv_val: UnsafeMutablePointer(mutating: pw))
                return ldap_sasl_bind_s(handle, dn, cldap_sasl_simple(), &secret, nil, nil, nil)
            }
            if rc != LDAP_SUCCESS { failures += 1 }
        }
    }
    ldap_unbind_ext_s(handle, nil, nil)
    report([
        "mode": "raw-bind", "binds": n, "failures": failures, "seconds": seconds(elapsed),
        "perSecond": Double(n) / seconds(elapsed),
    ])

case "raw-login":
    let (url, bindDN, bindPassword, base, filter, password, n) = (
        args[2], args[3], args[4], args[5], args[6], args[7], Int(args[8])!
    )
    func open(_ dn: String, _ secret: String) -> OpaquePointer? {
        var handle: OpaquePointer?
        ldap_initialize(&handle, url)
        var version = LDAP_VERSION3
        ldap_set_option(handle, LDAP_OPT_PROTOCOL_VERSION, &version)
        _ = simpleBind(handle, dn, secret)
        return handle
    }
    func simpleBind(_ handle: OpaquePointer?, _ dn: String, _ secret: String) -> Int32 {
        secret.withCString { pw in
            var value = berval(bv_len: ber_len_t(strlen(pw)), bv_val: UnsafeMutablePointer(mutating: pw))
            return ldap_sasl_bind_s(handle, dn, cldap_sasl_simple(), &value, nil, nil, nil)
        }
    }
    let searcher = open(bindDN, bindPassword), binder = open(bindDN, bindPassword)
    var failures = 0
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    let pool = try args.count > 10 ? DatabasePool(url: try DatabaseURL(args[9]), size: 1, logger: logger) : nil
    let sessions = pool.map { SessionStore(database: $0, logger: logger) }
    let person = args.count > 10 ? Int64(args[10])! : 0
    let runningPool = Task { await pool?.run() }
    let started = ContinuousClock.now
    do {
        for _ in 0..<n {
            var result: OpaquePointer?
            var attributes: [UnsafeMutablePointer<CChar>?] = [strdup("1.1"), nil]
            let rc = ldap_search_ext_s(
                searcher, base, LDAP_SCOPE_SUBTREE, filter, &attributes, 0, nil, nil, nil, 2, &result)
            free(attributes[0])
            let dn = rc == LDAP_SUCCESS ? ldap_get_dn(searcher, ldap_first_entry(searcher, result)) : nil
            if let dn, simpleBind(binder, String(cString: dn), password) == LDAP_SUCCESS {
                _ = try await sessions?.create(
                    personID: person, kind: "web", lifetime: .seconds(3600), address: "127.0.0.1", userAgent: "bench")
            } else {
                failures += 1
            }
            if let dn { ldap_memfree(dn) }
            ldap_msgfree(result)
        }
    }
    let elapsed = ContinuousClock.now - started
    pool?.shutDown()
    await runningPool.value
    ldap_unbind_ext_s(searcher, nil, nil)
    ldap_unbind_ext_s(binder, nil, nil)
    report([
        "mode": "raw-login", "logins": n, "failures": failures, "seconds": seconds(elapsed), "sessions": pool != nil,
        "perSecond": Double(n) / seconds(elapsed),
    ])

case "pool-query":
    let (url, n, concurrency, mode) = (try DatabaseURL(args[2]), Int(args[3])!, Int(args[4])!, args[5])
    let (elapsed, cpu) = try await PoolQueries.run(
        url: url, count: n, concurrency: concurrency, throughPool: mode == "pool")
    let done = n / concurrency * concurrency
    report([
        "mode": "pool-query", "through": mode, "queries": done, "concurrency": concurrency,
        "seconds": seconds(elapsed), "perSecond": Double(done) / seconds(elapsed),
        "cpuMicrosecondsEach": seconds(cpu) * 1e6 / Double(done),
    ])

case "status-sql":
    let (person, type, version) = (args[2], args[3], args[4])
    let values = [
        "$12": "'\(version)'", "$11": "NULL::timestamptz", "$10": "'in'", "$9": "'127.0.0.1'", "$8": "false",
        "$7": "NULL::bigint",
        "$6": "NULL::timestamptz",
        "$5": "NULL::timestamptz", "$4": "false", "$3": "'pgbench'", "$2": type, "$1": person,
    ]
    var sql = StatusStore.SetSQL.sql
    for key in values.keys.sorted(by: { $0.count > $1.count || ($0.count == $1.count && $0 > $1) }) {
        sql = sql.replacingOccurrences(of: key, with: values[key]!)
    }
    // One line for pgbench: a `--` comment would swallow the rest of the statement once lines are joined.
    let lines = sql.split(separator: "\n").map { line in line.range(of: "--").map { line[..<$0.lowerBound] } ?? line }
    print(lines.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ") + ";")

case "pool-bind":
    let (url, dn, password, n, concurrency) = (args[2], args[3], args[4], Int(args[5])!, Int(args[6])!)
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    let client = try LDAPClient(
        configuration: .init(servers: [try LDAPServerURL(url)], maxConnections: concurrency), serviceAccount: nil,
        logger: logger)
    let credentials = LDAPCredentials(bindName: dn, password: password)
    try await client.bind(credentials)  // warm: open the connections' first one
    let clock = ContinuousClock()
    let elapsed = try await clock.measure {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    for _ in stride(from: worker, to: n, by: concurrency) { try await client.bind(credentials) }
                }
            }
            try await group.waitForAll()
        }
    }
    await client.shutdown()
    report([
        "mode": "pool-bind", "binds": n, "concurrency": concurrency, "seconds": seconds(elapsed),
        "perSecond": Double(n) / seconds(elapsed),
    ])

case "search":
    let (url, bindDN, password, base, filter, page) = (args[2], args[3], args[4], args[5], args[6], Int(args[7])!)
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    let client = try LDAPClient(
        configuration: .init(servers: [try LDAPServerURL(url)], maxConnections: 2),
        serviceAccount: LDAPCredentials(bindName: bindDN, password: password), logger: logger)
    let clock = ContinuousClock()
    // Consumed off the main actor, as a sync task would: top-level code is main-actor isolated, and every
    // entry would otherwise hop executors.
    let (elapsed, (entries, values, bytes)) = try await Task.detached {
        var entries = 0, values = 0, bytes = 0
        let elapsed = try await clock.measure {
            for try await entry in client.search(base: base, filter: .raw(filter), pageSize: page) {
                entries += 1
                // Every value decoded to a String, as a sync maps attributes to fields.
                for name in entry.attributeNames {
                    for value in entry.strings(name) {
                        values += 1
                        bytes += value.utf8.count
                    }
                }
            }
        }
        return (elapsed, (entries, values, bytes))
    }.value
    await client.shutdown()
    report([
        "mode": "search", "entries": entries, "values": values, "bytes": bytes, "seconds": seconds(elapsed),
        "perSecond": Double(entries) / seconds(elapsed),
    ])

case "sse-fanout":
    let (port, tokensFile, streams) = (UInt16(args[2])!, args[3], Int(args[4])!)
    let tokens = try String(contentsOfFile: tokensFile, encoding: .utf8).split(separator: "\n").map(String.init)
    guard tokens.count * 10 >= streams else {
        FileHandle.standardError.write(Data("\(streams) streams need at least \((streams + 9) / 10) tokens\n".utf8))
        exit(2)
    }
    let server = args.count > 5 ? Int32(args[5]) : nil
    let result = try SSEFanout(port: port, tokens: tokens, streams: streams, serverPID: server).run()
    let ms = result.arrivals
    let percentile = { (q: Double) in ms.isEmpty ? -1 : ms[min(ms.count - 1, Int(q * Double(ms.count)))] }
    report([
        "mode": "sse-fanout", "streams": streams, "received": ms.count, "putStatus": result.putStatus,
        "min_ms": ms.first ?? -1, "p50_ms": percentile(0.5), "p99_ms": percentile(0.99), "max_ms": ms.last ?? -1,
        "serverCPU_ms": result.serverCPUMilliseconds ?? -1, "putAnswered_ms": result.putAnsweredMilliseconds ?? -1,
    ])

case "static-body":
    try await StaticBody.serve(port: Int(args[2])!, file: args[3])

default:
    FileHandle.standardError.write(Data("unknown mode \(args[1])\n".utf8))
    exit(2)
}
