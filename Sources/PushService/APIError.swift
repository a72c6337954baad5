import Foundation
public import Hummingbird
import PushModel

/// The one error of the REST API, with the reference platform's catalogue: every failure a
/// client sees is one of these, as `{"error_code": "…", "error_message": "…", "code": N}`.
/// Messages never contain an API key or a REST key.
public struct APIError: Error, Sendable, Equatable, HTTPResponseError {
    /// HTTP status.
    public let status: HTTPResponse.Status
    /// `AUTHENTICATION_INVALID`, `API_MISUSE`, …
    public let errorCode: String
    /// The catalogue's numeric code.
    public let code: Int
    /// What is wrong (for a 400, the field first).
    public let message: String

    init(_ status: HTTPResponse.Status, _ errorCode: String, _ code: Int, _ message: String) {
        self.status = status
        self.errorCode = errorCode
        self.code = code
        self.message = message
    }

    /// 401: unknown API key, or a missing or wrong `X-Authorization`.
    static func authenticationInvalid(_ message: String) -> APIError { APIError(.unauthorized, "AUTHENTICATION_INVALID", 10, message) }
    /// 403: a call the API does not allow.
    static func apiMisuse(_ message: String) -> APIError { APIError(.forbidden, "API_MISUSE", 12, message) }
    /// 404: no such route.
    static let routeNotFound = APIError(.notFound, "ROUTE_NOT_FOUND", 20, "no such route")
    /// 404: the route exists, the installation does not.
    static let installationNotFound = APIError(.notFound, "INSTALLATION_NOT_FOUND", 21, "no installation with this ID")
    /// 429: over the API key's requests-per-second limit.
    static let tooManyRequests = APIError(.tooManyRequests, "TOO_MANY_REQUESTS", 60, "too many requests for this API key: wait at least 5 s")
    /// 500.
    static let serverError = APIError(.internalServerError, "SERVER_ERROR", 0, "internal error")
    /// 503: shutting down, or not ready.
    static let unavailable = APIError(.serviceUnavailable, "SERVICE_UNAVAILABLE", 1, "the service is shutting down")
    /// 400: the body does not validate.
    static func invalidParameter(_ field: String, _ reason: String) -> APIError {
        APIError(.badRequest, "INVALID_PARAMETER", 30, "\(field): \(reason)")
    }
    /// 400: a value the model refused (the message names the field).
    static func invalid(_ e: ValidationError) -> APIError { APIError(.badRequest, "INVALID_PARAMETER", 30, e.description) }
    /// 413.
    static func bodyTooLarge(_ limit: Int) -> APIError { APIError(.contentTooLarge, "BODY_TOO_LARGE", 31, "the body is larger than \(limit) bytes") }

    struct Body: Encodable {
        var errorCode: String
        var errorMessage: String
        var code: Int
        enum CodingKeys: String, CodingKey { case errorCode = "error_code", errorMessage = "error_message", code }
    }

    /// The JSON answer.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    func response() -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(Body(errorCode: errorCode, errorMessage: message, code: code))) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if status == .tooManyRequests { headers[.retryAfter] = "5" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
