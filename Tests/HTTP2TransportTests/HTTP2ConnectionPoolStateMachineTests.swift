import Testing
@testable import HTTP2Transport

/// The pool's decisions, without sockets.
@Suite struct HTTP2ConnectionPoolStateMachineTests {
    typealias Machine = HTTP2ConnectionPool.StateMachine

    func delay(_ action: Machine.Action) -> Duration? {
        if case .replace(_, let after) = action { return after }
        return nil
    }

    @Test func aCloseIsActedOnOncePerGeneration() {
        var machine = Machine(connections: 2, initialBackoff: .milliseconds(100), maxBackoff: .seconds(1))
        let first = machine.startOpening(slot: 1)
        // The connection closed before the pool stored it: still replaced, once.
        #expect(delay(machine.closed(slot: 1, generation: first, error: nil)) == .zero)
        #expect(delay(machine.closed(slot: 1, generation: first, error: nil)) == nil)
        let second = machine.startOpening(slot: 1)
        #expect(delay(machine.closed(slot: 1, generation: first, error: nil)) == nil)
        #expect(delay(machine.closed(slot: 1, generation: second, error: nil)) == .zero)
    }

    @Test func failedConnectsBackOffUpToTheLimitAndADrainResetsIt() {
        var machine = Machine(connections: 1, initialBackoff: .milliseconds(100), maxBackoff: .milliseconds(300))
        let failure = HTTP2TransportError.connectFailed(host: "h", port: 1, reason: "refused")
        var delays: [Duration?] = []
        for _ in 0..<3 {
            let generation = machine.startOpening(slot: 0)
            delays.append(delay(machine.closed(slot: 0, generation: generation, error: failure)))
        }
        #expect(delays == [.milliseconds(100), .milliseconds(200), .milliseconds(300)])
        let generation = machine.startOpening(slot: 0)
        #expect(delay(machine.closed(slot: 0, generation: generation, error: .connectionLost(reason: "GOAWAY"))) == .zero)
        let next = machine.startOpening(slot: 0)
        #expect(delay(machine.closed(slot: 0, generation: next, error: failure)) == .milliseconds(100))
    }
}
