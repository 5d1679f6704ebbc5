import LDAPKit
import PostgresNIO

/// Streams directory entries into temporary staging tables with COPY: a page is being fetched while the
/// previous one is encoded and sent, and at most one COPY buffer (256 KiB) is held at a time.
extension DirectorySyncer {
    static let flushBytes = 1 << 18

    struct StagingResult {
        var people = 0
        var groups = 0
        var newestChange: String?
        var warnings: [String] = []
        /// Entries left out for having no username: still in the directory, so a full run must not take them
        /// for leavers, and whether the directory disables them still applies (`SkippedPerson`).
        var skippedPeople: [SkippedPerson] = []
        /// Entries staged after another entry with the same username.
        var clashing: [String] = []

        mutating func noteChange(_ entry: LDAPEntry, flavour: DirectoryFlavour) {
            guard flavour == .openLDAP, let stamp = entry.string("entryCSN") else { return }
            if newestChange.map({ stamp > $0 }) ?? true { newestChange = stamp }
        }
    }

    static func createStagingTables(on connection: PostgresConnection, context: SyncContext) async throws {
        let people = PersonMapper.stagedColumns.map { "\($0) \($0 == "photo" ? "bytea" : "text")" }.joined(
            separator: ", ")
        for statement in [
            "CREATE TEMP TABLE sync_people (\(people)) ON COMMIT DROP",
            "CREATE TEMP TABLE sync_group_rows (kind text, group_id text, a text, b text, c text, d bytea) ON COMMIT DROP",
            "CREATE TEMP TABLE sync_inchain (group_dn text, directory_id text) ON COMMIT DROP",
            // People in the directory whose entries are not applied for their username (SkippedPerson).
            "CREATE TEMP TABLE sync_skipped (directory_id text, disabled_reason text, claims_username bool) ON COMMIT DROP",
        ] {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: context.logger)
        }
    }

    static func filter(_ base: String, changedSince: String?) throws -> LDAPFilter {
        .raw(changedSince.map { "(&\(base)\($0))" } ?? base)
    }

    typealias Search = (base: String, filter: LDAPFilter, attributes: [String])

    /// Streams the entries of `searches` through `encode` into one COPY of `table`, 256 KiB at a time. LDAP
    /// failures are explained against `settings` (the base and filter setting names in use).
    static func copy(
        _ searches: [Search], into table: String, columns: [String] = [], on connection: PostgresConnection,
        context: SyncContext, settings: (base: String, filter: String),
        encode: (LDAPEntry, inout CopyRowEncoder) async throws -> Void
    ) async throws {
        try connection.ensureOpen()  // the previous search may have taken long
        try await connection.copyFrom(table: table, columns: columns, logger: context.logger) { writer in
            var encoder = CopyRowEncoder()
            for search in searches {
                do {
                    for try await entry in context.client.search(
                        base: search.base, filter: search.filter, attributes: search.attributes)
                    {
                        try await encode(entry, &encoder)
                        if encoder.readableBytes >= flushBytes { try await writer.write(encoder.take()) }
                    }
                } catch {
                    throw SyncError.explaining(error, searching: settings)
                }
            }
            if encoder.readableBytes > 0 { try await writer.write(encoder.take()) }
        }
    }

    static func stageUsers(on connection: PostgresConnection, context: SyncContext, result: inout StagingResult)
        async throws
    {
        let settings = context.settings
        let mapper = PersonMapper(settings: settings)
        let filter = try filter(settings.userFilter, changedSince: context.changedSince)
        context.progress.set(phase: .readingUsers)
        var identities = Set<String>(), usernames = Set<String>()
        let searches = settings.baseDN.map { Search($0, filter, settings.userSearchAttributes) }
        try await copy(
            searches, into: "sync_people", columns: PersonMapper.stagedColumns, on: connection, context: context,
            settings: ("baseDN", "userFilter")
        ) { entry, encoder in
            var values = StorableValues(entry)
            switch mapper.keys(of: &values) {
            case let .failure(skipped):
                result.warnings += values.warnings + [skipped.reason]
                if let identity = skipped.identity {
                    result.skippedPeople.append(
                        SkippedPerson(identity: identity, disabledReason: mapper.disabledReason(of: entry)))
                }
            case let .success((identity, username)):
                // The same entry under two base DNs counts once. A second entry with a taken username is staged
                // too, marked: which one keeps the name is settled against what is stored (SyncMerge).
                guard identities.insert(identity).inserted else { break }
                if !usernames.insert(username.lowercased()).inserted { result.clashing.append(identity) }
                mapper.encode(&values, identity: identity, username: username, into: &encoder)
                result.warnings += values.warnings
                result.people += 1
            }
            result.noteChange(entry, flavour: settings.flavour)
            context.progress.advance()
        }
        if !result.skippedPeople.isEmpty {
            // '' stands for NULL: arrays of optionals are not bound (no disabled reason is empty).
            let skipped = result.skippedPeople
            let (ids, reasons) = (skipped.map(\.identity), skipped.map { $0.disabledReason ?? "" })
            try await connection.query(
                "INSERT INTO sync_skipped SELECT i, NULLIF(r, ''), FALSE FROM unnest(\(ids)::text[], \(reasons)::text[]) AS s(i, r)",
                logger: context.logger)
        }
    }

    /// Groups and their direct members as one stream of rows: `g` rows (dn, name, description, digest of the
    /// members) and `m` rows (member value, `dn` or `uid`). AD's ranged `member` values are fetched to the end.
    static func stageGroups(on connection: PostgresConnection, context: SyncContext, result: inout StagingResult)
        async throws
    {
        let settings = context.settings
        let mapper = PersonMapper(settings: settings)
        let filter = try filter(settings.groupFilter, changedSince: context.changedSince)
        let attributes = Array(
            Set(
                [
                    settings.identityAttribute, settings.groupNameAttribute, "description",
                    settings.flavour.changeAttribute,
                ]
                    + settings.membershipAttributes))
        context.progress.set(phase: .readingGroups)
        let searches = settings.groupBaseDN.map { Search($0, filter, attributes) }
        try await copy(
            searches, into: "sync_group_rows", on: connection, context: context,
            settings: ("groupBaseDN", "groupFilter")
        ) { entry, encoder in
            guard StorableValues.isStorable(entry.dn) else {
                result.warnings.append("a group whose DN holds a NUL byte: skipped")
                return
            }
            guard let id = mapper.identity(of: entry), StorableValues.isStorable(id) else {
                result.warnings.append(
                    "group \(entry.dn) has no \(settings.identityAttribute) that can be stored: skipped")
                return
            }
            var values = StorableValues(entry)
            let name =
                values.string(settings.groupNameAttribute) ?? (try? DistinguishedName(entry.dn))?.leafValue ?? entry.dn
            var digest = MemberDigest()
            for attribute in settings.membershipAttributes {
                let kind = attribute.lowercased() == "memberuid" ? "uid" : "dn"
                for member in try await members(of: &values, attribute: attribute, client: context.client) {
                    digest.add(member, kind: kind)
                    encoder.text("m"); encoder.text(id); encoder.text(member); encoder.text(kind); encoder.text(nil)
                    encoder.bytea(nil)
                    encoder.endRow()
                }
            }
            encoder.text("g"); encoder.text(id); encoder.text(entry.dn); encoder.text(name)
            encoder.text(values.string("description")); encoder.bytea(digest.finish())
            encoder.endRow()
            result.warnings += values.warnings
            result.groups += 1
            result.noteChange(entry, flavour: settings.flavour)
            context.progress.advance()
        }
    }

    private static func members(of values: inout StorableValues, attribute: String, client: LDAPClient) async throws
        -> [String]
    {
        let entry = values.entry
        guard let ranged = entry.rangedValues(attribute) else { return values.strings(attribute) }
        let all = ranged.nextStart == nil ? ranged.values : try await client.allValues(of: attribute, in: entry.dn)
        return values.strings(all, of: attribute)
    }

    /// Whether a run asks the DC for each mapped group's members through nesting (AD, with mappings).
    static func asksInChain(_ settings: DirectorySettings) -> Bool {
        settings.flavour == .activeDirectory && !settings.groups.isEmpty
    }

    /// AD: the people in each mapped group through any depth of nesting, asked of the DC with the in-chain
    /// rule, so nesting through groups outside the group filter still counts.
    static func stageInChainMembers(on connection: PostgresConnection, context: SyncContext) async throws {
        let settings = context.settings
        guard asksInChain(settings) else { return }
        let mapper = PersonMapper(settings: settings)
        for mapping in settings.groups {
            let filter = LDAPFilter.and([.raw(settings.userFilter), .memberOfInChain(mapping.group)])
            let searches = settings.baseDN.map { Search($0, filter, [settings.identityAttribute]) }
            try await copy(
                searches, into: "sync_inchain", on: connection, context: context, settings: ("baseDN", "groups")
            ) { entry, encoder in
                guard let id = mapper.identity(of: entry), StorableValues.isStorable(id) else { return }
                encoder.text(mapping.group); encoder.text(id)
                encoder.endRow()
            }
        }
    }
}
