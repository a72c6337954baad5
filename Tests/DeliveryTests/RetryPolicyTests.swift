import Delivery
import Testing

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 5, initialBackoff: .milliseconds(100), maxBackoff: .seconds(1))

    @Test(arguments: [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1000), (30, 1000)])
    func backoffDoublesUpToTheCapWithJitterInTheUpperHalf(attempt: Int, capMilliseconds: Int64) {
        let cap = Duration.milliseconds(capMilliseconds)
        #expect(policy.delay(afterAttempt: attempt, retryAfter: nil, random: { $0.upperBound }) == cap)
        #expect(policy.delay(afterAttempt: attempt, retryAfter: nil, random: { $0.lowerBound }) == cap / 2)
    }

    @Test func retryAfterIsAFloor() {
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(5), random: { $0.upperBound }) == .seconds(5))
        #expect(policy.delay(afterAttempt: 4, retryAfter: .milliseconds(10), random: { $0.upperBound }) == .milliseconds(800))
    }

    @Test func atLeastOneAttempt() {
        #expect(RetryPolicy(maxAttempts: 0).maxAttempts == 1)
    }
}
