internal import CNGHTTP2
import PushSync

// Stored properties of the loop-bound classes in this file are `@exclusivity(unchecked)`:
// each instance is touched by one event-loop thread only and no access overlaps another, so
// the runtime's dynamic exclusivity checks buy nothing (their cost: PERFORMANCE.md, mock gateway).

/// One request being received, or a response being sent, on a server connection. Recycled
/// through a small free list, so a steady stream of requests allocates none of these.
final class ServerStream {
    @exclusivity(unchecked) var method = ""
    @exclusivity(unchecked) var path = ""
    @exclusivity(unchecked) var authority: String?
    @exclusivity(unchecked) var scheme: String?
    @exclusivity(unchecked) var headers: [HTTP2HeaderField] = []
    @exclusivity(unchecked) var body: [UInt8] = []
    @exclusivity(unchecked) var bodyTooLarge = false
    @exclusivity(unchecked) var responseBody: [UInt8] = []
    @exclusivity(unchecked) var responseOffset = 0
    @exclusivity(unchecked) var responded = false

    func reset() {
        method = ""
        path = ""
        authority = nil
        scheme = nil
        headers = []
        headers.reserveCapacity(8)
        body = []
        bodyTooLarge = false
        responseBody = []
        responseOffset = 0
        responded = false
    }
}

/// The sans-IO server side of one HTTP/2 connection: bytes in, complete requests to the
/// handler, responses back as bytes. A driver moves the bytes and the time; tests may feed
/// bytes directly.
final class HTTP2ServerCore: NGHTTP2Session {
    let connectionID: UInt64
    let handler: any HTTP2ServerHandler
    let maxConcurrentStreams: UInt32
    let maxRequestBody: Int
    @exclusivity(unchecked) private var streams: [Int32: ServerStream] = [:]
    @exclusivity(unchecked) private var ready: [Int32] = []
    @exclusivity(unchecked) private var delayed: [(due: UInt64, streamID: Int32, response: HTTP2ServerResponse)] = []
    @exclusivity(unchecked) private var scratch = HeaderScratch()
    @exclusivity(unchecked) private var settingsSent = false
    /// Set after a `.drop` directive: the driver flushes and closes the socket.
    @exclusivity(unchecked) private(set) var dropRequested = false
    /// Set after a `.stopReading` directive.
    @exclusivity(unchecked) private(set) var stopReadingRequested = false
    /// GOAWAY sent; close once every stream is answered.
    @exclusivity(unchecked) private(set) var isDraining = false
    /// Requests answered (stats).
    @exclusivity(unchecked) private(set) var requestsServed = 0
    /// PING frames received that ask for an answer (not ACKs; nghttp2 answers them itself).
    @exclusivity(unchecked) private(set) var pingsReceived = 0
    /// Error strings nghttp2 reported (logged by the driver).
    @exclusivity(unchecked) private(set) var lastError: String?

    init(connectionID: UInt64, handler: any HTTP2ServerHandler, tls: TLSSession?,
         maxConcurrentStreams: UInt32, maxRequestBody: Int) {
        self.connectionID = connectionID
        self.handler = handler
        self.maxConcurrentStreams = maxConcurrentStreams
        self.maxRequestBody = maxRequestBody
        super.init(isServer: true, tls: tls)
        if tls == nil { sendSettings() }
    }

    private func sendSettings() {
        guard !settingsSent else { return }
        settingsSent = true
        var iv = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: maxConcurrentStreams),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: 1 << 20),
        ]
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &iv, iv.count)
        nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, 1 << 24)
    }

    override func didBecomeReady() throws(HTTP2TransportError) { sendSettings() }

    /// Streams received but not yet fully answered.
    var openStreams: Int { streams.count }

    override func onBeginHeaders(streamID: Int32) -> Int32 {
        if streams[streamID] == nil {
            let s = freeStreams.popLast() ?? ServerStream()
            s.reset()
            streams[streamID] = s
            cached = (streamID, s)
        }
        return 0
    }

    @exclusivity(unchecked) private var freeStreams: [ServerStream] = []

    /// One-entry cache: a stream's header callbacks arrive back to back.
    @exclusivity(unchecked) private var cached: (id: Int32, stream: ServerStream)?

    @inline(__always)
    private func stream(_ id: Int32) -> ServerStream? {
        if let c = cached, c.id == id { return c.stream }
        guard let s = streams[id] else { return nil }
        cached = (id, s)
        return s
    }

    override func onHeader(streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Int32 {
        guard let s = stream(streamID) else { return 0 }
        let v = HeaderNames.string(value)
        if name.first == UInt8(ascii: ":") {
            switch name.count {
            case 7 where name[1] == UInt8(ascii: "m"): s.method = v
            case 5: s.path = v
            case 10: s.authority = v
            case 7 where name[1] == UInt8(ascii: "s"): s.scheme = v
            default: break
            }
        } else {
            s.headers.append(HTTP2HeaderField(HeaderNames.string(name), v))
        }
        return 0
    }

    override func onDataChunk(streamID: Int32, data: UnsafeRawBufferPointer) -> Int32 {
        guard let s = stream(streamID) else { return 0 }
        if s.body.count + data.count > maxRequestBody {
            s.bodyTooLarge = true
        } else {
            s.body.append(contentsOf: data)
        }
        return 0
    }

    override func onFrameRecv(type: UInt8, flags: UInt8, streamID: Int32, frame: UnsafePointer<nghttp2_frame>) -> Int32 {
        if (type == FrameType.headers.rawValue || type == FrameType.data.rawValue),
           flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0, stream(streamID) != nil {
            ready.append(streamID)
        } else if type == FrameType.ping.rawValue, flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) == 0 {
            pingsReceived += 1
        }
        return 0
    }

    override func onStreamClose(streamID: Int32, errorCode: UInt32) -> Int32 {
        if let s = streams.removeValue(forKey: streamID), freeStreams.count < 1024 {
            s.responseBody = []
            freeStreams.append(s)
        }
        if cached?.id == streamID { cached = nil }
        return 0
    }

    override func onError(message: String) { lastError = message }

    /// Runs the handler for every request completed by the last `mem_recv`.
    override func afterReceive() {
        guard !ready.isEmpty else { return }
        let ids = ready
        ready.removeAll(keepingCapacity: true)
        for id in ids {
            guard let s = streams[id] else { continue }
            let response: HTTP2ServerResponse
            if s.bodyTooLarge {
                response = HTTP2ServerResponse(status: 413)
            } else {
                let request = HTTP2ServerRequest(
                    method: s.method, path: s.path, authority: s.authority, scheme: s.scheme,
                    headers: s.headers, body: s.body, connectionID: connectionID, streamID: id)
                s.headers = []
                s.body = []
                do {
                    response = try handler.handle(request)
                } catch {
                    response = HTTP2ServerResponse(
                        status: 500, headers: [HTTP2HeaderField("content-type", "text/plain")],
                        body: Array("handler error: \(error)".utf8))
                }
            }
            if let delay = response.delay, delay > .zero {
                delayed.append((monotonicNanoseconds() &+ delay.wholeNanoseconds, id, response))
            } else {
                respond(id, response)
            }
        }
    }

    /// The earliest delayed-response time, if any.
    var nextDue: UInt64? { delayed.lazy.map(\.due).min() }

    /// Sends delayed responses that are due.
    func fireDue(now: UInt64) {
        guard !delayed.isEmpty else { return }
        var keep: [(due: UInt64, streamID: Int32, response: HTTP2ServerResponse)] = []
        let items = delayed
        delayed.removeAll()
        for item in items {
            if item.due <= now { respond(item.streamID, item.response) } else { keep.append(item) }
        }
        delayed.append(contentsOf: keep)
    }

    private func respond(_ id: Int32, _ response: HTTP2ServerResponse) {
        guard let s = streams[id], !s.responded else { return }
        s.responded = true
        requestsServed += 1
        scratch.reset()
        scratch.add(":status", String(response.status))
        for h in response.headers { scratch.add(h.name, h.value, neverIndex: h.neverIndex) }
        let (nva, count) = scratch.finish()
        if response.body.isEmpty {
            nghttp2_submit_response(session, id, nva, count, nil)
        } else {
            s.responseBody = response.body
            var provider = NGHTTP2Session.dataProvider
            nghttp2_submit_response(session, id, nva, count, &provider)
        }
        if let limit = response.newMaxConcurrentStreams {
            var iv = [nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: limit)]
            nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &iv, 1)
        }
        switch response.directive {
        case .keepOpen:
            break
        case .goAway:
            startDraining(lastStreamID: id, errorCode: response.goAwayErrorCode, debugData: response.goAwayDebugData)
        case .drop:
            dropRequested = true
        case .stopReading:
            stopReadingRequested = true
        }
    }

    override func readBody(streamID: Int32, buffer: UnsafeMutablePointer<UInt8>, length: Int, eof: inout Bool) -> Int {
        guard let s = stream(streamID) else {
            eof = true
            return 0
        }
        return NGHTTP2Session.copyBody(s.responseBody, offset: &s.responseOffset, into: buffer, length: length, eof: &eof)
    }

    /// Sends GOAWAY; streams up to `lastStreamID` (default: the last one received) finish.
    func startDraining(lastStreamID: Int32? = nil, errorCode: UInt32 = 0, debugData: [UInt8] = []) {
        guard !isDraining else { return }
        isDraining = true
        let last = lastStreamID ?? nghttp2_session_get_last_proc_stream_id(session)
        debugData.withUnsafeBufferPointer { d in
            _ = nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, errorCode, d.baseAddress, d.count)
        }
    }

    /// True when a draining connection has answered everything and sent everything.
    var isDrained: Bool { isDraining && streams.allSatisfy(\.value.responded) && delayed.isEmpty && !wantsWrite }
}
