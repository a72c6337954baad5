public import HTTP2Transport
public import PushModel
import PushSync
import Synchronization

/// Everything a gateway needs to turn targets of one send into requests, and answers into
/// outcomes: the payload and header block built once per send, the credentials in use.
///
/// Implementations are shared by every thread that submits or completes requests of the send.
public protocol GatewaySendTemplate: Sendable {
    /// The platform whose gateway this template talks to.
    var platform: Platform { get }

    /// Builds one request per `(token, tag)`. Returns the credential generation the requests
    /// carry (0 when the gateway has none), to pass back to ``credentialsRejected(generation:)``.
    /// - Throws: ``GatewayError`` when credentials cannot be produced (signing, token endpoint).
    func makeRequests(_ targets: [(token: DeviceToken, tag: UInt64)], timeout: Duration?) throws(GatewayError)
        -> (requests: [HTTP2Request], credentialGeneration: UInt64)

    /// The outcome of one answer (or transport failure).
    func outcome(of result: Result<HTTP2Response, HTTP2TransportError>) -> DeliveryOutcome

    /// The gateway refused the credentials of `generation`: renew them if allowed.
    func credentialsRejected(generation: UInt64)
}

/// An APNs send: the payload encoded once, the constant headers in one `HTTP2HeaderBlock`
/// rebuilt only when the provider token changes (about every 50 minutes).
public final class APNsSendTemplate: GatewaySendTemplate {
    /// The options (topic, push type, priority, …).
    public let options: APNsOptions
    /// The encoded payload, shared by every request.
    public let payload: [UInt8]
    /// The provider-token cache (token auth); nil with certificate auth.
    public let tokens: APNsProviderTokenCache?
    private let block: HeaderBlockCache

    /// Encodes the payload and the header block.
    /// - Throws: ``GatewayError/payloadTooLarge(size:limit:pushType:)`` before anything is sent,
    ///   ``GatewayError/invalidField(field:reason:)`` for bad options,
    ///   ``GatewayError/invalidCredentials(context:)`` when the token cannot be signed.
    public init(message: PushMessage, options: APNsOptions, tokens: APNsProviderTokenCache?) throws(GatewayError) {
        self.options = options
        self.payload = try APNsCodec.payload(for: message, pushType: options.pushType)
        self.tokens = tokens
        let token = try tokens?.current()
        block = HeaderBlockCache(generation: token?.generation ?? 0,
                                 block: try APNsCodec.headerBlock(options: options, authorization: token?.authorization))
    }

    /// `.iOS`.
    public var platform: Platform { .iOS }

    /// The header block for the current provider token.
    public func currentHeaderBlock() throws(GatewayError) -> (block: HTTP2HeaderBlock, generation: UInt64) {
        guard let tokens else { return block.current }
        let token = try tokens.current()
        let cached = block.current
        if cached.generation == token.generation { return cached }
        let rebuilt = try APNsCodec.headerBlock(options: options, authorization: token.authorization)
        block.replace(generation: token.generation, block: rebuilt)
        return (rebuilt, token.generation)
    }

    /// One `POST /3/device/<hex>` per target over the shared block and payload.
    public func makeRequests(_ targets: [(token: DeviceToken, tag: UInt64)], timeout: Duration?) throws(GatewayError)
        -> (requests: [HTTP2Request], credentialGeneration: UInt64) {
        let (headerBlock, generation) = try currentHeaderBlock()
        var requests: [HTTP2Request] = []
        requests.reserveCapacity(targets.count)
        for t in targets {
            requests.append(HTTP2Request(path: APNsCodec.path(for: t.token), headerBlock: headerBlock,
                                         body: payload, timeout: timeout, tag: t.tag))
        }
        return (requests, generation)
    }

    /// ``APNsCodec/outcome(of:)``.
    public func outcome(of result: Result<HTTP2Response, HTTP2TransportError>) -> DeliveryOutcome {
        APNsCodec.outcome(of: result)
    }

    /// Asks the token cache for a new token (honouring its 20-minute floor).
    public func credentialsRejected(generation: UInt64) {
        tokens?.invalidate(generation: generation)
    }
}

/// The current header block and the credential generation it carries.
final class HeaderBlockCache: Sendable {
    private let state: Locked<(generation: UInt64, block: HTTP2HeaderBlock)>

    init(generation: UInt64, block: HTTP2HeaderBlock) {
        state = Locked((generation, block))
    }

    var current: (block: HTTP2HeaderBlock, generation: UInt64) {
        state.withLock { ($0.block, $0.generation) }
    }

    func replace(generation: UInt64, block: HTTP2HeaderBlock) {
        state.withLock { s in
            if generation > s.generation { s = (generation, block) }
        }
    }
}
