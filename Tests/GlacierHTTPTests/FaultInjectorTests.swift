import GlacierDomain
@testable import GlacierHTTP
import Testing

@Suite struct FaultInjectorTests {
    func rule(_ operation: OperationName?, vault: String? = nil, _ code: GlacierError.Code = .throttling, count: Int = 1, message: String = "m")
        -> FaultInjector.Rule
    {
        FaultInjector.Rule(operation: operation, vaultName: vault, code: code, message: message, count: count)
    }

    @Test func nothingArmedAnswersNothing() {
        let faults = FaultInjector()
        #expect(faults.take(.describeVault, vaultName: "v") == nil)
        #expect(faults.armed.isEmpty)
    }

    @Test func aRuleAnswersItsCountThenIsGone() {
        let faults = FaultInjector()
        #expect(faults.arm(rule(.uploadArchive, .serviceUnavailable, count: 2, message: "busy")))
        #expect(faults.take(.describeVault, vaultName: "v") == nil)
        #expect(faults.take(.uploadArchive, vaultName: "v") == .init(delayMilliseconds: 0, error: GlacierError(.serviceUnavailable, "busy")))
        #expect(faults.armed.map(\.remaining) == [1])
        #expect(faults.take(.uploadArchive, vaultName: "w")?.error?.code == .serviceUnavailable)
        #expect(faults.armed.isEmpty)
        #expect(faults.take(.uploadArchive, vaultName: "v") == nil)
    }

    @Test func vaultFilterAndWildcard() {
        let faults = FaultInjector()
        #expect(faults.arm(rule(.describeVault, vault: "a", .resourceNotFound)))
        #expect(faults.arm(rule(nil, .requestTimeout)))
        // The vault rule does not match vault b; the wildcard, armed later, does.
        #expect(faults.take(.describeVault, vaultName: "b")?.error?.code == .requestTimeout)
        #expect(faults.take(.describeVault, vaultName: "b") == nil)
        #expect(faults.take(.describeVault, vaultName: "a")?.error?.code == .resourceNotFound)
        #expect(faults.armed.isEmpty)
    }

    @Test func rulesAreTriedInArmingOrder() {
        let faults = FaultInjector()
        #expect(faults.arm(rule(.listVaults, .throttling)))
        #expect(faults.arm(rule(.listVaults, .serviceUnavailable)))
        #expect(faults.take(.listVaults, vaultName: nil)?.error?.code == .throttling)
        #expect(faults.take(.listVaults, vaultName: nil)?.error?.code == .serviceUnavailable)
    }

    @Test func clearAndTheRuleLimit() {
        let faults = FaultInjector()
        for _ in 0..<FaultInjector.maxRules { #expect(faults.arm(rule(.listVaults))) }
        #expect(!faults.arm(rule(.listVaults)))
        #expect(faults.clear() == FaultInjector.maxRules)
        #expect(faults.take(.listVaults, vaultName: nil) == nil)
        #expect(faults.arm(rule(.listVaults)))
    }

    @Test func aDelayAloneServesLate() {
        let faults = FaultInjector()
        #expect(faults.arm(FaultInjector.Rule(operation: .listVaults, vaultName: nil, code: nil, message: "m", delayMilliseconds: 250, count: 1)))
        #expect(faults.take(.listVaults, vaultName: nil) == .init(delayMilliseconds: 250, error: nil))
        #expect(faults.take(.listVaults, vaultName: nil) == nil)
    }

    @Test func armableCodesAreGlaciersOwn() {
        #expect(!FaultInjector.armableCodes.contains(.notImplemented))
        #expect(!FaultInjector.armableCodes.contains(.unknownOperation))
        #expect(FaultInjector.armableCodes.contains(.throttling))
        #expect(FaultInjector.armableCodes.contains(.serviceUnavailable))
    }
}
