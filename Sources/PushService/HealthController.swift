import Hummingbird

/// `GET /healthz`, `GET /readyz`, `GET /metrics`, `GET /openapi.yaml`.
struct HealthController {
    let server: PushServer

    struct Status: ResponseEncodable {
        var status: String
    }

    func addRoutes(to router: Router<ServiceRequestContext>) {
        router.get("healthz") { _, _ in Status(status: "ok") }
        router.get("readyz") { _, _ -> EditedResponse<Status> in
            // In memory, the index is loaded when the apps exist; not ready once shutdown began.
            server.isAccepting ? EditedResponse(response: Status(status: "ready"))
                : EditedResponse(status: .serviceUnavailable, response: Status(status: "shutting down"))
        }
        router.get("metrics") { _, _ -> Response in
            server.updateGauges()
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: server.metrics.exposition())))
        }
        router.get("openapi.yaml") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "application/yaml"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
    }
}

extension PushServer {
    /// Gauges read at scrape time: installations per app and platform, event-log queue depth.
    func updateGauges() {
        for app in apps.values {
            metrics.gauge("pushengine_installations", [("app", app.name), ("platform", app.platform.rawValue)])
                .record(app.push.installationCount)
            metrics.gauge("pushengine_tracked_sends", [("app", app.name), ("platform", app.platform.rawValue)])
                .record(app.push.trackedSendCount)
        }
        metrics.gauge("pushengine_event_log_queued_records", []).record(events.queuedRecordCount)
    }
}
