import Metrics
import Prometheus

/// The service's metrics through swift-metrics, kept in a Prometheus registry of its own (no
/// global bootstrap: several services can run in one process, as the tests do), exposed as
/// text at `GET /metrics`.
final class ServiceMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
        ]
        self.factory = factory
    }

    /// One answered request: by route pattern (never the API key) and status, with its latency.
    func request(route: String, method: String, status: Int, nanoseconds: Int64) {
        let dimensions = [("route", route), ("method", method), ("status", String(status))]
        Metrics.Counter(label: "pushengine_http_requests_total", dimensions: dimensions, factory: factory).increment()
        Metrics.Timer(label: "pushengine_http_request_duration_seconds", dimensions: [("route", route), ("method", method)],
                      factory: factory).recordNanoseconds(nanoseconds)
    }

    /// A counter of final notification outcomes for one app and platform.
    func notifications(app: String, platform: String, outcome: String) -> Metrics.Counter {
        Metrics.Counter(label: "pushengine_notifications_total", dimensions: [("app", app), ("platform", platform), ("outcome", outcome)],
                factory: factory)
    }

    /// A gauge set at scrape time.
    func gauge(_ label: String, _ dimensions: [(String, String)]) -> Metrics.Gauge {
        Metrics.Gauge(label: label, dimensions: dimensions, factory: factory)
    }

    /// The Prometheus text exposition.
    func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
