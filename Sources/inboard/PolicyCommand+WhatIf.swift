import ArgumentParser
import Foundation
import LDAPKit
import PolicyEngine

extension PolicyCommand {
    /// Group Policy modelling: the RSoP of a user who does not exist (or not there yet), alone or signing in on
    /// a computer that does not exist either: its location, groups and site, loopback included.
    struct WhatIf: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "what-if",
            abstract: "Model a hypothetical user (a name in an OU with groups), alone or on a hypothetical computer.",
            discussion: """
                With --computer-ou the user signs in on a computer in that OU (with --computer-groups and --site): \
                site-linked policies come from that site, and the computer's loopback setting applies.
                """)
        @OptionGroup var inputs: Inputs
        @Option(help: "The user's name.") var user: String
        @Option(help: "The OU the user would be in (a DN).") var ou: String
        @Option(help: "Group DNs, separated by semicolons.") var groups: String = ""
        @Option(help: "The OU of the computer the user signs in on (a DN).") var computerOu: String?
        @Option(help: "The computer's group DNs, separated by semicolons.") var computerGroups: String = ""
        @Option(help: "The AD site the computer is in.") var site: String?

        func validate() throws {
            if computerOu == nil, !computerGroups.isEmpty || site != nil {
                throw ValidationError("--computer-groups and --site describe a computer: give --computer-ou too")
            }
        }

        func run() async throws {
            let (set, snapshot) = try await inputs.load()
            let target = DirectorySnapshot.Target(
                name: user, dn: "cn=\(DistinguishedName.escape(user)),\(ou)", groups: Self.list(groups))
            let evaluator = PolicyEvaluator(set: set, domain: snapshot.domain)
            let rsop =
                computerOu.map { location in
                    let computer = DirectorySnapshot.Target(
                        name: "modelled computer", dn: "cn=modelled computer,\(location)",
                        groups: Self.list(computerGroups), site: site)
                    return evaluator.evaluate(user: target, on: computer)
                } ?? evaluator.evaluate(target, kind: .user)
            print(
                RSoPReport.text(
                    rsop,
                    manifest: ManifestBuilder(set: set, directory: snapshot, asOf: try inputs.date()).manifest(
                        for: rsop, target: target)))
        }

        static func list(_ text: String) -> [String] {
            text.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }
}
