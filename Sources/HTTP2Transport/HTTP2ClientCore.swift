internal import CNGHTTP2
import PushSync
#if canImport(Glibc)
import Glibc
#endif

// Stored properties of the loop-bound classes in this file are `@exclusivity(unchecked)`:
// each instance is touched by one event-loop thread only and no access overlaps another, so
// the runtime's dynamic exclusivity checks buy nothing (their cost: PERFORMANCE.md, mock gateway).

/// One in-flight request on a client connection. Recycled through a small free list on its
/// connection, so a steady stream of requests allocates none of these.
final class ClientStream {
    @exclusivity(unchecked) var tag: UInt64 = 0
    @exclusivity(unchecked) var body: [UInt8] = []
    @exclusivity(unchecked) var bodyOffset = 0
    @exclusivity(unchecked) var deadline: UInt64 = 0
    @exclusivity(unchecked) var status = 0
    @exclusivity(unchecked) var headers: [HTTP2HeaderField] = []
    @exclusivity(unchecked) var responseBody: [UInt8] = []
    /// HEADERS left the connection (so a loss means "may have been processed").
    @exclusivity(unchecked) var sent = false

    func reset(tag: UInt64, body: [UInt8], deadline: UInt64) {
        self.tag = tag
        self.body = body
        self.bodyOffset = 0
        self.deadline = deadline
        self.status = 0
        self.headers = []
        self.responseBody = []
        self.sent = false
    }
}

/// The sans-IO client side of one HTTP/2 connection: requests in, bytes out; bytes in,
/// completions out. Knows nothing of sockets or threads; a driver (`HTTP2ClientConnection`)
/// or a test moves the bytes and the time.
///
/// Invariant: every request given to `enqueue` produces exactly one `HTTP2Completion`
/// (response, timeout, refusal, GOAWAY, loss) — streams are removed from `streams` at the
/// moment they complete, and every later callback for that stream is ignored.
final class HTTP2ClientCore: NGHTTP2Session {
    let authority: String
    let scheme: String
    let localMaxStreams: Int
    let defaultTimeout: UInt64
    let keepHeader: (UnsafeRawBufferPointer) -> Bool

    @exclusivity(unchecked) private var pending = FIFO<HTTP2Request>()
    @exclusivity(unchecked) private(set) var streams: [Int32: ClientStream] = [:]
    @exclusivity(unchecked) private var completions: [HTTP2Completion] = []
    @exclusivity(unchecked) private var scratch = HeaderScratch()
    @exclusivity(unchecked) private(set) var goAwayLastStreamID: Int32?
    @exclusivity(unchecked) private(set) var goAwayErrorCode: UInt32 = 0
    /// The peer's GOAWAY debug data (APNs: a JSON reason), if any.
    @exclusivity(unchecked) private(set) var goAwayDebugData: [UInt8] = []
    /// Set once the connection can take no more requests (GOAWAY received or sent, or failed).
    @exclusivity(unchecked) private(set) var isDraining = false
    @exclusivity(unchecked) private(set) var failure: HTTP2TransportError?
    /// Highest number of streams open at once (tests and stats).
    @exclusivity(unchecked) private(set) var peakOpenStreams = 0
    @exclusivity(unchecked) private var settingsSent = false
    @exclusivity(unchecked) private(set) var remoteSettingsReceived = false
    @exclusivity(unchecked) private var pingOutstandingSince: UInt64?
    @exclusivity(unchecked) private(set) var lastActivity: UInt64

    init(tls: TLSSession?, authority: String, maxConcurrentStreams: Int, defaultTimeout: Duration,
         responseHeaderNames: Set<String>?, now: UInt64) {
        self.authority = authority
        self.scheme = tls == nil ? "http" : "https"
        self.localMaxStreams = max(1, maxConcurrentStreams)
        self.defaultTimeout = defaultTimeout.wholeNanoseconds
        self.lastActivity = now
        if let names = responseHeaderNames {
            // A handful of names: compare bytes in place, no allocation per received header.
            let list = names.map { Array($0.utf8) }
            keepHeader = { name in
                list.contains { kept in
                    kept.count == name.count && kept.withUnsafeBytes { memcmp($0.baseAddress!, name.baseAddress!, name.count) == 0 }
                }
            }
        } else {
            keepHeader = { _ in true }
        }
        super.init(isServer: false, tls: tls, peerMaxConcurrentStreams: 100)
        if tls == nil { sendSettings() }
    }

    private func sendSettings() {
        guard !settingsSent else { return }
        settingsSent = true
        var iv = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: 1 << 24),
        ]
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &iv, iv.count)
        // Connection-level receive window: large, so responses never stall on WINDOW_UPDATE.
        nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, 1 << 26)
    }

    override func didBecomeReady() throws(HTTP2TransportError) { sendSettings() }

    // MARK: Public surface for the driver

    /// Requests waiting for a stream.
    var pendingCount: Int { pending.count }
    /// Requests in flight.
    var openStreams: Int { streams.count }

    /// The peer's stream limit, capped by ours.
    var streamLimit: Int {
        // Until the peer's SETTINGS arrive, one stream: a peer with a low limit (or APNs,
        // which allows one stream before the first authenticated answer) never sees more.
        guard remoteSettingsReceived else { return 1 }
        let remote = nghttp2_session_get_remote_settings(session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS)
        return min(localMaxStreams, Int(remote))
    }

    /// Queues requests; they are submitted as stream capacity allows.
    func enqueue(_ requests: [HTTP2Request], now: UInt64) {
        if isDraining {
            let reason = failure.map(\.description) ?? "connection is draining (GOAWAY)"
            for r in requests { completions.append(.init(tag: r.tag, result: .failure(.notSent(reason: reason)))) }
            return
        }
        pending.append(contentsOf: requests)
    }

    func enqueue(_ request: HTTP2Request) {
        if isDraining {
            let reason = failure.map(\.description) ?? "connection is draining (GOAWAY)"
            completions.append(.init(tag: request.tag, result: .failure(.notSent(reason: reason))))
            return
        }
        pending.append(request)
    }

    /// Completions gathered since the last call.
    func takeCompletions() -> [HTTP2Completion] {
        if completions.isEmpty { return [] }
        let c = completions
        completions.removeAll(keepingCapacity: true)
        return c
    }

    var hasCompletions: Bool { !completions.isEmpty }

    /// Submits pending requests up to the stream limit.
    override func beforeProduce() {
        guard isReady, !isDraining else { return }
        let limit = streamLimit
        let now = pending.isEmpty ? 0 : monotonicNanoseconds()
        while streams.count < limit, let r = pending.popFirst() {
            guard nghttp2_session_check_request_allowed(session) != 0 else {
                isDraining = true
                completions.append(.init(tag: r.tag, result: .failure(.notSent(reason: "connection no longer accepts streams"))))
                failPending(.notSent(reason: "connection no longer accepts streams"))
                return
            }
            submit(r, now: now)
        }
        if streams.count > peakOpenStreams { peakOpenStreams = streams.count }
    }

    private func submit(_ r: HTTP2Request, now: UInt64) {
        scratch.reset()
        if pseudoBlock == nil || r.method != pseudoMethod {
            pseudoMethod = r.method
            pseudoBlock = HTTP2HeaderBlock([HTTP2HeaderField(":method", r.method),
                                            HTTP2HeaderField(":scheme", scheme),
                                            HTTP2HeaderField(":authority", authority)])
        }
        scratch.add(block: pseudoBlock!)
        scratch.add(":path", r.path)
        if let block = r.headerBlock { scratch.add(block: block) }
        for h in r.headers { scratch.add(h.name, h.value, neverIndex: h.neverIndex) }
        let (nva, count) = scratch.finish()
        let timeout = r.timeout?.wholeNanoseconds ?? defaultTimeout
        let stream = freeStreams.popLast() ?? ClientStream()
        stream.reset(tag: r.tag, body: r.body, deadline: now &+ timeout)
        let id: Int32
        if r.body.isEmpty {
            id = nghttp2_submit_request(session, nil, nva, count, nil, nil)
        } else {
            var provider = NGHTTP2Session.dataProvider
            id = nghttp2_submit_request(session, nil, nva, count, &provider, nil)
        }
        if id < 0 {
            completions.append(.init(tag: r.tag, result: .failure(
                .notSent(reason: String(cString: nghttp2_strerror(id))))))
            return
        }
        streams[id] = stream
    }

    override func readBody(streamID: Int32, buffer: UnsafeMutablePointer<UInt8>, length: Int, eof: inout Bool) -> Int {
        guard let s = stream(streamID) else {
            eof = true
            return 0
        }
        return NGHTTP2Session.copyBody(s.body, offset: &s.bodyOffset, into: buffer, length: length, eof: &eof)
    }

    /// One-entry cache: a stream's callbacks arrive back to back.
    @exclusivity(unchecked) private var cached: (id: Int32, stream: ClientStream)?

    @inline(__always)
    private func stream(_ id: Int32) -> ClientStream? {
        if let c = cached, c.id == id { return c.stream }
        guard let s = streams[id] else { return nil }
        cached = (id, s)
        return s
    }

    private func remove(_ id: Int32) -> ClientStream? {
        if cached?.id == id { cached = nil }
        return streams.removeValue(forKey: id)
    }

    /// Returns a completed stream to the free list (its response has been copied out).
    private func recycle(_ s: ClientStream) {
        if freeStreams.count < 1024 {
            s.body = []
            s.headers = []
            s.responseBody = []
            freeStreams.append(s)
        }
    }

    @exclusivity(unchecked) private var freeStreams: [ClientStream] = []
    /// `:method`, `:scheme`, `:authority` encoded once per method.
    @exclusivity(unchecked) private var pseudoBlock: HTTP2HeaderBlock?
    @exclusivity(unchecked) private var pseudoMethod = ""

    override func onHeader(streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Int32 {
        guard let s = stream(streamID) else { return 0 }
        if name.count == 7 && name.first == UInt8(ascii: ":") && memcmp(name.baseAddress!, ":status", 7) == 0 {
            var v = 0
            for b in value where b >= 48 && b <= 57 { v = v * 10 + Int(b - 48) }
            s.status = v
        } else if keepHeader(name) {
            s.headers.append(HTTP2HeaderField(HeaderNames.string(name), HeaderNames.string(value)))
        }
        return 0
    }

    override func onDataChunk(streamID: Int32, data: UnsafeRawBufferPointer) -> Int32 {
        stream(streamID)?.responseBody.append(contentsOf: data)
        return 0
    }

    override func onFrameSend(type: UInt8, streamID: Int32) {
        if type == FrameType.headers.rawValue, let s = stream(streamID) { s.sent = true }
    }

    override func onFrameNotSend(type: UInt8, streamID: Int32, libError: Int32) {
        if type == FrameType.headers.rawValue, let s = remove(streamID) {
            completions.append(.init(tag: s.tag, result: .failure(.notSent(reason: String(cString: nghttp2_strerror(libError))))))
        }
    }

    override func onFrameRecv(type: UInt8, flags: UInt8, streamID: Int32, frame: UnsafePointer<nghttp2_frame>) -> Int32 {
        switch type {
        case FrameType.headers.rawValue, FrameType.data.rawValue:
            if flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0, let s = remove(streamID) {
                completions.append(.init(tag: s.tag, result: .success(
                    HTTP2Response(status: s.status, headers: s.headers, body: s.responseBody))))
                recycle(s)
            }
        case FrameType.goAway.rawValue:
            goAwayLastStreamID = frame.pointee.goaway.last_stream_id
            goAwayErrorCode = frame.pointee.goaway.error_code
            if let data = frame.pointee.goaway.opaque_data, frame.pointee.goaway.opaque_data_len > 0 {
                goAwayDebugData = Array(UnsafeBufferPointer(start: data, count: frame.pointee.goaway.opaque_data_len))
            }
            isDraining = true
            failPending(.goAway(lastStreamID: goAwayLastStreamID!, errorCode: goAwayErrorCode))
        case FrameType.settings.rawValue:
            if flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) == 0 { remoteSettingsReceived = true }
        case FrameType.ping.rawValue:
            if flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0 { pingOutstandingSince = nil }
        default:
            break
        }
        return 0
    }

    override func onStreamClose(streamID: Int32, errorCode: UInt32) -> Int32 {
        guard let s = remove(streamID) else { return 0 }
        let error: HTTP2TransportError
        if errorCode == NGHTTP2_REFUSED_STREAM.rawValue {
            if let last = goAwayLastStreamID, streamID > last {
                error = .goAway(lastStreamID: last, errorCode: goAwayErrorCode)
            } else {
                error = .refusedStream
            }
        } else if errorCode == NGHTTP2_NO_ERROR.rawValue {
            // Closed cleanly without END_STREAM from the peer (e.g. RST NO_ERROR after a response).
            error = .streamReset(errorCode: 0)
        } else {
            error = .streamReset(errorCode: errorCode)
        }
        completions.append(.init(tag: s.tag, result: .failure(error)))
        return 0
    }

    override func afterReceive() {}

    override func sessionFailed(reason: String) {
        fail(.connectionLost(reason: reason))
    }

    // MARK: Time

    /// Cancels streams past their deadline; sends a PING when idle; returns the PING-timeout verdict.
    /// Returns false when the connection should be closed (keepalive PING unanswered).
    func tick(now: UInt64, pingInterval: UInt64, pingTimeout: UInt64) -> Bool {
        var expired: [Int32] = []
        for (id, s) in streams where s.deadline <= now { expired.append(id) }
        for id in expired {
            guard let s = remove(id) else { continue }
            nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), id, NGHTTP2_CANCEL.rawValue)
            completions.append(.init(tag: s.tag, result: .failure(.timeout)))
        }
        if let since = pingOutstandingSince {
            if now &- since > pingTimeout { return false }
        } else if isReady && pingInterval > 0 && now &- lastActivity > pingInterval {
            nghttp2_submit_ping(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil)
            pingOutstandingSince = now
            lastActivity = now
        }
        return true
    }

    func noteActivity(_ now: UInt64) { lastActivity = now }

    /// The earliest stream deadline, if any.
    var earliestDeadline: UInt64? { streams.values.lazy.map(\.deadline).min() }

    // MARK: Ending

    /// Fails every pending and in-flight request; the connection is finished.
    func fail(_ error: HTTP2TransportError) {
        if failure == nil { failure = error }
        isDraining = true
        failPending(.notSent(reason: error.description))
        let reason: String
        if case .connectionLost(let r) = error { reason = r } else { reason = error.description }
        for (_, s) in streams {
            let e: HTTP2TransportError = s.sent ? .connectionLost(reason: reason) : .notSent(reason: reason)
            completions.append(.init(tag: s.tag, result: .failure(e)))
        }
        streams.removeAll()
        cached = nil
    }

    /// Stops taking requests: sends GOAWAY, lets in-flight streams finish.
    func drain() {
        guard !isDraining else { return }
        isDraining = true
        failPending(.notSent(reason: "connection is closing"))
        nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, NGHTTP2_NO_ERROR.rawValue, nil, 0)
    }

    private func failPending(_ error: HTTP2TransportError) {
        while let r = pending.popFirst() {
            completions.append(.init(tag: r.tag, result: .failure(error)))
        }
    }
}
