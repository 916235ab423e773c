import KithCore
import SQLiteStore

/// Subject access and erasure (UK GDPR articles 15 and 17), each audited.
enum DataProtection {
    /// `GET /v1/people/{id}/export`: everything Kith holds about a person, as JSON.
    static func export(_ request: Request, _ context: RequestContext, holders: [any PersonalDataHolder]) throws -> Response {
        try request.query.allowOnly([])
        let body = try context.write { tx -> JSON in
            let person = try PeopleAccess.require(tx.db, id: request.parameter("id"), for: context.principal)
            var sections: [(String, JSON)] = [
                ("person", person.json(.full, today: tx.now.date)),
                ("consents", .array(try PeopleStore.consents(tx.db, personId: person.id))),
                ("checks", .array(try PeopleStore.checks(tx.db, personId: person.id).map { $0.json(showCertificate: true, today: tx.now.date) })),
            ]
            for holder in holders { sections += try holder.export(tx.db, personId: person.id, now: tx.now) }
            sections.append(("audit", .array(try AuditLog.list(tx.db, filter: filter(person.id), beforeSeq: nil, limit: 10_000).map(\.json))))
            // Exporting is itself recorded: who looked, when.
            try tx.audit("export", "person", person.id)
            return .object([("exported_at", .string(tx.now.rfc3339)), ("subject", .string(person.id))] + sections)
        }
        var response = Response.json(body)
        response.headers.add("Content-Disposition", "attachment; filename=\"subject-access-\(request.parameter("id")).json\"")
        return response
    }

    private static func filter(_ id: String) -> AuditLog.Filter {
        var filter = AuditLog.Filter()
        filter.resourceId = id
        return filter
    }

    /// `POST /v1/people/{id}/erase`: personal fields are removed and free text about the person is
    /// deleted everywhere; what is left (age band, area, roles, dates, counts, scores) keeps the
    /// programme's figures right without identifying anyone. Refused while a module must keep the
    /// record (an open safeguarding concern).
    static func erase(_ request: Request, _ context: RequestContext, holders: [any PersonalDataHolder]) throws -> Response {
        let input = try Input.optionalObject(from: request)
        let reason = input.string("reason", maxLength: 500)
        try input.finish()
        let result = try context.write { tx -> JSON in
            let person = try PeopleAccess.require(tx.db, id: request.parameter("id"), for: context.principal)
            guard person.erasedAt == nil else { throw Problem.conflict("Person \(person.id) was erased on \(person.erasedAt ?? "")."
            ) }
            for holder in holders {
                if let why = try holder.erasureBlocked(tx.db, personId: person.id) { throw Problem.conflict("Cannot erase yet: \(why).") }
            }
            var erased = person
            erased.ageBand = person.currentAgeBand(today: tx.now.date)
            erased.fullName = nil
            erased.preferredName = nil
            erased.email = nil
            erased.phone = nil
            erased.address = nil
            erased.postcode = nil
            erased.dateOfBirth = nil
            erased.notes = nil
            erased.erasedAt = tx.now.rfc3339
            erased.updatedAt = tx.now.rfc3339
            erased.version = person.version + 1
            try PeopleStore.save(tx, erased, isNew: false)
            try tx.db.run("UPDATE people SET erasure_reason = ? WHERE id = ?", [reason, person.id])
            try tx.db.run("UPDATE consents SET note = NULL WHERE person_id = ?", [person.id])
            try tx.db.run("UPDATE volunteer_checks SET certificate = NULL WHERE person_id = ?", [person.id])
            var parts = ["person", "consent notes", "check certificates"]
            for holder in holders { parts += try holder.erase(tx, personId: person.id) }
            try tx.audit("erase", "person", person.id, changes: ["full_name", "contact", "address", "date_of_birth", "notes"])
            return ["id": .string(person.id), "erased_at": .string(tx.now.rfc3339), "erased": JSON(parts), "reason": JSON(reason)]
        }
        return .json(result)
    }
}
