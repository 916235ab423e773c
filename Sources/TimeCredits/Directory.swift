import KithCore
import SQLiteStore

/// What other modules read of Time Credits (Funding: volunteer time as match funding).
public enum CreditsDirectory {
    /// Approved volunteering hours given with the credit organisations that are this directory
    /// group, on days in `from...to` (YYYY-MM-DD).
    public static func approvedHours(_ db: Database, groupId: String, from: String, to: String) throws -> Double {
        let halfHours = try db.scalarInt("""
            SELECT coalesce(sum(v.half_hours), 0) FROM volunteering v JOIN credit_organisations o ON o.id = v.organisation_id
            WHERE o.group_id = ? AND v.status = 'approved' AND v.on_date BETWEEN ? AND ?
            """, [groupId, from, to]) ?? 0
        return Double(halfHours) / 2
    }
}
