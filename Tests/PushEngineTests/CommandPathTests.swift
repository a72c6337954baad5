import Delivery
import Foundation
import Gateways
import MockGateway
import PushEngine
import PushIndex
import PushModel
import PushSync
import PushTestSupport
import Testing

/// A hook that records what it admits, refuses what `refuse` says, and fails durability on demand.
final class RecordingHook: CommandHook {
    let admitted = Locked<[CommandRecord]>([])
    let durableCalls = Locked<[UInt64]>([])
    let refuse: @Sendable (AppCommand) -> Bool
    let failDurability: Bool
    /// Installations the index held when each record was admitted (the hook runs before the change).
    let presentAtAdmission = Locked<[Bool]>([])
    let probe = Locked<(@Sendable (InstallationID) -> Bool)?>(nil)

    init(failDurability: Bool = false, refuse: @escaping @Sendable (AppCommand) -> Bool = { _ in false }) {
        self.refuse = refuse
        self.failDurability = failDurability
    }

    func admit(_ record: CommandRecord) throws(CommandRefusal) {
        if refuse(record.command) { throw CommandRefusal("journal: refused for the test") }
        if case .installation(.upsert(let i)) = record.command, let probe = probe.withLock({ $0 }) {
            let present = probe(i.id)
            presentAtAdmission.withLock { $0.append(present) }
        }
        admitted.withLock { $0.append(record) }
    }

    func durable(through sequence: UInt64) async throws(CommandRefusal) {
        durableCalls.withLock { $0.append(sequence) }
        if failDurability { throw CommandRefusal("journal: fsync failed (EIO)") }
    }
}

/// The engine's one command path: order, the hook before the index, refusal, feedback.
@Suite(.serialized) struct CommandPathTests {
    @Test func everyChangeIsNumberedInOrderAndShownToTheHookBeforeItApplies() async throws {
        let hook = RecordingHook()
        let scenario = Scenario(rules: [ScenarioRule(match: TokenMatch(tokens: [TestData.tokenHex(3)]),
                                                     answer: .unregistered(timestampMilliseconds: nil))])
        let s = try PushEngineTests.Setup(scenario: scenario, hook: hook)
        defer { s.stop() }
        let app = s.app
        hook.probe.withLock { $0 = { id in app.installation(id) != nil } }
        for i in 0..<5 { try await s.app.register(TestData.installation(i, customID: "user-\(i)")) }
        try await s.app.apply(.attributes(.set(try CustomID("user-1"), values: [try AttributeName("age"): .int(30)], overwrite: false)))
        try await s.app.apply(.audience(.replace(try AudienceName("vip"), kind: .customIDs, members: [.customID(try CustomID("user-2"))])))
        #expect(hook.presentAtAdmission.withLock { $0 } == [false, false, false, false, false])
        #expect(s.app.attributes(for: try CustomID("user-1"))[try AttributeName("age")] == .int(30))
        #expect(s.app.audience(try AudienceName("vip"))?.count == 1)

        // Delivery feedback takes the same path: the invalidated token is the next command.
        let progress = await (try s.app.launchCampaign(notification: PushNotification(message: PushMessage(body: "x")))).finished(within: .seconds(30))
        #expect(progress.tokensDeleted == 1)
        let records = hook.admitted.withLock { $0 }
        #expect(records.map(\.sequence) == Array(1...8))
        #expect(records.allSatisfy { $0.app == "DemoApp" })
        guard case .installation(.removeToken(let token, let id, _)) = records[7].command else {
            Issue.record("record 8 is \(records[7].command)")
            return
        }
        #expect(id == TestData.installationID(3) && token == TestData.token(3))
        #expect(s.app.installation(TestData.installationID(3))?.token == nil)
        #expect(s.app.lastSequence == 8)
        // Callers waited for durability of their own record; feedback did not wait.
        #expect(hook.durableCalls.withLock { $0 } == Array(1...7))
    }

    @Test func aRefusedChangeChangesNothingAndUsesNoNumber() async throws {
        let refused = TestData.installationID(2)
        let hook = RecordingHook { command in
            if case .installation(.upsert(let i)) = command { return i.id == refused }
            return false
        }
        let s = try PushEngineTests.Setup(hook: hook)
        defer { s.stop() }
        try await s.app.register(TestData.installation(1))
        await #expect {
            try await s.app.register(TestData.installation(2))
        } throws: { error in
            guard case PushEngineError.refused(let r) = error else { return false }
            return r.reason.contains("refused for the test") && "\(error)".contains("change refused")
        }
        #expect(s.app.installation(refused) == nil)
        try await s.app.register(TestData.installation(3))
        #expect(hook.admitted.withLock { $0.map(\.sequence) } == [1, 2])
        #expect(s.app.installationCount == 2)
    }

    @Test func badInputNeverReachesTheHook() async throws {
        let hook = RecordingHook()
        let s = try PushEngineTests.Setup(hook: hook)
        defer { s.stop() }
        var bad = TestData.installation(1)
        bad.token = try DeviceToken(fcm: "fcm-on-ios")
        await #expect(throws: PushEngineError.self) { try await s.app.register(bad) }
        await #expect(throws: PushEngineError.self) {
            try await s.app.apply(.installation(.upsertMany([TestData.installation(2), bad])))
        }
        #expect(hook.admitted.withLock { $0.isEmpty })
        #expect(s.app.installationCount == 0 && s.app.lastSequence == 0)
    }

    @Test func aChangeThatCannotBeMadeDurableIsNotAcknowledged() async throws {
        let hook = RecordingHook(failDurability: true)
        let s = try PushEngineTests.Setup(hook: hook)
        defer { s.stop() }
        await #expect {
            try await s.app.register(TestData.installation(1))
        } throws: { error in
            guard case PushEngineError.refused(let r) = error else { return false }
            return r.reason.contains("fsync")
        }
        #expect(hook.durableCalls.withLock { $0 } == [1])
    }
}
