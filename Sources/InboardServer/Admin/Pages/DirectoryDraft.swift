import DirectorySync
import Foundation

/// The directory settings as the admin pages edit them: the stored document (JSON, no password) with a
/// form's fields laid over it, turned back into `DirectorySettings` by the same parser the API and the
/// command line use, so every page gets the same validation and messages.
struct DirectoryDraft {
    var document: [String: Any]
    var password: String?

    init(stored: DirectorySettings?) {
        let json = stored?.json() ?? #"{"flavour":"openldap"}"#
        document = (try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]) ?? [:]
    }

    /// The connection fields of the Directory page.
    mutating func applyConnection(_ form: FormBody) {
        for key in [
            "flavour", "domain", "tls", "caFile", "bindDN", "userFilter", "groupFilter", "loginAttribute",
            "identityAttribute",
        ] {
            document[key] = form[key]
        }
        for key in ["servers", "baseDN", "groupBaseDN"] {
            let lines = (form[key] ?? "").split(whereSeparator: \.isNewline).map {
                $0.trimmingCharacters(in: .whitespaces)
            }.filter { !$0.isEmpty }
            document[key] = lines.isEmpty ? nil : lines
        }
        document["insecureSkipVerify"] = form.has("insecureSkipVerify")
        password = form.all("bindPassword").first.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The attribute and group tables of the Mappings page (rows without a group DN are dropped).
    mutating func applyMappings(_ form: FormBody) {
        var attributes: [String: String] = [:]
        for field in PersonField.allCases {
            if let value = form["attr." + field.rawValue] { attributes[field.rawValue] = value }
        }
        document["attributes"] = attributes
        let (groups, roles, departments, boards) = (
            form.all("group"), form.all("role"), form.all("department"), form.all("board")
        )
        var rows: [[String: String]] = []
        for (index, group) in groups.enumerated() {
            let dn = group.trimmingCharacters(in: .whitespaces)
            guard !dn.isEmpty else { continue }
            var row = ["group": dn]
            for (key, values) in [("role", roles), ("department", departments), ("board", boards)] {
                let value = index < values.count ? values[index].trimmingCharacters(in: .whitespaces) : ""
                if !value.isEmpty { row[key] = value }
            }
            rows.append(row)
        }
        document["groups"] = rows
    }

    /// The schedule fields of the Sync page ("5m", "1d" or "off").
    mutating func applySchedule(_ form: FormBody) {
        document["schedule"] = [
            "incrementalEvery": form["incrementalEvery"] ?? "off", "fullEvery": form["fullEvery"] ?? "off",
        ]
    }

    /// The draft as settings, with the stored password when the form left the password blank (and the servers
    /// are those the password was saved for).
    func settings(stored: DirectorySettings?) throws -> DirectorySettings {
        var body = document
        body["bindPassword"] = password
        return try DirectorySettings(json: try JSONSerialization.data(withJSONObject: body)).withStoredPassword(
            from: stored)
    }
}
