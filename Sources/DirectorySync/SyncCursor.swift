import LDAPKit
import Logging
import PostgresNIO

/// Where the last complete run left the directory, so an incremental run reads only what changed since.
/// OpenLDAP: the suffix's `contextCSN` at the start of the run when the server keeps one (syncprov), else
/// the newest `entryCSN` seen (microsecond change sequence numbers, unlike `modifyTimestamp`'s seconds).
/// AD: the DC's `highestCommittedUSN` at the start of the run with the DC's `invocationId` (USNs are per
/// domain controller, so another DC means a full run).
struct SyncCursor: Sendable, Equatable {
    var flavour: DirectoryFlavour
    var settingsFingerprint: String
    var entryCSN: String?
    var highestUSN: Int64?
    var invocationID: String?
    var server: String?

    static func load(on connection: PostgresConnection, logger: Logger) async throws -> SyncCursor? {
        let rows = try await connection.query(
            "SELECT flavour, settings_hash, entry_csn, highest_usn, invocation_id, server FROM sync_cursor",
            logger: logger)
        for try await (flavour, hash, timestamp, usn, invocation, server) in rows.decode(
            (String, String, String?, Int64?, String?, String?).self)
        {
            guard let flavour = DirectoryFlavour(rawValue: flavour) else { return nil }
            return SyncCursor(
                flavour: flavour, settingsFingerprint: hash, entryCSN: timestamp, highestUSN: usn,
                invocationID: invocation, server: server)
        }
        return nil
    }

    func save(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO sync_cursor (id, flavour, settings_hash, entry_csn, highest_usn, invocation_id, server, updated_at)
            VALUES (TRUE, \(flavour.rawValue), \(settingsFingerprint), \(entryCSN), \(highestUSN), \(invocationID), \(server), now())
            ON CONFLICT (id) DO UPDATE SET flavour = EXCLUDED.flavour, settings_hash = EXCLUDED.settings_hash,
                entry_csn = EXCLUDED.entry_csn, highest_usn = EXCLUDED.highest_usn,
                invocation_id = EXCLUDED.invocation_id, server = EXCLUDED.server, updated_at = now()
            """, logger: logger)
    }

    /// The filter clause selecting entries changed since this cursor.
    var changedSince: String? {
        switch flavour {
        // Strictly after: a CSN names one change, so the entry that carries it was already read.
        case .openLDAP:
            entryCSN.map {
                LDAPFilter.and([.greaterOrEqual("entryCSN", $0), .not(.equal("entryCSN", $0))]).description
            }
        case .activeDirectory: highestUSN.map { LDAPFilter.greaterOrEqual("uSNChanged", String($0 + 1)).description }
        }
    }
}

/// What the run learns from the server before reading entries.
struct DirectoryState: Sendable {
    var contextCSN: String?
    var highestUSN: Int64?
    var invocationID: String?
    var server: String?

    /// AD: the DC's highestCommittedUSN and invocationId (from its NTDS Settings object); OpenLDAP: the contextCSN.
    static func read(from client: LDAPClient, flavour: DirectoryFlavour) async throws -> DirectoryState {
        let root = try await client.rootDSE(attributes: [
            "highestCommittedUSN", "dsServiceName", "dnsHostName", "namingContexts",
        ])
        let server = await client.preferredServers().first?.description
        guard flavour == .activeDirectory else {
            var contextCSN: String?
            if let suffix = root.string("namingContexts"),
                let entry = try await client.read(dn: suffix, attributes: ["contextCSN"])
            {
                contextCSN = entry.strings("contextCSN").max()
            }
            return DirectoryState(contextCSN: contextCSN, server: server)
        }
        var state = DirectoryState(
            highestUSN: root.string("highestCommittedUSN").flatMap(Int64.init),
            server: root.string("dnsHostName") ?? server)
        if let service = root.string("dsServiceName"),
            let settings = try await client.read(dn: service, attributes: ["invocationId"])
        {
            state.invocationID = settings.bytes("invocationId").flatMap(ObjectGUID.init(bytes:))?.description
        }
        return state
    }
}
