import Areas
import Groups
import KithCore
import SQLiteStore

/// `GET /v1/grants/360giving`: awarded grants in the 360Giving Data Standard, as JSON (a
/// `grants` array) or CSV (`format=csv`, the standard's column titles). Public: open data.
/// Identifiers take the configured prefix (`--grant-id-prefix`, a 360G- prefix registered with
/// 360Giving); recipient organisation ids are the ids the Groups module publishes in its Open
/// Referral feed. The grant's status (awarded, paid, closed) and the amount paid travel with it.
enum OpenData {
    static let csvColumns = [
        "Identifier", "Title", "Description", "Currency", "Amount Awarded", "Amount Disbursed", "Award Date",
        "Recipient Org:Identifier", "Recipient Org:Name", "Recipient Org:Charity Number", "Recipient Org:Company Number",
        "Funding Org:Identifier", "Funding Org:Name", "Grant Programme:Title", "Planned Dates:Start Date", "Planned Dates:End Date",
        "Beneficiary Location:Name", "Beneficiary Location:Geographic Code", "Beneficiary Location:Geographic Code Type",
        "Grant Status", "Last Modified",
    ]

    struct Record {
        var id, title, description: String
        var amountAwarded, amountPaid: Int
        var awardDate: String
        var recipientId: String
        var recipient: (id: String, name: String, charity: String?, company: String?)?
        var funderId, funderName, programme: String
        var startsOn, endsOn: String?
        var location: (name: String, code: String?, type: String?)?
        var status, modified: String
    }

    @Sendable static func export(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly(["format", "round", "programme"])
        let format = try request.query.oneOf("format", ["json", "csv"]) ?? "json"
        let prefix = context.services.settings.grantIdentifierPrefix
        let records = try context.read { db -> [Record] in
            var records: [Record] = []
            try db.forEach("""
                SELECT g.id, a.title, a.summary, g.amount_pence, g.awarded_on, g.group_id, f.organisation_identifier, f.name, p.name,
                       a.starts_on, a.ends_on, a.area_id, g.status, g.updated_at
                FROM grants g JOIN applications a ON a.id = g.application_id JOIN rounds r ON r.id = g.round_id
                JOIN programmes p ON p.id = r.programme_id JOIN funders f ON f.id = p.funder_id
                WHERE (?1 IS NULL OR g.round_id = ?1) AND (?2 IS NULL OR r.programme_id = ?2)
                ORDER BY g.awarded_on, g.id
                """, [request.query.string("round"), request.query.string("programme")]) { row in
                records.append(Record(id: row.string(0), title: row.string(1), description: row.string(2), amountAwarded: row.int(3), amountPaid: 0,
                                      awardDate: row.string(4), recipientId: row.string(5), recipient: nil, funderId: row.string(6),
                                      funderName: row.string(7), programme: row.string(8), startsOn: row.optionalString(9),
                                      endsOn: row.optionalString(10), location: row.optionalString(11).map { (name: $0, code: nil, type: nil) },
                                      status: row.string(12), modified: row.string(13)))
            }
            for i in records.indices {
                if let g = try Directory.find(db, id: records[i].recipientId) {
                    records[i].recipient = (id: g.organisationIdentifier, name: g.name, charity: g.charityNumber, company: g.companyNumber)
                }
                records[i].amountPaid = try Grant.find(db, id: records[i].id)?.paidPence ?? 0
                if let areaId = records[i].location?.name { records[i].location = try location(db, areaId: areaId) }
            }
            return records
        }
        if format == "csv" {
            var out = CSV.record(csvColumns)
            for r in records {
                out += CSV.record([
                    "\(prefix)-\(r.id)", r.title, r.description, "GBP", pounds(r.amountAwarded), pounds(r.amountPaid), r.awardDate,
                    r.recipient?.id ?? r.recipientId, r.recipient?.name ?? "", r.recipient?.charity ?? "", r.recipient?.company ?? "",
                    r.funderId, r.funderName, r.programme, r.startsOn ?? "", r.endsOn ?? "", r.location?.name ?? "", r.location?.code ?? "",
                    r.location?.type ?? "", r.status, r.modified,
                ])
            }
            var response = Response.text(out, contentType: "text/csv; charset=utf-8")
            response.headers.add("Content-Disposition", "attachment; filename=\"grants-360giving.csv\"")
            return response
        }
        return .json(["grants": .array(records.map { json($0, prefix: prefix) })])
    }

    static func json(_ r: Record, prefix: String) -> JSON {
        var recipient: [(String, JSON)] = [("id", .string(r.recipient?.id ?? r.recipientId)), ("name", .string(r.recipient?.name ?? ""))]
        if let charity = r.recipient?.charity { recipient.append(("charityNumber", .string(charity))) }
        if let company = r.recipient?.company { recipient.append(("companyNumber", .string(company))) }
        var pairs: [(String, JSON)] = [
            ("id", .string("\(prefix)-\(r.id)")), ("title", .string(r.title)), ("description", .string(r.description)),
            ("currency", "GBP"), ("amountAwarded", .double(Double(r.amountAwarded) / 100)), ("amountDisbursed", .double(Double(r.amountPaid) / 100)),
            ("awardDate", .string(r.awardDate)), ("recipientOrganization", .array([.object(recipient)])),
            ("fundingOrganization", .array([["id": .string(r.funderId), "name": .string(r.funderName)]])),
            ("grantProgramme", .array([["title": .string(r.programme)]])),
        ]
        // The standard types these as strings: absent rather than null when unknown.
        let dates = [("startDate", r.startsOn), ("endDate", r.endsOn)].compactMap { key, value in value.map { (key, JSON.string($0)) } }
        if !dates.isEmpty { pairs.append(("plannedDates", .array([.object(dates)]))) }
        if let location = r.location {
            var place: [(String, JSON)] = [("name", .string(location.name))]
            if let code = location.code, let type = location.type { place += [("geoCode", .string(code)), ("geoCodeType", .string(type))] }
            pairs.append(("beneficiaryLocation", .array([.object(place)])))
        }
        pairs += [("grantStatus", .string(r.status)), ("dateModified", .string(r.modified))]
        return .object(pairs)
    }

    /// The area's name and the nearest official code on its way up to the council (ward codes
    /// E05… are WD, local authority codes are LAD).
    static func location(_ db: Database, areaId: String) throws -> (name: String, code: String?, type: String?)? {
        guard let area = try Areas.find(db, id: areaId) else { return nil }
        var current: Area? = area
        while let a = current {
            if let code = a.code {
                let type = code.hasPrefix("E05") || code.hasPrefix("W05") || code.hasPrefix("S13") ? "WD" : "LAD"
                return (name: area.name, code: code, type: type)
            }
            current = try a.parentId.flatMap { try Areas.find(db, id: $0) }
        }
        return (name: area.name, code: nil, type: nil)
    }

    /// Pounds with two decimals, for the CSV.
    static func pounds(_ pence: Int) -> String {
        let fraction = pence % 100
        return "\(pence / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
