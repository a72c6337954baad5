/// A notification or credential that cannot be used, found before anything is sent.
/// Each case names the field or file at fault and says what to change.
public enum GatewayError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The encoded payload is over the gateway's limit (4096 bytes; 5120 for APNs VoIP).
    case payloadTooLarge(size: Int, limit: Int, pushType: String)
    /// A message field is unusable (`collapse_id` over 64 bytes, a non-printable header value, …).
    case invalidField(field: String, reason: String)
    /// Credentials could not be loaded or used (key file, service-account JSON, signing).
    case invalidCredentials(context: String)
    /// The OAuth2 token endpoint refused the grant or answered something unusable.
    case tokenEndpoint(status: Int, detail: String)

    /// One line: what is wrong and what to do.
    public var description: String {
        switch self {
        case .payloadTooLarge(let size, let limit, let pushType):
            return "payload is \(size) bytes, over the \(limit)-byte limit for push type \(pushType): shorten the message or custom payload"
        case .invalidField(let field, let reason):
            return "\(field): \(reason)"
        case .invalidCredentials(let context):
            return "credentials: \(context)"
        case .tokenEndpoint(let status, let detail):
            return "token endpoint answered \(status): \(detail) (check the service account and token_uri)"
        }
    }
}
