// Measurements behind scripts/bench. Each mode prints one JSON line; scripts/bench runs the baselines and
// compares. Modes:
//   raw-bind URL DN PASSWORD N                 N sequential simple binds on one libldap handle (the baseline)
//   pool-bind URL DN PASSWORD N CONCURRENCY    N binds through LDAPClient.bind with CONCURRENCY tasks
//   search URL BINDDN PASSWORD BASE FILTER PAGE  a paged search through LDAPSearchResults, every attribute read
import CLDAP
import Foundation
import LDAPKit
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
guard args.count >= 2 else { FileHandle.standardError.write(Data("usage: see the comment in main.swift\n".utf8)); exit(2) }

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
    report(["mode": "raw-bind", "binds": n, "failures": failures, "seconds": seconds(elapsed), "perSecond": Double(n) / seconds(elapsed)])

case "pool-bind":
    let (url, dn, password, n, concurrency) = (args[2], args[3], args[4], Int(args[5])!, Int(args[6])!)
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    let client = try LDAPClient(configuration: .init(servers: [try LDAPServerURL(url)], maxConnections: concurrency), serviceAccount: nil, logger: logger)
    let credentials = LDAPCredentials(bindName: dn, password: password)
    try await client.bind(credentials)   // warm: open the connections' first one
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
    report(["mode": "pool-bind", "binds": n, "concurrency": concurrency, "seconds": seconds(elapsed), "perSecond": Double(n) / seconds(elapsed)])

case "search":
    let (url, bindDN, password, base, filter, page) = (args[2], args[3], args[4], args[5], args[6], Int(args[7])!)
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    let client = try LDAPClient(configuration: .init(servers: [try LDAPServerURL(url)], maxConnections: 2),
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
    report(["mode": "search", "entries": entries, "values": values, "bytes": bytes, "seconds": seconds(elapsed), "perSecond": Double(entries) / seconds(elapsed)])

default:
    FileHandle.standardError.write(Data("unknown mode \(args[1])\n".utf8))
    exit(2)
}
