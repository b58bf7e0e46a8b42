import GlacierDomain
import GlacierStorage
import Testing

@Suite struct ServiceClockTests {
    @Test func advanceMovesStoredDatesAndSurvivesReopenButNotReset() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        #expect(service.clockOffsetMilliseconds == 0)
        try await service.advanceClock(seconds: 3 * 86_400)
        try await service.advanceClock(seconds: 60)
        #expect(service.clockOffsetMilliseconds == (3 * 86_400 + 60) * 1000)
        let before = Timestamp.now() + service.clockOffsetMilliseconds
        _ = try await service.createVault(caller, name: "later")
        let after = Timestamp.now() + service.clockOffsetMilliseconds
        let created = try await service.describeVault(caller, name: "later").creationDate
        #expect(created >= before && created <= after)

        // Kept in the metadata: a new service on the same directory reads it.
        let reopened = try await makeService(dir)
        #expect(reopened.clockOffsetMilliseconds == (3 * 86_400 + 60) * 1000)
        try await reopened.reset()
        #expect(reopened.clockOffsetMilliseconds == 0)
        #expect(try await makeService(dir).clockOffsetMilliseconds == 0)
    }

    @Test func onlyForwardAndAtMostTenYears() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let service = try await makeService(dir)
        for seconds: Int64 in [0, -1, GlacierService.maxClockAdvanceSeconds + 1] {
            await #expect(throws: GlacierError.self) { try await service.advanceClock(seconds: seconds) }
        }
        #expect(service.clockOffsetMilliseconds == 0)
        try await service.advanceClock(seconds: GlacierService.maxClockAdvanceSeconds)
        #expect(service.clockOffsetMilliseconds == GlacierService.maxClockAdvanceSeconds * 1000)
        // At most a hundred years ahead in all.
        for _ in 1..<10 { try await service.advanceClock(seconds: GlacierService.maxClockAdvanceSeconds) }
        #expect(service.clockOffsetMilliseconds == GlacierService.maxClockOffsetSeconds * 1000)
        await #expect(throws: GlacierError.self) { try await service.advanceClock(seconds: 1) }
        #expect(service.clockOffsetMilliseconds == GlacierService.maxClockOffsetSeconds * 1000)
    }
}

@Suite struct CivilDateTests {
    /// `civilDate` (SigV4's x-amz-date and the inventory document's dates) inverts the day part
    /// of `epochSeconds`, across leap years, centuries and before the epoch.
    @Test func civilDateInvertsEpochSeconds() {
        for days in stride(from: Int64(-800_000), through: 800_000, by: 997) {
            let (year, month, day) = Timestamp.civilDate(daysSinceEpoch: days)
            #expect((1...12).contains(month) && (1...31).contains(day))
            #expect(Timestamp.epochSeconds(year: year, month: month, day: day, hour: 0, minute: 0, second: 0) == days * 86_400)
        }
        #expect(Timestamp.civilDate(daysSinceEpoch: 0) == (1970, 1, 1))
        #expect(Timestamp.civilDate(daysSinceEpoch: 11_016) == (2000, 2, 29))
        #expect(Timestamp.civilDate(daysSinceEpoch: -1) == (1969, 12, 31))
    }
}
