import KithCore
import SQLiteStore

/// Money as JSON: integer pence.
func pence(_ value: Int) -> JSON { .int(value) }

struct Round {
    var id: String
    var programmeId: String
    var name: String
    var opensOn: String
    var closesOn: String
    var budgetPence: Int
    var minGrantPence: Int
    var maxGrantPence: Int
    var eligibility: Eligibility
    var criteria: [Criterion]
    var networkIds: [String]
    var inKindRatePence: Int
    var createdAt: String
    var updatedAt: String
    var version: Int

    struct Criterion: Equatable {
        var id: String
        var name: String
        var weight: Int
        var json: JSON { ["id": .string(id), "name": .string(name), "weight": .int(weight)] }
    }

    /// Who may apply: each list empty means no restriction.
    struct Eligibility: Equatable {
        var areas: [String] = []
        var kinds: [String] = []
        var beneficiaries: [String] = []
        var priorities: [String] = []
        var openToAll = false

        var json: JSON {
            ["areas": JSON(areas), "kinds": JSON(kinds), "beneficiaries": JSON(beneficiaries), "priorities": JSON(priorities),
             "open_to_all": .bool(openToAll)]
        }

        init() {}
        init(json: JSON) {
            func list(_ key: String) -> [String] { json[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
            areas = list("areas"); kinds = list("kinds"); beneficiaries = list("beneficiaries"); priorities = list("priorities")
            openToAll = json["open_to_all"]?.boolValue ?? false
        }
    }

    static let columns = """
        id, programme_id, name, opens_on, closes_on, budget_pence, min_grant_pence, max_grant_pence, eligibility, criteria, network_ids,
        in_kind_rate_pence, created_at, updated_at, version
        """

    init(row: Row) {
        id = row.string(0); programmeId = row.string(1); name = row.string(2); opensOn = row.string(3); closesOn = row.string(4)
        budgetPence = row.int(5); minGrantPence = row.int(6); maxGrantPence = row.int(7)
        eligibility = Eligibility(json: (try? JSON.parse(row.string(8))) ?? .object([]))
        criteria = ((try? JSON.parse(row.string(9)))?.arrayValue ?? []).compactMap { c in
            guard let id = c["id"]?.stringValue, let name = c["name"]?.stringValue else { return nil }
            return Criterion(id: id, name: name, weight: c["weight"]?.intValue ?? 1)
        }
        networkIds = (try? JSON.parse(row.string(10)))?.arrayValue?.compactMap(\.stringValue) ?? []
        inKindRatePence = row.int(11); createdAt = row.string(12); updatedAt = row.string(13); version = row.int(14)
    }

    /// Open for submissions on `today` (YYYY-MM-DD)?
    func isOpen(on today: String) -> Bool { opensOn <= today && today <= closesOn }

    func json(committedPence: Int, today: String) -> JSON {
        ["id": .string(id), "programme_id": .string(programmeId), "name": .string(name), "opens_on": .string(opensOn),
         "closes_on": .string(closesOn), "open": .bool(isOpen(on: today)), "budget_pence": pence(budgetPence),
         "committed_pence": pence(committedPence), "remaining_pence": pence(budgetPence - committedPence),
         "min_grant_pence": pence(minGrantPence), "max_grant_pence": pence(maxGrantPence), "eligibility": eligibility.json,
         "criteria": .array(criteria.map(\.json)), "network_ids": JSON(networkIds), "in_kind_rate_pence": pence(inKindRatePence),
         "created_at": .string(createdAt), "updated_at": .string(updatedAt), "version": .int(version)]
    }

    static func find(_ db: Database, id: String) throws -> Round? {
        try db.queryOne("SELECT \(columns) FROM rounds WHERE id = ?", [id], Round.init(row:))
    }

    /// What the round's grants now hold (awards after variations and clawbacks).
    static func committedPence(_ db: Database, roundId: String) throws -> Int {
        try db.scalarInt("SELECT coalesce(sum(amount_pence), 0) FROM grants WHERE round_id = ?", [roundId]) ?? 0
    }
}

struct Application {
    var id: String
    var roundId: String
    var groupId: String
    var partnerGroupIds: [String]
    var title: String
    var summary: String
    var amountRequestedPence: Int
    var budgetLines: [(item: String, amountPence: Int)]
    var startsOn: String?
    var endsOn: String?
    var areaId: String?
    var beneficiaries: [String]
    var expectedReach: Int?
    var priorityIds: [String]
    var matchFundingPence: Int
    var inKindHours: Double
    var openToAll: Bool
    var sustainability: String
    var status: String
    var eligibilityFailures: [String]
    var submittedAt: String?
    var decidedAt: String?
    var createdAt: String
    var updatedAt: String
    var version: Int

    static let statuses = ["draft", "submitted", "eligible", "ineligible", "under_assessment", "recommended", "awarded", "declined", "withdrawn"]

    static let columns = """
        id, round_id, group_id, partner_group_ids, title, summary, amount_requested_pence, budget_lines, starts_on, ends_on, area_id,
        beneficiaries, expected_reach, priority_ids, match_funding_pence, in_kind_hours, open_to_all, sustainability, status,
        eligibility_failures, submitted_at, decided_at, created_at, updated_at, version
        """

    var budgetLinesJSON: JSON { .array(budgetLines.map { ["item": .string($0.item), "amount_pence": pence($0.amountPence)] }) }

    func json(inKindRatePence: Int) -> JSON {
        ["id": .string(id), "round_id": .string(roundId), "group_id": .string(groupId), "partner_group_ids": JSON(partnerGroupIds),
         "title": .string(title), "summary": .string(summary), "amount_requested_pence": pence(amountRequestedPence),
         "budget_lines": budgetLinesJSON, "starts_on": JSON(startsOn), "ends_on": JSON(endsOn), "area_id": JSON(areaId),
         "beneficiaries": JSON(beneficiaries), "expected_reach": JSON(expectedReach), "priority_ids": JSON(priorityIds),
         "match_funding_pence": pence(matchFundingPence), "in_kind_hours": .double(inKindHours),
         "in_kind_value_pence": pence(Int((inKindHours * Double(inKindRatePence)).rounded())), "open_to_all": .bool(openToAll),
         "sustainability": .string(sustainability), "status": .string(status), "eligibility_failures": JSON(eligibilityFailures),
         "submitted_at": JSON(submittedAt), "decided_at": JSON(decidedAt), "created_at": .string(createdAt),
         "updated_at": .string(updatedAt), "version": .int(version)]
    }

    static func find(_ db: Database, id: String) throws -> Application? {
        try db.queryOne("SELECT \(columns) FROM applications WHERE id = ?", [id], Application.init(row:))
    }
}

extension Application {
    init(row: Row) {
        func list(_ i: Int) -> [String] { (try? JSON.parse(row.string(i)))?.arrayValue?.compactMap(\.stringValue) ?? [] }
        id = row.string(0); roundId = row.string(1); groupId = row.string(2); partnerGroupIds = list(3); title = row.string(4)
        summary = row.string(5); amountRequestedPence = row.int(6)
        budgetLines = ((try? JSON.parse(row.string(7)))?.arrayValue ?? []).compactMap { line in
            guard let item = line["item"]?.stringValue, let amount = line["amount_pence"]?.intValue else { return nil }
            return (item: item, amountPence: amount)
        }
        startsOn = row.optionalString(8); endsOn = row.optionalString(9); areaId = row.optionalString(10); beneficiaries = list(11)
        expectedReach = row.optionalInt(12); priorityIds = list(13); matchFundingPence = row.int(14); inKindHours = row.double(15)
        openToAll = row.bool(16); sustainability = row.string(17); status = row.string(18); eligibilityFailures = list(19)
        submittedAt = row.optionalString(20); decidedAt = row.optionalString(21); createdAt = row.string(22); updatedAt = row.string(23)
        version = row.int(24)
    }

}

struct Grant {
    var id: String
    var applicationId: String
    var roundId: String
    var groupId: String
    var awardedPence: Int
    var amountPence: Int
    var awardedOn: String
    var conditions: String?
    var status: String
    var paidPence: Int
    var createdAt: String
    var updatedAt: String
    var version: Int

    static let columns = """
        g.id, g.application_id, g.round_id, g.group_id, g.awarded_pence, g.amount_pence, g.awarded_on, g.conditions, g.status,
        (SELECT coalesce(sum(amount_pence), 0) FROM grant_payments p WHERE p.grant_id = g.id)
          - (SELECT coalesce(sum(recovered_pence), 0) FROM grant_changes c WHERE c.grant_id = g.id),
        g.created_at, g.updated_at, g.version
        """

    init(row: Row) {
        id = row.string(0); applicationId = row.string(1); roundId = row.string(2); groupId = row.string(3); awardedPence = row.int(4)
        amountPence = row.int(5); awardedOn = row.string(6); conditions = row.optionalString(7); status = row.string(8)
        paidPence = row.int(9); createdAt = row.string(10); updatedAt = row.string(11); version = row.int(12)
    }

    /// Still to pay: derived, never stored.
    var remainingPence: Int { amountPence - paidPence }

    var json: JSON {
        ["id": .string(id), "application_id": .string(applicationId), "round_id": .string(roundId), "group_id": .string(groupId),
         "awarded_pence": pence(awardedPence), "amount_pence": pence(amountPence), "paid_pence": pence(paidPence),
         "remaining_pence": pence(remainingPence), "awarded_on": .string(awardedOn), "conditions": JSON(conditions),
         "status": .string(status), "created_at": .string(createdAt), "updated_at": .string(updatedAt), "version": .int(version)]
    }

    static func find(_ db: Database, id: String) throws -> Grant? {
        try db.queryOne("SELECT \(columns) FROM grants g WHERE g.id = ?", [id], Grant.init(row:))
    }
}
