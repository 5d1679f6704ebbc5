import Foundation

/// The Policies page: the set's folder and version, its policies, links by container, package rings, and the
/// explanation of one user's resulting settings.
struct PoliciesPage {
    struct Policy {
        let id: String
        let name: String
        let status: String
        let version: String
        let user: String
        let computer: String
    }

    struct Link {
        let policy: String
        let order: Int
        let enforced: Bool
        let disabled: Bool
    }

    struct Container {
        let dn: String
        let blocks: Bool
        let links: [Link]
    }

    struct Ring {
        let policy: String
        let ring: String
        let who: String
        let version: String
        let state: String
    }

    struct Explanation {
        struct Setting {
            let key: String
            let value: String
            let policy: String
            let container: String
            let enforced: Bool
            let losers: String
        }

        struct Outcome {
            let policy: String
            let container: String
            let order: Int
            let enforced: Bool
            let outcome: String
            let applied: Bool
        }

        var missing: String?
        var dn: String?
        var settings: [Setting] = []
        var links: [Outcome] = []
    }

    let policyDir: String
    var version: String?
    var policies: [Policy] = []
    var containers: [Container] = []
    var rings: [Ring] = []
    var explainUser: String?
    var explain: Explanation?
}
