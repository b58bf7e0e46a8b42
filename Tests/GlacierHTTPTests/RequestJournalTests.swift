import GlacierDomain
@testable import GlacierHTTP
import Testing

@Suite struct RequestJournalTests {
    func entry(_ vault: String, status: Int = 200) -> RequestJournal.Entry {
        RequestJournal.Entry(
            time: 0, requestID: "r-\(vault)", method: "GET", path: "/-/vaults/\(vault)", operation: .describeVault,
            accountID: "123456789012", region: "us-east-1", vaultName: vault, status: status, errorCode: nil)
    }

    @Test func keepsTheNewestInOrderAndCountsTheDropped() {
        let journal = RequestJournal(capacity: 3)
        for v in ["a", "b"] { journal.record(entry(v)) }
        #expect(journal.snapshot().entries.map(\.vaultName) == ["a", "b"])
        for v in ["c", "d", "e"] { journal.record(entry(v)) }
        let (entries, dropped) = journal.snapshot()
        #expect(entries.map(\.vaultName) == ["c", "d", "e"])
        #expect(entries.map(\.sequence) == [3, 4, 5])
        #expect(dropped == 2)
    }

    @Test func clearForgetsButSequencesGoOn() {
        let journal = RequestJournal(capacity: 2)
        for v in ["a", "b", "c"] { journal.record(entry(v)) }
        #expect(journal.clear() == 2)
        #expect(journal.snapshot().entries.isEmpty && journal.snapshot().dropped == 0)
        journal.record(entry("d"))
        #expect(journal.snapshot().entries.map(\.sequence) == [4])
    }

    @Test func capacityZeroRecordsNothing() {
        let journal = RequestJournal(capacity: 0)
        #expect(!journal.isEnabled)
        journal.record(entry("a"))
        #expect(journal.snapshot().entries.isEmpty)
    }

    @Test func longPathsAreClippedAtACharacterBoundary() {
        let path = "/-/vaults/" + String(repeating: "é", count: 1_000)
        let clipped = RequestJournal.clippedPath(path)
        #expect(clipped.utf8.count <= RequestJournal.maxPathBytes)
        #expect(path.hasPrefix(clipped))
        #expect(RequestJournal.clippedPath("/-/vaults/v") == "/-/vaults/v")
    }
}
