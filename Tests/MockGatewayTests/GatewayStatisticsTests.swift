import HTTP2Transport
import Testing
@testable import MockGateway

@Suite("GatewayStatistics")
struct GatewayStatisticsTests {
    @Test("counts by status and reason, as one sorted JSON line")
    func counts() throws {
        let statistics = GatewayStatistics()
        statistics.record(status: 200, reason: nil)
        statistics.record(status: 200, reason: nil)
        statistics.record(status: 410, reason: "Unregistered")
        statistics.record(status: 400, reason: "BadDeviceToken")
        statistics.record(status: 400, reason: "BadDeviceToken")
        let snapshot = statistics.snapshot()
        #expect(snapshot.requests == 5)
        #expect(snapshot.byStatus == [200: 2, 400: 2, 410: 1])
        #expect(snapshot.byReason == ["Unregistered": 1, "BadDeviceToken": 2])
        #expect(statistics.jsonLine() == #"{"requests":5,"by_status":{"200":2,"400":2,"410":1},"by_reason":{"BadDeviceToken":2,"Unregistered":1}}"#)
    }

    @Test("the gateway counts every answer")
    func gatewayCounts() {
        let gateway = Fixtures.noAuthGateway()
        _ = gateway.handle(Fixtures.apnsRequest())
        _ = gateway.handle(Fixtures.apnsRequest(method: "PUT"))
        #expect(gateway.statistics.snapshot().byStatus == [200: 1, 405: 1])
        #expect(gateway.statistics.snapshot().byReason == ["MethodNotAllowed": 1])
    }
}
