import KithCore
import SQLiteStore

/// The double-entry, append-only ledger: every movement takes whole credits from one account and
/// gives them to another, in the caller's transaction. Balances are kept with each movement and
/// never go below zero (the issuing account excepted: its balance is minus all credits issued).
/// Writes are serialised by SQLite's single writer, so two spends of one balance cannot both pass.
enum Ledger {
    static let issuingAccount = "acc_issuing"

    enum Kind: String, CaseIterable { case issue, spend, refund, gift, reversal, expiry }

    struct Movement {
        var seq: Int
        var id: String
        var kind: String
        var from: String
        var to: String
        var credits: Int
        var at: String
        var sourceType: String
        var sourceId: String
        var reverses: String?
        var reason: String?

        var json: JSON {
            ["id": .string(id), "kind": .string(kind), "from_account": .string(from), "to_account": .string(to),
             "credits": .int(credits), "at": .string(at), "source": ["type": .string(sourceType), "id": .string(sourceId)],
             "reverses": JSON(reverses), "reason": JSON(reason)]
        }
    }

    static let movementColumns = "seq, id, kind, from_account, to_account, credits, at, source_type, source_id, reverses, reason"

    static func movement(_ row: Row) -> Movement {
        Movement(seq: row.int(0), id: row.string(1), kind: row.string(2), from: row.string(3), to: row.string(4), credits: row.int(5),
                 at: row.string(6), sourceType: row.string(7), sourceId: row.string(8), reverses: row.optionalString(9),
                 reason: row.optionalString(10))
    }

    /// Moves `credits` from one account to another; 409 `insufficient-credits` when the paying
    /// account holds fewer, 409 when this cause (`kind`, source) has already moved credits.
    @discardableResult
    static func move(_ tx: Transaction, _ kind: Kind, from: String, to: String, credits: Int, source: (type: String, id: String),
                     reverses: String? = nil, reason: String? = nil) throws -> Movement {
        // Callers validate amounts; this guards the ledger's invariants against a programming error.
        guard credits > 0, from != to else { throw Problem.internalError() }
        if try tx.db.scalarInt("SELECT count(*) FROM credit_movements WHERE kind = ? AND source_type = ? AND source_id = ?",
                               [kind.rawValue, source.type, source.id]) ?? 0 > 0 {
            throw Problem.conflict("Credits for this \(source.type) (\(source.id)) have already been moved.")
        }
        // Debit first, guarded: the update matches no row when the balance would go negative.
        let debited = try tx.db.run("""
            UPDATE credit_accounts SET balance = balance - ?1 WHERE id = ?2 AND (kind = 'issuing' OR balance >= ?1)
            """, [credits, from])
        guard debited == 1 else {
            let balance = try tx.db.scalarInt("SELECT balance FROM credit_accounts WHERE id = ?", [from])
            guard let balance else { throw Problem.notFound("No credit account \(from).") }
            throw Problem(status: 409, slug: "insufficient-credits", title: "Not enough credits",
                          detail: "Account \(from) holds \(balance) credit\(balance == 1 ? "" : "s"); this needs \(credits).",
                          extensions: [("balance", .int(balance)), ("needed", .int(credits))])
        }
        guard try tx.db.run("UPDATE credit_accounts SET balance = balance + ? WHERE id = ?", [credits, to]) == 1 else {
            throw Problem.notFound("No credit account \(to).")
        }
        let id = Identifier.make("mov", at: tx.now)
        try tx.db.run("""
            INSERT INTO credit_movements(id, kind, from_account, to_account, credits, at, source_type, source_id, reverses, reason, key_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [id, kind.rawValue, from, to, credits, tx.now.rfc3339, source.type, source.id, reverses, reason, tx.actor.keyId])
        try tx.audit(kind.rawValue, "credit_movement", id, changes: ["credits", "from_account", "to_account"])
        guard let movement = try tx.db.queryOne("SELECT \(movementColumns) FROM credit_movements WHERE id = ?", [id], movement) else {
            throw Problem.internalError()
        }
        return movement
    }

    static func findMovement(_ db: Database, id: String) throws -> Movement? {
        try db.queryOne("SELECT \(movementColumns) FROM credit_movements WHERE id = ?", [id], movement)
    }

    // MARK: - Accounts

    struct Account {
        var id: String
        var kind: String
        var personId: String?
        var organisationId: String?
        var balance: Int
        var createdAt: String

        var json: JSON {
            ["id": .string(id), "kind": .string(kind), "person_id": JSON(personId), "organisation_id": JSON(organisationId),
             "balance": .int(balance), "created_at": .string(createdAt)]
        }
    }

    static func account(_ row: Row) -> Account {
        Account(id: row.string(0), kind: row.string(1), personId: row.optionalString(2), organisationId: row.optionalString(3),
                balance: row.int(4), createdAt: row.string(5))
    }

    static let accountColumns = "id, kind, person_id, organisation_id, balance, created_at"

    static func findAccount(_ db: Database, id: String) throws -> Account? {
        try db.queryOne("SELECT \(accountColumns) FROM credit_accounts WHERE id = ?", [id], account)
    }

    static func findAccount(_ db: Database, personId: String) throws -> Account? {
        try db.queryOne("SELECT \(accountColumns) FROM credit_accounts WHERE person_id = ?", [personId], account)
    }

    static func findAccount(_ db: Database, organisationId: String) throws -> Account? {
        try db.queryOne("SELECT \(accountColumns) FROM credit_accounts WHERE organisation_id = ?", [organisationId], account)
    }

    /// A person's account, opened on first use.
    static func personAccount(_ tx: Transaction, personId: String) throws -> String {
        if let existing = try findAccount(tx.db, personId: personId) { return existing.id }
        let id = Identifier.make("acc", at: tx.now)
        try tx.db.run("INSERT INTO credit_accounts(id, kind, person_id, created_at) VALUES (?, 'person', ?, ?)", [id, personId, tx.now.rfc3339])
        try tx.audit("create", "credit_account", id, changes: ["person_id"])
        return id
    }

    /// An organisation's account, opened on first use.
    static func organisationAccount(_ tx: Transaction, organisationId: String) throws -> String {
        if let existing = try findAccount(tx.db, organisationId: organisationId) { return existing.id }
        let id = Identifier.make("acc", at: tx.now)
        try tx.db.run("INSERT INTO credit_accounts(id, kind, organisation_id, created_at) VALUES (?, 'organisation', ?, ?)",
                      [id, organisationId, tx.now.rfc3339])
        try tx.audit("create", "credit_account", id, changes: ["organisation_id"])
        return id
    }

    /// Accounts whose kept balance differs from the sum of their movements, and the ledger's
    /// total (always zero when every movement is double entry): for tests and `kith check`.
    static func verify(_ db: Database) throws -> (mismatched: [String], total: Int) {
        let mismatched = try db.query("""
            SELECT a.id FROM credit_accounts a
            WHERE a.balance <> coalesce((SELECT sum(credits) FROM credit_movements WHERE to_account = a.id), 0)
                             - coalesce((SELECT sum(credits) FROM credit_movements WHERE from_account = a.id), 0)
            """) { $0.string(0) }
        return (mismatched, try db.scalarInt("SELECT coalesce(sum(balance), 0) FROM credit_accounts") ?? 0)
    }
}
