import Mustache

/// What the layout shows around every page: the title, a notice or problem, which navigation link is current,
/// the signed-in person (admin links for admins only) and the CSRF token every form carries.
struct PageFrame {
    struct Me {
        let id: Int64
        let displayName: String
        let username: String
        let role: String
    }

    let title: String
    let notice: String?
    let problem: String?
    /// The navigation section this page belongs to: the layout asks `section_<name>`.
    let section: String
    let me: Me?
    let isAdmin: Bool
    let isDelegate: Bool
    let csrf: String?
}

/// What a page template renders from: the layout's names from the frame, every other name from the page's
/// own view model (a struct, read by its property names).
struct PageView<Model>: MustacheParent {
    let frame: PageFrame
    let model: Model

    func child(named name: String) -> Any? {
        switch name {
        case "title": return frame.title
        case "notice": return frame.notice
        case "problem": return frame.problem
        case "me": return frame.me
        case "isAdmin": return frame.isAdmin
        case "isDelegate": return frame.isDelegate
        case "csrf": return frame.csrf
        case _ where name.hasPrefix("section_"): return name == "section_" + frame.section
        default: return Self.property(name, of: model)
        }
    }

    /// A stored property's value; nil for an empty optional or a name the model does not have.
    static func property(_ name: String, of model: Any) -> Any? {
        guard let value = Mirror(reflecting: model).children.first(where: { $0.label == name })?.value else {
            return nil
        }
        let mirror = Mirror(reflecting: value)
        return mirror.displayStyle == .optional ? mirror.children.first?.value : value
    }
}

/// A page with nothing of its own beyond the layout.
struct NoPageModel {}

/// The error page: the HTTP status and the message the API would give.
struct ErrorPage {
    let status: Int
    let message: String
}
