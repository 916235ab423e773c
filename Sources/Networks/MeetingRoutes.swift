import KithCore
import SQLiteStore

/// Meetings (with attendance counted, guests never named), the actions they agree, and the
/// commitments members make towards priorities.
enum MeetingRoutes {
    // MARK: - Meetings

    @Sendable static func list(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "meetings", filters: ["from", "to", "status"], keyLength: 2)
        let from = try request.query.timestamp("from")
        let to = try request.query.timestamp("to")
        let status = try request.query.oneOf("status", Meeting.statuses)
        let after = try page.afterStrings()
        let (meetings, member) = try context.read { db -> ([Meeting], Bool) in
            let network = try Permissions.network(db, id: request.parameter("id"))
            let member = try Permissions.canReadMembersOnly(context.principal, network, db: db)
            var meetings = try db.query("""
                SELECT \(NetworkStore.meetingColumns) FROM network_meetings
                WHERE network_id = ?1 AND (?2 IS NULL OR starts_at >= ?2) AND (?3 IS NULL OR starts_at < ?3) AND (?4 IS NULL OR status = ?4)
                  AND (?5 IS NULL OR (starts_at, id) > (?5, ?6)) AND (?8 IS NULL OR updated_at >= ?8)
                ORDER BY starts_at, id LIMIT ?7
                """, [network.id, from?.rfc3339, to?.rfc3339, status, after?.first, after?.last, page.fetchLimit,
                      page.updatedSince?.rfc3339], NetworkStore.meeting)
            for i in meetings.indices {
                meetings[i].attendees = try db.query("SELECT member_id FROM network_attendance WHERE meeting_id = ? ORDER BY member_id",
                                                     [meetings[i].id]) { $0.string(0) }
            }
            return (meetings, member)
        }
        let (items, next) = page.page(meetings) { [.string($0.startsAt), .string($0.id)] }
        return .page(items.map { $0.json(memberView: member) }, nextCursor: next)
    }

    @Sendable static func show(_ request: Request, _ context: RequestContext) throws -> Response {
        try request.query.allowOnly([])
        return try context.read { db in
            let network = try Permissions.network(db, id: request.parameter("id"))
            guard let meeting = try NetworkStore.findMeeting(db, networkId: network.id, id: request.parameter("meeting")) else {
                throw Problem.notFound("No meeting \(request.parameter("meeting")).")
            }
            return .resource(meeting.json(memberView: try Permissions.canReadMembersOnly(context.principal, network, db: db)),
                             version: meeting.version)
        }
    }

    @Sendable static func create(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let fields = MeetingFields.read(input, creating: true)
        try input.finish()
        let meeting = try context.write { tx -> Meeting in
            let network = try Permissions.managed(tx.db, id: request.parameter("id"), by: context.principal)
            let now = tx.now.rfc3339
            var meeting = Meeting(id: Identifier.make("mtg", at: tx.now), networkId: network.id, title: "", startsAt: now, endsAt: nil,
                                  assetId: nil, placeNote: nil, agenda: "", minutes: nil, status: "scheduled", guests: 0, attendees: [],
                                  createdAt: now, updatedAt: now, version: 1)
            try fields.apply(to: &meeting, network: network, db: tx.db)
            fields.markHeld(&meeting, now: tx.now)
            try NetworkStore.saveMeeting(tx, meeting, isNew: true)
            try tx.audit("create", "network_meeting", meeting.id, changes: fields.names)
            return meeting
        }
        return .created(meeting.json(memberView: true), location: "/v1/networks/\(meeting.networkId)/meetings/\(meeting.id)",
                        version: meeting.version)
    }

    /// `PATCH .../meetings/{meeting}`: agenda, minutes, status, and attendance (member ids who
    /// came, and a count of guests).
    @Sendable static func update(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let fields = MeetingFields.read(input, creating: false)
        try input.finish()
        let meeting = try context.write { tx -> Meeting in
            let network = try Permissions.managed(tx.db, id: request.parameter("id"), by: context.principal)
            guard let current = try NetworkStore.findMeeting(tx.db, networkId: network.id, id: request.parameter("meeting")) else {
                throw Problem.notFound("No meeting \(request.parameter("meeting")).")
            }
            try ETag.check(request, currentVersion: current.version)
            var meeting = current
            try fields.apply(to: &meeting, network: network, db: tx.db)
            fields.markHeld(&meeting, now: tx.now)
            guard !fields.names.isEmpty else { return current }
            meeting.updatedAt = tx.now.rfc3339
            meeting.version += 1
            try NetworkStore.saveMeeting(tx, meeting, isNew: false)
            try tx.audit("update", "network_meeting", meeting.id, changes: fields.names)
            return meeting
        }
        return .resource(meeting.json(memberView: true), version: meeting.version)
    }

    struct MeetingFields {
        var title: String?
        var startsAt: Timestamp?
        var endsAt: Timestamp?
        var assetId: String?
        var placeNote: String?
        var agenda: String?
        var minutes: String?
        var status: String?
        var guests: Int?
        var attendees: [String]?
        var names: [String] = []

        static func read(_ input: Input, creating: Bool) -> MeetingFields {
            var f = MeetingFields()
            f.title = input.string("title", required: creating, maxLength: 200)
            f.startsAt = input.timestamp("starts_at", required: creating)
            f.endsAt = input.timestamp("ends_at")
            f.assetId = input.string("asset_id", maxLength: 60)
            f.placeNote = input.string("place_note", maxLength: 300)
            f.agenda = input.text("agenda", maxLength: 20_000)
            f.minutes = input.text("minutes", maxLength: 50_000)
            f.status = input.choice("status", from: Meeting.statuses)
            if let attendance = input.object("attendance") {
                f.attendees = attendance.strings("members", maxCount: 500, maxLength: 60)
                f.guests = attendance.int("guests", in: 0...100_000)
            }
            if let starts = f.startsAt, let ends = f.endsAt, ends < starts { input.fail("ends_at", "must not be before starts_at") }
            let all: [(String, Any?)] = [("title", f.title), ("starts_at", f.startsAt), ("ends_at", f.endsAt), ("asset_id", f.assetId),
                                         ("place_note", f.placeNote), ("agenda", f.agenda), ("minutes", f.minutes), ("status", f.status)]
            f.names = all.filter { $0.1 != nil }.map(\.0) + (f.attendees != nil || f.guests != nil ? ["attendance"] : [])
            return f
        }

        /// Recording attendance for a meeting that has started marks it held (unless cancelled).
        func markHeld(_ meeting: inout Meeting, now: Timestamp) {
            guard attendees != nil || guests != nil, status == nil, meeting.status == "scheduled",
                  let starts = Timestamp(rfc3339: meeting.startsAt), starts <= now else { return }
            meeting.status = "held"
        }

        func apply(to meeting: inout Meeting, network: Network, db: Database) throws {
            if let title { meeting.title = title }
            if let startsAt { meeting.startsAt = startsAt.rfc3339 }
            if let endsAt { meeting.endsAt = endsAt.rfc3339 }
            if let assetId {
                guard try NetworkStore.findAsset(db, id: assetId) != nil else { throw Problem.invalid("asset_id", "is not an asset") }
                meeting.assetId = assetId
            }
            if let placeNote { meeting.placeNote = placeNote }
            if let agenda { meeting.agenda = agenda }
            if let minutes { meeting.minutes = minutes }
            if let status { meeting.status = status }
            if let guests { meeting.guests = guests }
            if let end = meeting.endsAt, end < meeting.startsAt { throw Problem.invalid("ends_at", "must not be before starts_at") }
            if let attendees {
                // Members who were members when the meeting started.
                for (i, id) in attendees.enumerated() {
                    guard let member = try NetworkStore.findMember(db, networkId: network.id, id: id), let joined = member.joinedAt,
                          joined <= meeting.startsAt, member.leftAt.map({ $0 > meeting.startsAt }) ?? true else {
                        throw Problem.invalid("attendance.members[\(i)]", "was not a member of this network at the meeting")
                    }
                }
                meeting.attendees = Array(Set(attendees)).sorted()
            }
        }
    }

    // MARK: - Actions

    @Sendable static func listActions(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "actions", filters: ["status", "overdue", "meeting"], keyLength: 2)
        let status = try request.query.oneOf("status", Action.statuses)
        let overdue = try request.query.bool("overdue")
        let after = try page.afterStrings()
        let actions = try context.read { db -> [Action] in
            let network = try Permissions.network(db, id: request.parameter("id"))
            guard try Permissions.canReadMembersOnly(context.principal, network, db: db) else {
                throw Problem.forbidden("A network's actions are for its members and managers.")
            }
            return try db.query("""
                SELECT \(NetworkStore.actionColumns) FROM network_actions
                WHERE network_id = ?1 AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR meeting_id = ?3)
                  AND (?4 IS NULL OR (?4 = 1) = coalesce(status = 'open' AND due_on < ?5, 0))
                  AND (?6 IS NULL OR (created_at, id) > (?6, ?7)) AND (?9 IS NULL OR updated_at >= ?9)
                ORDER BY created_at, id LIMIT ?8
                """, [network.id, status, request.query.string("meeting"), overdue, context.now.date, after?.first, after?.last,
                      page.fetchLimit, page.updatedSince?.rfc3339], NetworkStore.action)
        }
        let (items, next) = page.page(actions) { [.string($0.createdAt), .string($0.id)] }
        return .page(items.map { action in
            guard case .object(var pairs) = action.json else { return action.json }
            pairs.append(("overdue", .bool(action.overdue(today: context.now.date))))
            return .object(pairs)
        }, nextCursor: next)
    }

    @Sendable static func createAction(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let description = input.text("description", required: true, maxLength: 1000)
        let meetingId = input.string("meeting_id", maxLength: 60)
        let priorityId = input.string("priority_id", maxLength: 60)
        let ownerId = input.string("owner_id", maxLength: 60)
        let dueOn = input.date("due_on")
        try input.finish()
        guard let description else { throw Problem.internalError() }
        let action = try context.write { tx -> Action in
            let network = try Permissions.managed(tx.db, id: request.parameter("id"), by: context.principal)
            try checkLinks(tx.db, network: network, meetingId: meetingId, priorityId: priorityId, memberId: ownerId, memberField: "owner_id")
            let now = tx.now.rfc3339
            let action = Action(id: Identifier.make("act", at: tx.now), networkId: network.id, meetingId: meetingId, priorityId: priorityId,
                                description: description, ownerId: ownerId, dueOn: dueOn, status: "open", doneAt: nil,
                                createdAt: now, updatedAt: now, version: 1)
            try NetworkStore.saveAction(tx, action, isNew: true)
            try tx.audit("create", "network_action", action.id, changes: ["description", "meeting_id", "priority_id", "owner_id", "due_on"])
            return action
        }
        return .resource(action.json, version: action.version, status: 201)
    }

    /// `PATCH .../actions/{action}`: a manager, or the owning member group, updates an action.
    @Sendable static func updateAction(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let status = input.choice("status", from: Action.statuses)
        let dueOn = input.date("due_on")
        let ownerId = input.string("owner_id", maxLength: 60)
        let description = input.text("description", maxLength: 1000)
        try input.finish()
        let action = try context.write { tx -> Action in
            let network = try Permissions.network(tx.db, id: request.parameter("id"))
            guard let current = try tx.db.queryOne("SELECT \(NetworkStore.actionColumns) FROM network_actions WHERE id = ? AND network_id = ?",
                                                   [request.parameter("action"), network.id], NetworkStore.action) else {
                throw Problem.notFound("No action \(request.parameter("action")).")
            }
            let manager = try Permissions.canManage(context.principal, network, db: tx.db)
            let own = try Permissions.membership(context.principal, network, db: tx.db)
            guard manager || (own != nil && own?.id == current.ownerId) else {
                throw Problem.forbidden("Only this network's managers or the action's owner may change it.")
            }
            if !manager && (ownerId != nil || description != nil) { throw Problem.forbidden("An owner may change only status and due_on.") }
            try ETag.check(request, currentVersion: current.version)
            if let ownerId { try checkLinks(tx.db, network: network, meetingId: nil, priorityId: nil, memberId: ownerId, memberField: "owner_id") }
            var action = current
            var changes: [String] = []
            if let status, status != current.status {
                action.status = status
                action.doneAt = status == "done" ? tx.now.rfc3339 : nil
                changes.append("status")
            }
            if let dueOn, dueOn != current.dueOn { action.dueOn = dueOn; changes.append("due_on") }
            if let ownerId, ownerId != current.ownerId { action.ownerId = ownerId; changes.append("owner_id") }
            if let description, description != current.description { action.description = description; changes.append("description") }
            guard !changes.isEmpty else { return current }
            action.updatedAt = tx.now.rfc3339
            action.version += 1
            try NetworkStore.saveAction(tx, action, isNew: false)
            try tx.audit("update", "network_action", action.id, changes: changes)
            return action
        }
        return .resource(action.json, version: action.version)
    }

    // MARK: - Commitments

    @Sendable static func listCommitments(_ request: Request, _ context: RequestContext) throws -> Response {
        let page = try PageRequest(request.query, list: "commitments", filters: ["priority", "status"], keyLength: 2)
        let status = try request.query.oneOf("status", Commitment.statuses)
        let after = try page.afterStrings()
        let commitments = try context.read { db -> [Commitment] in
            let network = try Permissions.network(db, id: request.parameter("id"))
            guard try Permissions.canReadMembersOnly(context.principal, network, db: db) else {
                throw Problem.forbidden("A network's commitments are for its members and managers.")
            }
            return try db.query("""
                SELECT \(NetworkStore.commitmentColumns) FROM network_commitments
                WHERE network_id = ?1 AND (?2 IS NULL OR priority_id = ?2) AND (?3 IS NULL OR status = ?3)
                  AND (?4 IS NULL OR (created_at, id) > (?4, ?5)) AND (?7 IS NULL OR updated_at >= ?7)
                ORDER BY created_at, id LIMIT ?6
                """, [network.id, request.query.string("priority"), status, after?.first, after?.last, page.fetchLimit,
                      page.updatedSince?.rfc3339], NetworkStore.commitment)
        }
        let (items, next) = page.page(commitments) { [.string($0.createdAt), .string($0.id)] }
        return .page(items.map(\.json), nextCursor: next)
    }

    /// `POST .../commitments`: a member (or a manager for it) commits to an action for a priority.
    @Sendable static func createCommitment(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let memberId = input.string("member_id", maxLength: 60)
        let priorityId = input.string("priority_id", maxLength: 60)
        let text = input.text("action", required: true, maxLength: 1000)
        let dueOn = input.date("due_on")
        try input.finish()
        guard let text else { throw Problem.internalError() }
        let commitment = try context.write { tx -> Commitment in
            let network = try Permissions.network(tx.db, id: request.parameter("id"))
            let member = try DecisionRoutes.actingMember(tx.db, network: network, memberId: memberId, context: context)
            try checkLinks(tx.db, network: network, meetingId: nil, priorityId: priorityId, memberId: nil, memberField: "member_id")
            let now = tx.now.rfc3339
            let commitment = Commitment(id: Identifier.make("cmt", at: tx.now), networkId: network.id, memberId: member.id, priorityId: priorityId,
                                        action: text, status: "planned", dueOn: dueOn, progress: .array([]), createdAt: now, updatedAt: now,
                                        version: 1)
            try NetworkStore.saveCommitment(tx, commitment, isNew: true)
            try tx.audit("create", "network_commitment", commitment.id, changes: ["member_id", "priority_id", "action", "due_on"])
            return commitment
        }
        return .resource(commitment.json, version: commitment.version, status: 201)
    }

    /// `PATCH .../commitments/{commitment}`: status, and a progress note appended (never edited).
    @Sendable static func updateCommitment(_ request: Request, _ context: RequestContext) throws -> Response {
        let input = try Input.object(from: request)
        let status = input.choice("status", from: Commitment.statuses)
        let note = input.text("progress_note", maxLength: 2000)
        try input.finish()
        let commitment = try context.write { tx -> Commitment in
            let network = try Permissions.network(tx.db, id: request.parameter("id"))
            guard let current = try tx.db.queryOne("SELECT \(NetworkStore.commitmentColumns) FROM network_commitments WHERE id = ? AND network_id = ?",
                                                   [request.parameter("commitment"), network.id], NetworkStore.commitment) else {
                throw Problem.notFound("No commitment \(request.parameter("commitment")).")
            }
            let manager = try Permissions.canManage(context.principal, network, db: tx.db)
            let own = try Permissions.membership(context.principal, network, db: tx.db)
            guard manager || own?.id == current.memberId else { throw Problem.forbidden("Only the committed member or a manager may update this.") }
            try ETag.check(request, currentVersion: current.version)
            var commitment = current
            var changes: [String] = []
            if let status, status != current.status { commitment.status = status; changes.append("status") }
            if let note, case .array(var entries) = current.progress {
                entries.append(["at": .string(tx.now.rfc3339), "note": .string(note), "by": JSON(context.principal?.keyId)])
                commitment.progress = .array(entries)
                changes.append("progress")
            }
            guard !changes.isEmpty else { return current }
            commitment.updatedAt = tx.now.rfc3339
            commitment.version += 1
            try NetworkStore.saveCommitment(tx, commitment, isNew: false)
            try tx.audit("update", "network_commitment", commitment.id, changes: changes)
            return commitment
        }
        return .resource(commitment.json, version: commitment.version)
    }

    /// Links to a meeting, priority or member must be to this network's own.
    static func checkLinks(_ db: Database, network: Network, meetingId: String?, priorityId: String?, memberId: String?, memberField: String) throws {
        if let meetingId, try NetworkStore.findMeeting(db, networkId: network.id, id: meetingId) == nil {
            throw Problem.invalid("meeting_id", "is not a meeting of this network")
        }
        if let priorityId, try NetworkStore.findPriority(db, networkId: network.id, id: priorityId) == nil {
            throw Problem.invalid("priority_id", "is not a priority of this network")
        }
        if let memberId { _ = try MemberRoutes.activeMember(db, network: network, id: memberId, field: memberField) }
    }
}
