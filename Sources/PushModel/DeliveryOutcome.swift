/// How one request to a push gateway ended: accepted, rejected for good, or failed for now.
///
/// Every request the engine sends ends in exactly one outcome; the dispatcher turns it into
/// its consequence (`push_sent`, `token_deleted` + index removal, `push_error`, or a retry).
public enum DeliveryOutcome: Hashable, Sendable {
    /// The gateway took the notification (`push_sent`).
    case accepted
    /// The gateway refused it; `invalidatedAt` is APNs' 410 `timestamp` when given (the moment
    /// the token stopped being valid), used for the index's timestamp rule.
    case rejected(RejectionReason, invalidatedAt: Timestamp?)
    /// It may succeed later (throttling, 5xx, GOAWAY, refused stream, connection loss, timeout).
    case failed(TransientFailure)
}

/// A failure worth retrying, with the gateway's hint of when.
public struct TransientFailure: Hashable, Sendable, CustomStringConvertible {
    /// What happened, for logs and for the final `push_error` when retries run out.
    public let reason: String
    /// The gateway's `retry-after`, when it sent one (seconds on the wire).
    public let retryAfter: Duration?
    /// The HTTP status, when the failure was an answer rather than a transport failure.
    public let status: Int?

    /// Creates a transient failure.
    public init(reason: String, retryAfter: Duration? = nil, status: Int? = nil) {
        self.reason = reason
        self.retryAfter = retryAfter
        self.status = status
    }

    /// The reason, with the status when there is one.
    public var description: String { status.map { "\(reason) (\($0))" } ?? reason }
}
