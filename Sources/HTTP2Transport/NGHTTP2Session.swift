internal import CNGHTTP2
internal import CPushShims

// Stored properties of the loop-bound classes in this file are `@exclusivity(unchecked)`:
// each instance is touched by one event-loop thread only and no access overlaps another, so
// the runtime's dynamic exclusivity checks buy nothing (their cost: PERFORMANCE.md, mock gateway).

/// HTTP/2 frame types this module reacts to (values from RFC 9113).
enum FrameType: UInt8 {
    case data = 0, headers = 1, rstStream = 3, settings = 4, ping = 6, goAway = 7
}

/// Owns an `nghttp2_session` and its sans-IO byte pipeline: ciphertext (or h2c bytes) in
/// through `ingest`, bytes out through `produce`. Subclasses (client core, server core)
/// override the event methods.
///
/// Threading: an instance belongs to one event loop and must only be touched from that
/// loop's thread (nghttp2 sessions are not thread-safe). The compiler cannot see the threads
/// that enter through nghttp2's C callbacks, so this rule is a design rule, asserted in debug
/// builds by the drivers.
class NGHTTP2Session {
    @exclusivity(unchecked) private(set) var session: OpaquePointer!
    let tls: TLSSession?
    /// Plaintext staging: decrypted input, and nghttp2 output before encryption.
    private let plainIn = ByteQueue(capacity: 32 * 1024)
    private let plainOut = ByteQueue(capacity: 32 * 1024)
    /// Set when the TLS handshake has completed (always true for h2c).
    @exclusivity(unchecked) private(set) var isReady: Bool
    /// Set when the peer closed TLS cleanly.
    var peerClosedTLS: Bool { tls?.peerClosed ?? false }

    init(isServer: Bool, tls: TLSSession?, peerMaxConcurrentStreams: UInt32 = 100) {
        self.tls = tls
        self.isReady = tls == nil
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        NGHTTP2Session.install(callbacks)
        var option: OpaquePointer?
        nghttp2_option_new(&option)
        defer { nghttp2_option_del(option) }
        // Assume a conservative stream limit until the peer's SETTINGS arrive.
        nghttp2_option_set_peer_max_concurrent_streams(option, peerMaxConcurrentStreams)
        nghttp2_option_set_no_closed_streams(option, 1)
        var s: OpaquePointer?
        let me = Unmanaged.passUnretained(self).toOpaque()
        let rc = isServer
            ? nghttp2_session_server_new2(&s, callbacks, me, option)
            : nghttp2_session_client_new2(&s, callbacks, me, option)
        precondition(rc == 0 && s != nil, "nghttp2 session allocation failed: \(rc)")
        session = s
    }

    deinit { nghttp2_session_del(session) }

    // MARK: Bytes in, bytes out

    /// Consumes bytes received from the socket. Throws on a TLS or HTTP/2 protocol failure.
    func ingest(_ bytes: UnsafeRawBufferPointer) throws(HTTP2TransportError) {
        guard let tls else {
            try receivePlain(bytes)
            return
        }
        tls.feed(bytes)
        if !isReady {
            guard try tls.handshake() else { return }
            isReady = true
            try didBecomeReady()
        }
        _ = try tls.readPlaintext(into: plainIn)
        if plainIn.readableBytes > 0 {
            let r = plainIn.readable
            defer { plainIn.clear() }
            try receivePlain(r)
        }
    }

    private func receivePlain(_ bytes: UnsafeRawBufferPointer) throws(HTTP2TransportError) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let n = nghttp2_session_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), bytes.count)
        if n < 0 {
            throw .protocolError(reason: String(cString: nghttp2_strerror(Int32(n))))
        }
        afterReceive()
    }

    /// Moves ciphertext TLS has queued (a handshake failure's alert) to `out`.
    func drainTLSAlerts(into out: ByteQueue) {
        tls?.drainCiphertext(into: out)
    }

    /// Appends everything the session wants to send (encrypted when TLS) to `out`.
    /// Stops early once `out` holds `highWater` bytes; call again when the socket drained.
    func produce(into out: ByteQueue, highWater: Int = 256 * 1024) throws(HTTP2TransportError) {
        if let tls {
            if !isReady {
                _ = try tls.handshake()  // the ClientHello, or the server's flight
                if tls.handshakeComplete {
                    isReady = true
                    try didBecomeReady()
                }
                tls.drainCiphertext(into: out)
                if !isReady { return }
            }
            beforeProduce()
            while out.readableBytes < highWater {
                let n = sendInto(plainOut, limit: 64 * 1024)
                if n == 0 { break }
                try tls.writePlaintext(plainOut.readable)
                plainOut.clear()
                tls.drainCiphertext(into: out)
            }
            tls.drainCiphertext(into: out)  // alerts, session tickets
        } else {
            beforeProduce()
            while out.readableBytes < highWater {
                if sendInto(out, limit: highWater) == 0 { break }
            }
        }
    }

    /// Copies nghttp2's pending output into `buffer`, up to about `limit` bytes.
    private func sendInto(_ buffer: ByteQueue, limit: Int) -> Int {
        var total = 0
        while total < limit {
            var data: UnsafePointer<UInt8>?
            let n = nghttp2_session_mem_send(session, &data)
            if n < 0 {
                // Only fatal errors (NOMEM, callback failure) land here.
                sessionFailed(reason: String(cString: nghttp2_strerror(Int32(n))))
                return total
            }
            if n == 0 { break }
            buffer.append(UnsafeRawBufferPointer(start: data, count: n))
            total += n
        }
        return total
    }

    /// True while the session wants to read or write; false means it is finished.
    var isAlive: Bool {
        nghttp2_session_want_read(session) != 0 || nghttp2_session_want_write(session) != 0
    }

    var wantsWrite: Bool { nghttp2_session_want_write(session) != 0 }

    /// Queues a TLS close_notify (no-op for h2c).
    func shutdownTLS() { tls?.shutdown() }

    // MARK: Hooks for subclasses

    /// The TLS handshake finished (h2c: never called). Subclasses send their SETTINGS here.
    func didBecomeReady() throws(HTTP2TransportError) {}
    /// After each `mem_recv`: subclasses process what the callbacks collected.
    func afterReceive() {}
    /// Before each `mem_send` loop: subclasses submit queued work.
    func beforeProduce() {}
    /// nghttp2 reported a fatal error while sending.
    func sessionFailed(reason: String) {}

    func onBeginHeaders(streamID: Int32) -> Int32 { 0 }
    func onHeader(streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Int32 { 0 }
    func onDataChunk(streamID: Int32, data: UnsafeRawBufferPointer) -> Int32 { 0 }
    func onFrameRecv(type: UInt8, flags: UInt8, streamID: Int32, frame: UnsafePointer<nghttp2_frame>) -> Int32 { 0 }
    func onFrameSend(type: UInt8, streamID: Int32) {}
    func onFrameNotSend(type: UInt8, streamID: Int32, libError: Int32) {}
    func onStreamClose(streamID: Int32, errorCode: UInt32) -> Int32 { 0 }
    /// Fills `buffer` with up to `length` body bytes of `streamID`; sets `eof` at the real end.
    func readBody(streamID: Int32, buffer: UnsafeMutablePointer<UInt8>, length: Int, eof: inout Bool) -> Int { 
        eof = true
        return 0
    }
    func onError(message: String) {}

    // MARK: Submitting

    /// Copies the next piece of a body for nghttp2's data provider. nghttp2 may ask for less
    /// than the rest when the flow-control window is nearly spent: the offset is kept, and EOF
    /// is set only at the real end (setting it after a partial copy truncates bodies).
    static func copyBody(_ body: [UInt8], offset: inout Int, into buffer: UnsafeMutablePointer<UInt8>,
                         length: Int, eof: inout Bool) -> Int {
        let n = min(length, body.count - offset)
        if n > 0 {
            body.withUnsafeBytes { raw in
                UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + offset, byteCount: n)
            }
        }
        offset += n
        eof = offset == body.count
        return n
    }

    /// The data provider every body uses: it calls back into `readBody` by stream ID.
    static let dataProvider: nghttp2_data_provider = {
        var p = nghttp2_data_provider()
        p.read_callback = { session, streamID, buf, length, flags, _, user in
            guard let user, let buf, let flags else { return Int(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue) }
            let me = Unmanaged<NGHTTP2Session>.fromOpaque(user).takeUnretainedValue()
            var eof = false
            let n = me.readBody(streamID: streamID, buffer: buf, length: length, eof: &eof)
            if eof { flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue }
            return n
        }
        return p
    }()

    // MARK: C trampolines

    private static func me(_ user: UnsafeMutableRawPointer?) -> NGHTTP2Session {
        Unmanaged<NGHTTP2Session>.fromOpaque(user!).takeUnretainedValue()
    }

    private static func install(_ cbs: OpaquePointer?) {
        nghttp2_session_callbacks_set_on_begin_headers_callback(cbs) { _, frame, user in
            guard let frame else { return 0 }
            return NGHTTP2Session.me(user).onBeginHeaders(streamID: frame.pointee.hd.stream_id)
        }
        nghttp2_session_callbacks_set_on_header_callback(cbs) { _, frame, name, namelen, value, valuelen, _, user in
            guard let frame else { return 0 }
            return NGHTTP2Session.me(user).onHeader(
                streamID: frame.pointee.hd.stream_id,
                name: UnsafeRawBufferPointer(start: name, count: namelen),
                value: UnsafeRawBufferPointer(start: value, count: valuelen))
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs) { _, _, streamID, data, len, user in
            NGHTTP2Session.me(user).onDataChunk(streamID: streamID, data: UnsafeRawBufferPointer(start: data, count: len))
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(cbs) { _, frame, user in
            guard let frame else { return 0 }
            return NGHTTP2Session.me(user).onFrameRecv(
                type: frame.pointee.hd.type, flags: frame.pointee.hd.flags,
                streamID: frame.pointee.hd.stream_id, frame: frame)
        }
        nghttp2_session_callbacks_set_on_frame_send_callback(cbs) { _, frame, user in
            guard let frame else { return 0 }
            NGHTTP2Session.me(user).onFrameSend(type: frame.pointee.hd.type, streamID: frame.pointee.hd.stream_id)
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs) { _, frame, libError, user in
            guard let frame else { return 0 }
            NGHTTP2Session.me(user).onFrameNotSend(
                type: frame.pointee.hd.type, streamID: frame.pointee.hd.stream_id, libError: libError)
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(cbs) { _, streamID, errorCode, user in
            NGHTTP2Session.me(user).onStreamClose(streamID: streamID, errorCode: errorCode)
        }
        nghttp2_session_callbacks_set_error_callback2(cbs) { _, _, msg, len, user in
            if let msg {
                let text = String(decoding: UnsafeRawBufferPointer(start: msg, count: len), as: UTF8.self)
                NGHTTP2Session.me(user).onError(message: text)
            }
            return 0
        }
    }
}

/// Builds `nghttp2_nv` arrays in a reusable scratch area. nghttp2 copies names and values at
/// submit time, so the scratch is reused for every request on the connection. Entries are
/// either copied into the scratch bytes (per-request values) or point straight into a
/// prebuilt `HTTP2HeaderBlock` (constant headers, no copy).
struct HeaderScratch: ~Copyable {
    private let bytes = ByteQueue(capacity: 4096)
    private var nva: UnsafeMutablePointer<nghttp2_nv>
    private var capacity = 64
    private(set) var count = 0
    /// Entries whose pointers are offsets into `bytes`, fixed up by `finish`.
    private var relative: [Int] = []

    init() {
        nva = .allocate(capacity: 64)
        relative.reserveCapacity(16)
    }

    deinit { nva.deallocate() }

    mutating func reset() {
        bytes.clear()
        relative.removeAll(keepingCapacity: true)
        count = 0
    }

    private mutating func grow() {
        let bigger = UnsafeMutablePointer<nghttp2_nv>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: nva, count: count)
        nva.deallocate()
        nva = bigger
        capacity *= 2
    }

    /// Copies a name and value into the scratch.
    mutating func add(_ name: String, _ value: String, neverIndex: Bool = false) {
        if count == capacity { grow() }
        var name = name
        var value = value
        let no = bytes.readableBytes
        name.withUTF8 { bytes.append(UnsafeRawBufferPointer($0)) }
        let vo = bytes.readableBytes
        value.withUTF8 { bytes.append(UnsafeRawBufferPointer($0)) }
        nva[count] = nghttp2_nv(name: UnsafeMutablePointer(bitPattern: no + 1), value: UnsafeMutablePointer(bitPattern: vo + 1),
                                namelen: vo - no, valuelen: bytes.readableBytes - vo,
                                flags: neverIndex ? UInt8(NGHTTP2_NV_FLAG_NO_INDEX.rawValue) : 0)
        relative.append(count)
        count += 1
    }

    /// Appends every field of a prebuilt block by pointer (no copy).
    mutating func add(block: HTTP2HeaderBlock) {
        for i in 0..<block.count {
            if count == capacity { grow() }
            nva[count] = block.nv(i)
            count += 1
        }
    }

    /// Resolves scratch offsets into pointers (the byte storage no longer moves) and returns
    /// the array, valid until the next `reset`.
    mutating func finish() -> (UnsafeMutablePointer<nghttp2_nv>, Int) {
        if bytes.isEmpty { _ = bytes.reserve(1) }  // empty names/values still need a valid pointer
        let base = bytes.storage.assumingMemoryBound(to: UInt8.self)
        for i in relative {
            // Offsets were stored +1 so that offset 0 is not a null pointer.
            nva[i].name = base + (Int(bitPattern: nva[i].name) - 1)
            nva[i].value = base + (Int(bitPattern: nva[i].value) - 1)
        }
        relative.removeAll(keepingCapacity: true)
        return (nva, count)
    }
}
