import Hummingbird
import Logging

/// Turns every failure into an ``APIError`` answer, in one place: the router's own 404s (and
/// wrong methods) become `ROUTE_NOT_FOUND`, decoding failures a 400 naming the field, an
/// over-limit body a 413, anything else `SERVER_ERROR` (logged with the route).
/// Also logs one line per request at debug (route pattern only: the API key is never logged).
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = Self.apiError(for: error, request: request, context: context).response()
        }
        context.logger.debug("request", metadata: [
            "method": "\(request.method)", "route": "\(context.endpointPath ?? "none")", "status": "\(response.status.code)",
        ])
        return response
    }

    static func apiError(for error: any Error, request: Request, context: Context) -> APIError {
        switch error {
        case let e as APIError:
            return e
        case let e as HTTPError where e.status == .notFound || e.status == .methodNotAllowed:
            return .routeNotFound
        case let e as HTTPError where e.status == .contentTooLarge:
            return APIError(.contentTooLarge, "BODY_TOO_LARGE", 31, "the body is too large")
        case let e as DecodingError:
            let (field, reason) = describe(e)
            return .invalidParameter(field, reason)
        default:
            context.logger.error("request failed", metadata: [
                "route": "\(context.endpointPath ?? "none")", "error": "\(String(describing: type(of: error)))",
            ])
            return .serverError
        }
    }
}
