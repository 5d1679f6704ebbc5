import Foundation

/// Why a link did or did not contribute, as RSoP lists it.
public enum LinkOutcome: String, Codable, Sendable {
    case applied
    case linkDisabled = "link disabled"
    case halfDisabled = "this half of the policy is disabled"
    case blocked = "blocked by Block Inheritance"
    case denied = "security filtering: denied"
    /// Also an account the apply list does not name (the text is kept as it was for readers of the JSON).
    case notInApplyGroups = "security filtering: not in an apply group"
    case targetingFalse = "item-level targeting is false"
}

/// One link as evaluated for a target.
public struct EvaluatedLink: Codable, Sendable, Equatable {
    public var policy: String
    public var container: String
    public var order: Int
    public var enforced: Bool
    public var outcome: LinkOutcome
}

/// A setting's winner and the policies whose value lost to it.
public struct SettingResult: Codable, Sendable, Equatable {
    public struct Loser: Codable, Sendable, Equatable {
        public var policy: String
        public var container: String
        public var value: SettingValue
    }
    public var value: SettingValue
    public var policy: String
    public var container: String
    public var enforced: Bool
    public var losers: [Loser]
}

/// The resultant set of policy for one target.
public struct RSoP: Codable, Sendable, Equatable {
    public var kind: TargetKind
    public var name: String
    public var dn: String
    public var settings: [String: SettingResult]
    public var packageSource: PackageSource?
    public var loopback: Policy.Half.Loopback?
    public var links: [EvaluatedLink]
    var policies: [String: Policy.Package] = [:]

    public struct PackageSource: Codable, Sendable, Equatable {
        public var policy: String
        public var container: String
    }

    enum CodingKeys: String, CodingKey { case kind, name, dn, settings, packageSource, loopback, links }

    public static func == (a: RSoP, b: RSoP) -> Bool {
        a.kind == b.kind && a.name == b.name && a.settings == b.settings && a.packageSource == b.packageSource
            && a.links == b.links && a.loopback == b.loopback
    }
}

/// Group Policy processing: Local → Site → Domain → OU (parent before child), later wins; within a container
/// link order 1 last; Block Inheritance drops non-enforced links from above; enforced links cannot be blocked
/// or overridden, and between enforced links the higher container wins; disabled links and halves do not
/// apply; security filtering (deny wins) and item-level targeting decide applicability.
public struct PolicyEvaluator: Sendable {
    let set: PolicySet
    let domain: String
    /// Per container: its links in processing order, with what Block Inheritance dropped.
    private let chains: Chains

    final class Chains: @unchecked Sendable {  // filled lazily, read-only per target: one evaluator per thread
        var cache: [String: [Candidate]] = [:]
    }

    struct Candidate {
        let link: LinksDocument.Link
        let container: String
        let depth: Int
        let blocked: Bool
        /// The link's place in links.yaml: equal ids are the same link.
        let id: LinkID
    }

    /// A link by its place in links.yaml: its container's position and its own within that container.
    struct LinkID: Hashable {
        let container: Int
        let link: Int
    }

    /// The links that reach a target in processing order, and whether each applied: the RSoP is built from
    /// this, and targets with the same applied links (and package assignment) share one manifest.
    struct Applicability {
        let candidates: [Candidate]
        let outcomes: [LinkOutcome]
        /// Normalised group DNs, for rings.
        let groups: Set<String>
        var applied: [Candidate] { zip(candidates, outcomes).filter { $0.1 == .applied }.map(\.0) }
    }

    /// Each policy's security groups, normalised once.
    private let filters: [String: (apply: Set<String>, deny: Set<String>)]
    private let containersByDN: [String: (index: Int, container: LinksDocument.Container)]

    public init(set: PolicySet, domain: String) {
        self.set = set
        self.domain = domain
        self.chains = Chains()
        filters = set.policies.mapValues {
            (Set($0.security.apply.map(DN.normalised)), Set($0.security.deny.map(DN.normalised)))
        }
        containersByDN = Dictionary(
            set.links.containers.enumerated().map { (DN.normalised($0.element.dn), ($0.offset, $0.element)) },
            uniquingKeysWith: { first, _ in first })
    }

    /// The candidate links for a target under `parent` (and in `site`), in processing order (last wins).
    func candidates(parent: String, site: String?) -> [Candidate] {
        let key = (site ?? "") + "|" + parent
        if let cached = chains.cache[key] { return cached }
        let byDN = containersByDN
        var scopes: [(dn: String, container: (index: Int, container: LinksDocument.Container)?)] = []
        if let site { scopes.append(("site:" + site.lowercased(), byDN["site:" + site.lowercased()])) }
        for dn in DN.chain(of: "cn=x," + parent, domain: domain) { scopes.append((dn, byDN[dn])) }
        var normal: [Candidate] = [], enforced: [Candidate] = []
        for (depth, scope) in scopes.enumerated() {
            guard let (containerIndex, container) = scope.container else { continue }
            if container.blockInheritance == true {
                normal = normal.map {
                    Candidate(link: $0.link, container: $0.container, depth: $0.depth, blocked: true, id: $0.id)
                }
            }
            let links = (container.links ?? []).enumerated().sorted { $0.element.order > $1.element.order }
            for (linkIndex, link) in links {  // order 1 last: it wins
                let candidate = Candidate(
                    link: link, container: container.dn, depth: depth, blocked: false,
                    id: LinkID(container: containerIndex, link: linkIndex))
                if link.enforced == true { enforced.append(candidate) } else { normal.append(candidate) }
            }
        }
        // Enforced links come after every normal one; the highest container's last, so it wins.
        let ordered =
            normal + enforced.sorted { $0.depth != $1.depth ? $0.depth > $1.depth : $0.link.order > $1.link.order }
        chains.cache[key] = ordered
        return ordered
    }

    /// The RSoP of one user or computer. Site-linked policies come from `site`: for a user, the site of the
    /// computer they sign in on; without one, the target's own site (as Group Policy does).
    public func evaluate(_ target: DirectorySnapshot.Target, kind: TargetKind, site: String? = nil) -> RSoP {
        evaluate(target, kind: kind, applicability: applicability(target, kind: kind, site: site))
    }

    /// Which links reach the target and which of them apply (security filtering, targeting, blocking). The links
    /// are those of the target's own container, or of `location` (loopback: the computer's); filtering and
    /// targeting are always about the target itself.
    func applicability(
        _ target: DirectorySnapshot.Target, kind: TargetKind, site: String? = nil, linksFrom location: String? = nil
    ) -> Applicability {
        let groups = Set(target.groups.map(DN.normalised))
        let account = DN.normalised(target.dn)
        let parent = location ?? DN.parent(account) ?? DN.normalised(domain)
        let candidates = candidates(parent: parent, site: site ?? target.site)
        let principals = Principals(account: account, groups: groups)
        let outcomes = candidates.map { candidate in
            outcome(
                candidate, policy: set.policies[candidate.link.policy]!, kind: kind, principals: principals,
                target: target)
        }
        return Applicability(candidates: candidates, outcomes: outcomes, groups: groups)
    }

    /// The RSoP from the applicable links: each applied policy's settings over the previous ones.
    func evaluate(_ target: DirectorySnapshot.Target, kind: TargetKind, applicability: Applicability) -> RSoP {
        var result = RSoP(
            kind: kind, name: target.name, dn: target.dn, settings: [:], packageSource: nil, loopback: nil, links: [])
        for (candidate, outcome) in zip(applicability.candidates, applicability.outcomes) {
            let policy = set.policies[candidate.link.policy]!
            result.links.append(
                EvaluatedLink(
                    policy: policy.id, container: candidate.container, order: candidate.link.order,
                    enforced: candidate.link.enforced == true, outcome: outcome))
            guard outcome == .applied else { continue }
            apply(
                policy.half(kind), policy: policy.id, container: candidate.container,
                enforced: candidate.link.enforced == true, to: &result)
        }
        return result
    }

    /// The package that wins for these applied links (the last applied policy with one), without the settings.
    func packageSource(_ applied: [Candidate], kind: TargetKind) -> (source: RSoP.PackageSource, Policy.Package)? {
        for candidate in applied.reversed() {
            if let package = set.policies[candidate.link.policy]!.half(kind).package {
                return (RSoP.PackageSource(policy: candidate.link.policy, container: candidate.container), package)
            }
        }
        return nil
    }

    /// Whom a policy's security filter names: the user or computer account itself, or a group it is in.
    struct Principals {
        let account: String
        let groups: Set<String>

        /// An empty list names no one (and most are empty: nothing is hashed for them).
        func named(in filter: Set<String>) -> Bool {
            !filter.isEmpty && (filter.contains(account) || !filter.isDisjoint(with: groups))
        }
    }

    func outcome(
        _ candidate: Candidate, policy: Policy, kind: TargetKind, principals: Principals,
        target: DirectorySnapshot.Target
    ) -> LinkOutcome {
        if candidate.link.enabled == false { return .linkDisabled }
        if candidate.blocked { return .blocked }
        if !policy.halfEnabled(kind) { return .halfDisabled }
        let filter = filters[policy.id]!
        if principals.named(in: filter.deny) { return .denied }
        if !filter.apply.isEmpty, !principals.named(in: filter.apply) { return .notInApplyGroups }
        let groups = principals.groups
        if let targeting = policy.targeting, !matches(targeting, target: target, groups: groups) {
            return .targetingFalse
        }
        return .applied
    }

    func apply(_ half: Policy.Half, policy: String, container: String, enforced: Bool, to result: inout RSoP) {
        for (key, value) in half.settings {
            var losers = result.settings[key]?.losers ?? []
            if let previous = result.settings[key], previous.policy != policy || previous.container != container {
                losers.append(
                    SettingResult.Loser(policy: previous.policy, container: previous.container, value: previous.value))
            }
            // A policy applied twice (loopback merge reapplies the location's list) is one entry, not its own loser.
            var seen = Set<String>()
            losers = losers.filter {
                !($0.policy == policy && $0.container == container)
                    && seen.insert($0.policy + "|" + $0.container).inserted
            }
            losers.sort { $0.policy < $1.policy }
            result.settings[key] = SettingResult(
                value: value, policy: policy, container: container, enforced: enforced, losers: losers)
        }
        if let package = half.package {
            result.packageSource = RSoP.PackageSource(policy: policy, container: container)
            result.policies[policy] = package
        }
        if let loopback = half.loopback { result.loopback = loopback }
    }

    func matches(_ targeting: Targeting, target: DirectorySnapshot.Target, groups: Set<String>) -> Bool {
        switch targeting {
        case let .all(items): items.allSatisfy { matches($0, target: target, groups: groups) }
        case let .any(items): items.contains { matches($0, target: target, groups: groups) }
        case let .not(item): !matches(item, target: target, groups: groups)
        case let .group(dn): groups.contains(DN.normalised(dn))
        case let .ou(dn): DN.isWithin(target.dn, dn)
        case let .attribute(name, equals):
            target.attributes?[name.lowercased()]?.lowercased() == equals.lowercased()
        case let .filter(name): set.links.filters?[name].map { matches($0, target: target, groups: groups) } ?? false
        }
    }

    /// Loopback processing for a user signing in on a computer whose policies set it: Replace uses only the
    /// user settings of the policies that apply at the computer's location; Merge applies the user's own first,
    /// then the computer location's, which win.
    public func evaluate(user: DirectorySnapshot.Target, on computer: DirectorySnapshot.Target) -> RSoP {
        let site = computer.site ?? user.site
        let own = evaluate(user, kind: .user, site: site)
        guard let mode = evaluate(computer, kind: .computer).loopback else { return own }
        // The user settings of the policies linked at the computer's location, filtered and targeted against the
        // user (who must be allowed to apply them), as Group Policy does.
        let location = DN.parent(DN.normalised(computer.dn)) ?? DN.normalised(domain)
        let there = evaluate(
            user, kind: .user, applicability: applicability(user, kind: .user, site: site, linksFrom: location))
        guard mode == .merge else { return there }
        var merged = own
        for link in there.links where link.outcome == .applied {
            let policy = set.policies[link.policy]!
            apply(policy.user, policy: policy.id, container: link.container, enforced: link.enforced, to: &merged)
        }
        merged.links += there.links
        return merged
    }
}
