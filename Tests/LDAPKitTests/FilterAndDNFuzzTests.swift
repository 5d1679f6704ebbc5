import InboardTestSupport
import LDAPKit
import Testing

/// Properties of the filter and DN code, over random and hostile values: whatever a user types, a filter Inboard
/// renders is valid and keeps its shape, a DN reads back as it was written, and no text crashes either parser.
@Suite struct FilterAndDNFuzzTests {
    static let attributes = ["uid", "cn", "mail", "memberOf", "sAMAccountName", "departmentNumber"]

    func filter(_ fuzz: inout Fuzz, depth: Int = 0) -> LDAPFilter {
        let attribute = Self.attributes.randomElement(using: &fuzz)!
        switch Int.random(in: 0..<(depth < 3 ? 9 : 6), using: &fuzz) {
        case 0: return .equal(attribute, fuzz.text(maxLength: 12))
        case 1: return .present(attribute)
        case 2:
            return .substring(
                attribute, initial: fuzz.text(maxLength: 6), any: (0..<2).map { _ in fuzz.text(maxLength: 4) },
                final: fuzz.text(maxLength: 6))
        case 3: return .greaterOrEqual(attribute, fuzz.text(maxLength: 8))
        case 4: return .approx(attribute, fuzz.text(maxLength: 8))
        case 5: return .extensible(attribute: "memberOf", rule: LDAPFilter.inChainRule, value: fuzz.text(maxLength: 20))
        case 6: return .and((0..<Int.random(in: 1...3, using: &fuzz)).map { _ in filter(&fuzz, depth: depth + 1) })
        case 7: return .or((0..<Int.random(in: 1...3, using: &fuzz)).map { _ in filter(&fuzz, depth: depth + 1) })
        default: return .not(filter(&fuzz, depth: depth + 1))
        }
    }

    /// The parentheses a filter's text really has (escaped ones are values), in order.
    static func structure(_ text: String) -> String {
        var out = "", escaped = 0
        for byte in text.utf8 {
            if escaped > 0 { escaped -= 1; continue }
            switch byte {
            case UInt8(ascii: "\\"): escaped = 2
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "&"), UInt8(ascii: "|"), UInt8(ascii: "!"):
                out.append(Character(Unicode.Scalar(byte)))
            default: break
            }
        }
        return out
    }

    static func expectedStructure(_ filter: LDAPFilter) -> String {
        switch filter {
        case let .and(parts): "(&" + parts.map(expectedStructure).joined() + ")"
        case let .or(parts): "(|" + parts.map(expectedStructure).joined() + ")"
        case let .not(part): "(!" + expectedStructure(part) + ")"
        default: "()"
        }
    }

    @Test func everyRenderedFilterIsValidAndKeepsItsShape() {
        var fuzz = Fuzz()
        for _ in 0..<Fuzz.iterations {
            let built = filter(&fuzz)
            let text = built.description
            #expect(throws: Never.self, "seed \(fuzz.seed): \(text)") { _ = try LDAPFilter(parsing: text) }
            // No value can open or close a parenthesis or add an operator: the structure is the tree's.
            #expect(Self.structure(text) == Self.expectedStructure(built), "seed \(fuzz.seed): \(text)")
        }
    }

    @Test func noTextCrashesTheFilterParser() {
        var fuzz = Fuzz()
        let seeds = ["(uid=alice)", "(&(objectClass=person)(!(cn=a*b*c)))", "(memberOf:1.2.840.113556.1.4.1941:=cn=x)"]
        for _ in 0..<Fuzz.iterations * 3 {
            let text = fuzz.mutated(seeds.randomElement(using: &fuzz)!, edits: Int.random(in: 1...6, using: &fuzz))
            do { _ = try LDAPFilter(parsing: text) } catch {
                #expect(error.offset >= 0 && error.offset <= text.utf8.count, "seed \(fuzz.seed): \(text)")
            }
        }
    }

    @Test func aDistinguishedNameReadsBackAsItWasWritten() throws {
        var fuzz = Fuzz()
        for _ in 0..<Fuzz.iterations {
            let rdns = (0..<Int.random(in: 1...4, using: &fuzz)).map { _ in
                (0..<Int.random(in: 1...2, using: &fuzz)).map { _ in
                    DistinguishedName.Attribute(
                        type: ["cn", "ou", "uid", "dc"].randomElement(using: &fuzz)!,
                        value: fuzz.text(maxLength: 10))
                }
            }
            let written = DistinguishedName(rdns: rdns)
            let read = try DistinguishedName(written.description)
            #expect(read.rdns == rdns, "seed \(fuzz.seed): \(written.description)")
        }
    }

    @Test func noTextCrashesTheDNParser() {
        var fuzz = Fuzz()
        let seeds = [#"cn=Smith\, John+uid=js,ou=Sales \2B Ops,dc=acme,dc=test"#, "uid=a,ou=b,dc=c", #"cn=\#"x\"#]
        for _ in 0..<Fuzz.iterations * 3 {
            let text = fuzz.mutated(seeds.randomElement(using: &fuzz)!, edits: Int.random(in: 1...6, using: &fuzz))
            do { _ = try DistinguishedName(text) } catch {
                #expect(error.offset >= 0 && error.offset <= text.utf8.count + 1, "seed \(fuzz.seed): \(text)")
            }
        }
    }
}
