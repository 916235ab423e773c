import KithCore
import SQLiteStore

/// Time Credits: earning by volunteering, spending at venues, the ledger behind both.
public struct TimeCreditsModule: KithModule {
    public let name = "timecredits"
    public init() {}

    static let staff: Access = .only(.admin, .officer)
    /// Keys that may act for an organisation in the scheme (checked against the organisation).
    static let organisations: Access = .only(.admin, .officer, .coordinator, .group, .venue)
    static let everyoneInScheme: Access = .only(.admin, .officer, .coordinator, .group, .venue, .volunteer)
    /// Ledger writes must be safe to retry: each takes an Idempotency-Key.
    static let ledgerWrite = RouteOptions(requiresIdempotencyKey: true)

    public func register(_ router: inout Router) {
        router.get("/v1/credit-settings", Self.everyoneInScheme, SetupRoutes.showSettings)
        router.patch("/v1/credit-settings", .only(.admin), SetupRoutes.updateSettings)
        router.get("/v1/credit-organisations", .anyone, SetupRoutes.listOrganisations)
        router.post("/v1/credit-organisations", Self.staff, SetupRoutes.createOrganisation)
        router.get("/v1/credit-organisations/{id}", .anyone, SetupRoutes.showOrganisation)
        router.patch("/v1/credit-organisations/{id}", Self.staff, SetupRoutes.updateOrganisation)

        router.post("/v1/volunteering", Self.everyoneInScheme, options: Self.ledgerWrite, EarningRoutes.record)
        router.get("/v1/volunteering", Self.everyoneInScheme, EarningRoutes.list)
        router.get("/v1/volunteering/{id}", Self.everyoneInScheme, EarningRoutes.show)
        router.post("/v1/volunteering/{id}/approve", Self.organisations, options: Self.ledgerWrite, EarningRoutes.approveRoute)
        router.post("/v1/volunteering/{id}/decline", Self.organisations, EarningRoutes.decline)

        router.get("/v1/credit-offers", .anyone, SpendingRoutes.listOffers)
        router.post("/v1/credit-offers", Self.organisations, SpendingRoutes.createOffer)
        router.get("/v1/credit-offers/{id}", .anyone, SpendingRoutes.showOffer)
        router.patch("/v1/credit-offers/{id}", Self.organisations, SpendingRoutes.updateOffer)
        router.post("/v1/credit-offers/{id}/bookings", Self.everyoneInScheme, options: Self.ledgerWrite, SpendingRoutes.book)
        router.get("/v1/credit-offers/{id}/bookings", Self.organisations, SpendingRoutes.listBookings)
        router.get("/v1/bookings/{id}", Self.everyoneInScheme, SpendingRoutes.showBooking)
        router.post("/v1/bookings/{id}/confirm", Self.organisations, SpendingRoutes.confirm)
        router.post("/v1/bookings/{id}/cancel", Self.everyoneInScheme, options: Self.ledgerWrite, SpendingRoutes.cancel)
        router.post("/v1/credit-gifts", .only(.admin, .officer, .volunteer), options: Self.ledgerWrite, SpendingRoutes.gift)

        router.get("/v1/credit-accounts", Self.everyoneInScheme, LedgerRoutes.list)
        router.get("/v1/credit-accounts/{id}", Self.everyoneInScheme, LedgerRoutes.show)
        router.get("/v1/credit-accounts/{id}/statement", Self.everyoneInScheme, LedgerRoutes.statement)
        router.get("/v1/credit-movements", Self.staff, LedgerRoutes.movements)
        router.post("/v1/credit-movements/{id}/reverse", Self.staff, options: Self.ledgerWrite, LedgerRoutes.reverse)
        router.post("/v1/credit-expiry", .only(.admin), options: Self.ledgerWrite, LedgerRoutes.expire)
        router.get("/v1/credits/report", .only(.admin, .officer, .viewer), CreditReports.report)
    }

    /// The ledger balances: kept balances equal the movements, none negative, the total zero.
    public func check(_ db: Database) throws -> [String] {
        let (mismatched, total) = try Ledger.verify(db)
        let negative = try db.query("SELECT id FROM credit_accounts WHERE kind <> 'issuing' AND balance < 0") { $0.string(0) }
        return mismatched.map { "credit account \($0): balance differs from the sum of its movements" }
            + negative.map { "credit account \($0): negative balance" }
            + (total == 0 ? [] : ["credit ledger: balances sum to \(total), not 0"])
    }
}
