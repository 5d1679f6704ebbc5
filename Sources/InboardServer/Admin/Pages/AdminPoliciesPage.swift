import InboardStore
import DirectorySync
import Foundation
import Hummingbird
import Logging
import PolicyEngine

/// The Policies admin page: the policy set in INBOARD_POLICY_DIR (or why it does not validate), its links by
/// container, the client package rings, and "explain" for a user, as `inboard policy explain` shows it.
struct AdminPoliciesPage: Sendable {
    let policyDir: String
    let syncer: DirectorySyncer
    let targets: PolicyTargets
    let policies: PolicySetCache
    let renderer: WebRenderer
    let logger: Logger

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.requiring(.admin).get("admin/policies") { request, context in
            let set: PolicySet
            do { set = try await policies.current() } catch {
                return renderer.page(
                    "admin-policies", title: "Policies", section: "policies", context: context,
                    model: PoliciesPage(policyDir: policyDir), problem: "The policy set does not validate: \(error)")
            }
            let user = try request.uri.queryParameters.text("user")
            var explanation: PoliciesPage.Explanation?
            if let user { explanation = try await explain(user, set: set) }
            let model = PoliciesPage(
                policyDir: policyDir, version: set.version, policies: Self.policyRows(set),
                containers: Self.containerRows(set), rings: Self.ringRows(set, now: Date()), explainUser: user,
                explain: explanation)
            return renderer.page(
                "admin-policies", title: "Policies", section: "policies", context: context, model: model)
        }
    }

    static func policyRows(_ set: PolicySet) -> [PoliciesPage.Policy] {
        let listed = { (settings: [String: SettingValue]) in
            settings.keys.sorted().map { "\($0) = \(settings[$0]!)" }.joined(separator: ", ")
        }
        return set.policies.values.sorted { $0.id < $1.id }.map { policy in
            PoliciesPage.Policy(
                id: policy.id, name: policy.name, status: policy.status.rawValue,
                version: "\(policy.version.user).\(policy.version.computer)", user: listed(policy.user.settings),
                computer: listed(policy.computer.settings))
        }
    }

    static func containerRows(_ set: PolicySet) -> [PoliciesPage.Container] {
        set.links.containers.map { container in
            PoliciesPage.Container(
                dn: container.dn, blocks: container.blockInheritance == true,
                links: (container.links ?? []).sorted { $0.order < $1.order }.map {
                    .init(
                        policy: $0.policy, order: $0.order, enforced: $0.enforced == true, disabled: $0.enabled == false
                    )
                })
        }
    }

    /// Each policy's package rings: who is in them, whether they are live, and the version they run now.
    static func ringRows(_ set: PolicySet, now: Date) -> [PoliciesPage.Ring] {
        set.policies.values.sorted { $0.id < $1.id }.flatMap { policy -> [PoliciesPage.Ring] in
            guard let package = policy.computer.package ?? policy.user.package else { return [] }
            guard let rollout = package.rollout else {
                return [.init(policy: policy.id, ring: "all", who: "everyone", version: package.version, state: "live")]
            }
            return rollout.rings.map { ring in
                let live = rollout.isLive(ring, asOf: now)
                let state =
                    rollout.halted == true
                    ? "halted"
                    : ring.paused == true
                        ? "paused" : live ? "live" : "from \(WebFormat.shortTime(rollout.liveFrom(ring)))"
                let who = [
                    [ring.groups.map { "\($0.count) group(s)" }, ring.percent.map { "\($0)% of targets" }]
                        .compactMap { $0 }.joined(separator: " or "),
                    ring.exclude.flatMap { $0.isEmpty ? nil : "except \($0.count) group(s)" },
                ].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
                return .init(
                    policy: policy.id, ring: ring.name, who: who,
                    version: live ? package.version : rollout.previousVersion, state: state)
            }
        }
    }

    /// A user's RSoP rows: setting, value, winner and losers; then every link's outcome.
    func explain(_ username: String, set: PolicySet) async throws -> PoliciesPage.Explanation {
        guard let settings = try await syncer.storedSettings(), let domain = PolicyTargets.domain(of: settings) else {
            return .init(missing: "No directory is connected.")
        }
        let snapshot = try await targets.load(.username(username), domain: domain)
        guard let target = snapshot.users.first else {
            return .init(missing: "No synced directory user named \(username).")
        }
        let rsop = PolicyEvaluator(set: set, domain: domain).evaluate(target, kind: .user)
        return .init(
            dn: target.dn,
            settings: rsop.settings.keys.sorted().map { key in
                let result = rsop.settings[key]!
                return .init(
                    key: key, value: result.value.description, policy: result.policy, container: result.container,
                    enforced: result.enforced,
                    losers: result.losers.map { "\($0.policy) (\($0.value))" }.joined(separator: ", "))
            },
            links: rsop.links.map {
                .init(
                    policy: $0.policy, container: $0.container, order: $0.order, enforced: $0.enforced,
                    outcome: $0.outcome.rawValue, applied: $0.outcome == .applied)
            })
    }
}
