import Synchronization

/// A scenario's decision for one request.
struct ScenarioDecision {
    var answer: ScenarioAnswer
    var delay: Duration?
}

/// Applies a scenario: rule lookup and the per-token try counters of transient rules.
final class ScenarioEngine: Sendable {
    let scenario: Scenario
    private let tries = Mutex<[TryKey: Int]>([:])

    private struct TryKey: Hashable {
        var rule: Int
        var token: String
    }

    init(_ scenario: Scenario) {
        self.scenario = scenario
    }

    /// The first matching rule's answer and latency, nil when no rule matches.
    /// A transient rule answers its status for the first K tries of each token, then `.ok`.
    func decide(token: String) -> ScenarioDecision? {
        for (index, rule) in scenario.rules.enumerated() where rule.match.matches(token) {
            var answer = rule.answer
            if case .transient(_, let firstTries) = answer {
                let count = tries.withLock { counters -> Int in
                    let key = TryKey(rule: index, token: token)
                    let next = (counters[key] ?? 0) + 1
                    counters[key] = next
                    return next
                }
                if count > firstTries { answer = .ok }
            }
            return ScenarioDecision(answer: answer, delay: rule.latency?.sample())
        }
        return nil
    }
}
