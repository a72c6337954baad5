public import HTTP2Transport
public import PushModel
import PushSync
import Synchronization

/// Everything a gateway needs to turn targets of one send into requests, and answers into
/// outcomes: the payload and header block built once per send, the credentials in use.
///
/// Implementations are shared by every thread that submits or completes requests of the send.
/// `variant(for:)` and `outcome(of:)` for a 200 run while the sender holds its slot table's
/// lock: keep them pure, never calling back into the sender or the engine.
public protocol GatewaySendTemplate: Sendable {
    /// The platform whose gateway this template talks to.
    var platform: Platform { get }

    /// How many message variants the send has (1: one message for everyone).
    var variantCount: Int { get }

    /// The variant a target of `language` gets: its language's, else the default (0).
    func variant(for language: LanguageCode?) -> Int

    /// Builds one request per `(token, tag, variant)`. Returns the credential generation the
    /// requests carry (0 when the gateway has none), to pass back to ``credentialsRejected(generation:)``.
    /// - Throws: ``GatewayError`` when credentials cannot be produced (signing, token endpoint).
    func makeRequests(_ targets: [(token: DeviceToken, tag: UInt64, variant: Int)], timeout: Duration?) throws(GatewayError)
        -> (requests: [HTTP2Request], credentialGeneration: UInt64)

    /// The outcome of one answer (or transport failure).
    func outcome(of result: Result<HTTP2Response, HTTP2TransportError>) -> DeliveryOutcome

    /// The gateway refused the credentials of `generation`: renew them if allowed.
    func credentialsRejected(generation: UInt64)
}

/// Message variants by language: which one a language gets. Variant 0 is the default message;
/// variant i > 0 is `languages[i - 1]`'s.
public struct LanguageVariants: Sendable {
    /// The languages with their own variant, in variant order (variant i + 1 is `languages[i]`).
    public let languages: [LanguageCode]
    private let index: [UInt16: Int]

    /// Orders `variants` by language code (deterministic variant numbers).
    public init<M>(_ variants: [LanguageCode: M]) {
        languages = variants.keys.sorted { $0.packed < $1.packed }
        index = Dictionary(uniqueKeysWithValues: languages.enumerated().map { ($1.packed, $0 + 1) })
    }

    /// Number of variants, the default included.
    public var count: Int { languages.count + 1 }

    /// The variant of `language` (0 when it has none).
    @inline(__always)
    public func variant(for language: LanguageCode?) -> Int {
        guard let language, !languages.isEmpty else { return 0 }
        return index[language.packed] ?? 0
    }
}

/// An APNs send: each message variant's payload encoded once, the constant headers in one
/// `HTTP2HeaderBlock` (shared by every variant) rebuilt only when the provider token changes
/// (about every 50 minutes).
public final class APNsSendTemplate: GatewaySendTemplate {
    /// The options (topic, push type, priority, …).
    public let options: APNsOptions
    /// The default message's encoded payload, shared by every request that gets it.
    public var payload: [UInt8] { payloads[0] }
    /// Every variant's encoded payload: 0 the default, then ``languages``' order.
    public let payloads: [[UInt8]]
    /// The languages with their own variant.
    public let languages: LanguageVariants
    /// The provider-token cache (token auth); nil with certificate auth.
    public let tokens: APNsProviderTokenCache?
    private let block: HeaderBlockCache
    /// Random per send: with ``APNsOptions/sendsAPNsID`` each token's `apns-id` is derived from it.
    private let idSalt: UUIDBytes

    /// Encodes the payloads (one per variant) and the header block.
    /// - Parameter variants: per-language messages; installations whose language has none get `message`.
    /// - Throws: ``GatewayError/payloadTooLarge(size:limit:pushType:)`` before anything is sent
    ///   (any variant), ``GatewayError/invalidField(field:reason:)`` for bad options,
    ///   ``GatewayError/invalidCredentials(context:)`` when the token cannot be signed.
    public init(message: PushMessage, variants: [LanguageCode: PushMessage] = [:], options: APNsOptions,
                tokens: APNsProviderTokenCache?) throws(GatewayError) {
        self.options = options
        languages = LanguageVariants(variants)
        var payloads = [try APNsCodec.payload(for: message, pushType: options.pushType)]
        for language in languages.languages {
            do {
                payloads.append(try APNsCodec.payload(for: variants[language]!, pushType: options.pushType))
            } catch .invalidField(let field, let reason) {
                throw .invalidField(field: "variants.\(language).\(field)", reason: reason)
            }
        }
        self.payloads = payloads
        var g = SystemRandomNumberGenerator()
        idSalt = UUIDBytes(hi: g.next(), lo: g.next())
        self.tokens = tokens
        let token = try tokens?.current()
        block = HeaderBlockCache(generation: token?.generation ?? 0,
                                 block: try APNsCodec.headerBlock(options: options, authorization: token?.authorization))
    }

    /// `.iOS`.
    public var platform: Platform { .iOS }

    /// ``payloads``' count.
    public var variantCount: Int { payloads.count }

    /// The variant of `language` (see ``LanguageVariants``).
    public func variant(for language: LanguageCode?) -> Int { languages.variant(for: language) }

    /// The `apns-id` requests to `token` carry in this send when ``APNsOptions/sendsAPNsID`` is set:
    /// a version-4-shaped UUID from the send's random salt and the token, so every attempt for a
    /// token (retries included) carries the same ID, and IDs differ between tokens and sends.
    public func apnsID(for token: DeviceToken) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a over the token bytes
        token.withUnsafeBytes { for b in $0 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 } }
        let hi = (idSalt.hi ^ (h &* 0x9E37_79B9_7F4A_7C15)) & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_4000
        let lo = (idSalt.lo ^ h) & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        return UUIDBytes(hi: hi, lo: lo).string(.lower)
    }

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

    /// One `POST /3/device/<hex>` per target over the shared block and its variant's payload
    /// (shared, not copied); with ``APNsOptions/sendsAPNsID``, plus the token's `apns-id`
    /// (never HPACK-indexed: it differs on every request).
    public func makeRequests(_ targets: [(token: DeviceToken, tag: UInt64, variant: Int)], timeout: Duration?) throws(GatewayError)
        -> (requests: [HTTP2Request], credentialGeneration: UInt64) {
        let (headerBlock, generation) = try currentHeaderBlock()
        var requests: [HTTP2Request] = []
        requests.reserveCapacity(targets.count)
        for t in targets {
            let headers = options.sendsAPNsID ? [HTTP2HeaderField("apns-id", apnsID(for: t.token), neverIndex: true)] : []
            requests.append(HTTP2Request(path: APNsCodec.path(for: t.token), headerBlock: headerBlock, headers: headers,
                                         body: payloads[t.variant < payloads.count ? t.variant : 0], timeout: timeout, tag: t.tag))
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
