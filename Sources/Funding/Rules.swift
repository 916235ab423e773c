import Areas
import Groups
import KithCore
import Networks
import SQLiteStore

/// An application's life. Only these moves are allowed; each is recorded with who and why.
enum Transitions {
    static let allowed: [String: Set<String>] = [
        "draft": ["submitted", "withdrawn"],
        "submitted": ["eligible", "ineligible", "withdrawn"],
        "eligible": ["under_assessment", "withdrawn"],
        "under_assessment": ["recommended", "declined", "withdrawn"],
        "recommended": ["awarded", "declined", "withdrawn"],
    ]

    static func check(from: String, to: String) throws {
        guard allowed[from]?.contains(to) == true else {
            throw Problem(status: 409, slug: "invalid-transition", title: "Not a valid change of status",
                          detail: "An application that is \(from) cannot become \(to).",
                          extensions: [("current_status", .string(from)), ("allowed", JSON(Array(allowed[from] ?? []).sorted()))])
        }
    }

    /// Moves the application and records the event (the caller has checked who may).
    static func move(_ tx: Transaction, _ application: Application, to status: String, reason: String?) throws -> Application {
        try check(from: application.status, to: status)
        let decided = ["awarded", "declined", "ineligible", "withdrawn"].contains(status)
        guard try tx.db.run("""
            UPDATE applications SET status = ?, decided_at = CASE WHEN ? THEN ? ELSE decided_at END,
                submitted_at = CASE WHEN ? = 'submitted' THEN ? ELSE submitted_at END, updated_at = ?, version = version + 1
            WHERE id = ? AND status = ?
            """, [status, decided, tx.now.rfc3339, status, tx.now.rfc3339, tx.now.rfc3339, application.id, application.status]) == 1 else {
            throw Problem.conflict("Application \(application.id) changed meanwhile; fetch it again.")
        }
        try tx.db.run("INSERT INTO application_events(application_id, from_status, to_status, at, key_id, reason) VALUES (?, ?, ?, ?, ?, ?)",
                      [application.id, application.status, status, tx.now.rfc3339, tx.actor.keyId, reason])
        try tx.audit(status == "submitted" ? "submit" : "transition", "application", application.id, changes: ["status"])
        guard let moved = try Application.find(tx.db, id: application.id) else { throw Problem.internalError() }
        return moved
    }
}

/// Eligibility, checked on submission: every rule the application fails, named.
enum Eligibility {
    static func failures(_ db: Database, _ application: Application, round: Round, group: Group) throws -> [String] {
        var failures: [String] = []
        let rules = round.eligibility
        if !rules.areas.isEmpty {
            let inArea = try application.areaId.map { area in try rules.areas.contains { try Areas.isWithin(db, areaId: area, ancestorId: $0) } } ?? false
            if !inArea { failures.append("area: the project must be in \(rules.areas.joined(separator: " or "))") }
        }
        if !rules.kinds.isEmpty && !rules.kinds.contains(group.kind) {
            failures.append("kind: \(group.kind) groups cannot apply; this round is for \(rules.kinds.joined(separator: ", "))")
        }
        if !rules.beneficiaries.isEmpty && Set(rules.beneficiaries).isDisjoint(with: application.beneficiaries) {
            failures.append("beneficiaries: the project must serve one of \(rules.beneficiaries.joined(separator: ", "))")
        }
        if !rules.priorities.isEmpty && Set(rules.priorities).isDisjoint(with: application.priorityIds) {
            failures.append("priorities: the project must serve one of the round's network priorities")
        }
        if rules.openToAll && !application.openToAll {
            failures.append("open_to_all: this round funds only activity open to everyone")
        }
        if application.amountRequestedPence < round.minGrantPence || application.amountRequestedPence > round.maxGrantPence {
            failures.append("amount_requested_pence: must be from \(round.minGrantPence) to \(round.maxGrantPence)")
        }
        let lines = application.budgetLines.reduce(0) { $0 + $1.amountPence }
        if !application.budgetLines.isEmpty && lines != application.amountRequestedPence {
            failures.append("budget_lines: they add up to \(lines), not the \(application.amountRequestedPence) requested")
        }
        return failures
    }
}

/// Conflicts of interest: declared, or found in the data (the assessor's email is a contact of the
/// applicant or a partner group, or of a steering member of an endorsing network).
enum Conflicts {
    struct Assessor {
        var id: String
        var roundId: String
        var keyId: String
        var name: String
        var email: String
    }

    static func assessor(_ db: Database, roundId: String, keyId: String?) throws -> Assessor? {
        guard let keyId else { return nil }
        return try db.queryOne("SELECT id, round_id, key_id, name, email FROM round_assessors WHERE round_id = ? AND key_id = ?", [roundId, keyId]) {
            Assessor(id: $0.string(0), roundId: $0.string(1), keyId: $0.string(2), name: $0.string(3), email: $0.string(4))
        }
    }

    /// Records what the data shows for every assessor of the application's round: called when an
    /// application is submitted, endorsed, or an assessor joins, so the panel sees conflicts
    /// before anyone tries to score.
    static func detectAll(_ tx: Transaction, application: Application) throws {
        let assessors = try tx.db.query("SELECT id, round_id, key_id, name, email FROM round_assessors WHERE round_id = ?", [application.roundId]) {
            Assessor(id: $0.string(0), roundId: $0.string(1), keyId: $0.string(2), name: $0.string(3), email: $0.string(4))
        }
        for assessor in assessors { _ = try find(tx, assessor: assessor, application: application) }
    }

    /// The reasons this assessor may not score this application (empty: none). Found conflicts
    /// are recorded, so the panel sees them.
    static func find(_ tx: Transaction, assessor: Assessor, application: Application) throws -> [String] {
        var reasons = try tx.db.query("SELECT reason FROM assessor_conflicts WHERE assessor_id = ? AND application_id = ?",
                                      [assessor.id, application.id]) { $0.string(0) }
        let email = assessor.email.lowercased()
        var found: [String] = []
        for groupId in [application.groupId] + application.partnerGroupIds {
            if let group = try Directory.find(tx.db, id: groupId), group.contactEmail?.lowercased() == email {
                found.append("is the contact of \(groupId == application.groupId ? "the applicant" : "partner group") \(group.name)")
            }
        }
        let endorsing = try tx.db.query("SELECT network_id FROM endorsements WHERE application_id = ?", [application.id]) { $0.string(0) }
        for network in endorsing where try NetworkDirectory.steeringEmails(tx.db, networkId: network).contains(email) {
            found.append("is a steering member of endorsing network \(try NetworkDirectory.name(tx.db, id: network) ?? network)")
        }
        for reason in found where !reasons.contains(reason) {
            try tx.db.run("""
                INSERT INTO assessor_conflicts(assessor_id, application_id, source, reason, at) VALUES (?, ?, 'detected', ?, ?)
                ON CONFLICT DO NOTHING
                """, [assessor.id, application.id, reason, tx.now.rfc3339])
            reasons.append(reason)
        }
        return reasons
    }
}
