import KithCore

/// A place: a council, an area within it, or a ward or neighbourhood within an area.
public struct Area: Sendable, JSONRepresentable {
    public enum Kind: String, Sendable, CaseIterable { case council, area, ward, neighbourhood }

    public var id: String
    public var parentId: String?
    public var councilId: String
    public var name: String
    public var kind: Kind
    public var code: String?
    /// `/council/area/ward/`: every area in this one's subtree has a path starting with it.
    public var path: String
    public var createdAt: String
    public var updatedAt: String
    public var version: Int

    public var json: JSON {
        ["id": .string(id), "name": .string(name), "kind": .string(kind.rawValue), "parent_id": JSON(parentId),
         "council_id": .string(councilId), "code": JSON(code),
         "ancestors": JSON(path.split(separator: "/").dropLast().map(String.init)),
         "created_at": .string(createdAt), "updated_at": .string(updatedAt), "version": .int(version)]
    }
}

/// What a caller sends to create or replace an area (JSON body or CSV row).
struct AreaInput {
    var id: String
    var name: String
    var kind: Area.Kind
    var parentId: String?
    var code: String?

    /// Reads and validates; nil when `input` has recorded errors.
    static func read(_ input: Input) -> AreaInput? {
        let id = input.string("id", required: true, minLength: 2, maxLength: 60)
        if let id, !id.utf8.allSatisfy({ (97...122).contains($0) || (48...57).contains($0) || $0 == 45 }) {
            input.fail("id", "must be lowercase letters, digits and hyphens, e.g. south-chingford")
        }
        let name = input.string("name", required: true, maxLength: 120)
        let kind = input.choice("kind", from: Area.Kind.allCases.map(\.rawValue), required: true).flatMap(Area.Kind.init)
        let parentId = input.string("parent_id", maxLength: 60)
        let code = input.string("code", maxLength: 20)
        if let kind, (kind == .council) != (parentId == nil) {
            input.fail("parent_id", kind == .council ? "must be empty for a council" : "is required for a \(kind.rawValue)")
        }
        guard let id, let name, let kind, !input.hasErrors else { return nil }
        return AreaInput(id: id, name: name, kind: kind, parentId: parentId, code: code)
    }
}
