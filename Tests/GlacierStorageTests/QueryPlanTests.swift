import GRDB
@testable import GlacierStorage
import Testing

/// Statements run on every delete, part replacement or retrieval must not scan whole tables:
/// their cost would grow with the number of archives stored.
@Suite struct QueryPlanTests {
    @Test func statementsOnHotPathsUseIndexes() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        _ = try makeStore(dir)
        let db = try DatabaseQueue(path: dir.path + "/glacier.sqlite")
        for (sql, arguments) in MetadataStore.statementsThatMustUseIndexes {
            let plan = try db.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
            }
            #expect(!plan.isEmpty)
            // "SCAN CONSTANT ROW" is the outer SELECT without a table; any other SCAN reads a whole table.
            let scans = plan.filter { $0.hasPrefix("SCAN") && $0 != "SCAN CONSTANT ROW" }
            #expect(scans.isEmpty, "\(sql) scans: \(scans)")
        }
    }
}
