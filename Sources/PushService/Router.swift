import Foundation
import Hummingbird
import HTTPTypes

extension PushServer {
    /// Routes grouped by resource, under `/{version}/{API_KEY}/…`; health, readiness, metrics and
    /// the OpenAPI document at the root; everything else is `ROUTE_NOT_FOUND`.
    func makeRouter() -> Router<ServiceRequestContext> {
        let router = Router(context: ServiceRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.add(middleware: APIErrorMiddleware())
        HealthController(server: self).addRoutes(to: router)
        TransactionalController(server: self).addRoutes(to: router.group("1.1/:apiKey/transactional"))
        InstallationsController(server: self).addRoutes(to: router.group("1.0/:apiKey/installations"))
        EventsController(server: self).addRoutes(to: router.group("1.0/:apiKey/events"))
        return router
    }

    /// The app and platform the path's API key selects, after checking `X-Authorization` and
    /// the key's rate limit. The key itself is never echoed.
    func authenticate(_ request: Request, context: ServiceRequestContext) throws(APIError) -> ServiceApp {
        guard isAccepting else { throw .unavailable }
        guard let key = context.parameters.get("apiKey"), let app = app(apiKey: key) else {
            throw .authenticationInvalid("unknown API key")
        }
        guard let given = request.headers[HTTPField.Name("X-Authorization")!] else {
            throw .authenticationInvalid("missing X-Authorization header (the app's REST key)")
        }
        guard constantTimeEqual(given, app.restKey) else { throw .authenticationInvalid("the REST key does not match the API key") }
        guard app.limiter.admit() else { throw .tooManyRequests }
        return app
    }

    /// Collects the body (up to `max_body_bytes`) and decodes it; failures name the field.
    func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let limit = configuration.maxBodyBytes
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            // NIO's too-many-bytes error (the only failure a client can cause here; a broken
            // connection gets no answer anyway).
            throw APIError.bodyTooLarge(limit)
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            let (field, reason) = describe(error)
            throw APIError.invalidParameter(field, reason)
        }
    }
}

private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let (x, y) = (Array(a.utf8), Array(b.utf8))
    guard x.count == y.count else { return false }
    var difference: UInt8 = 0
    for i in x.indices { difference |= x[i] ^ y[i] }
    return difference == 0
}

/// Now, as the engine's timestamps and the event log's times want it.
func nowMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
