#if canImport(Glibc)
import Glibc
#endif
internal import CPushShims

/// Thin wrappers over BSD sockets for the drivers. All sockets are non-blocking and close-on-exec.
enum Socket {
    static func errorText(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }

    /// Resolves `host` (name or literal) to socket addresses for TCP. Blocking (getaddrinfo,
    /// which may ask DNS): never call it on a loop thread.
    static func resolve(host: String, port: Int) throws(HTTP2TransportError) -> [(family: Int32, address: [UInt8])] {
        var rc: Int32 = 0
        guard let addresses = lookUp(host: host, port: port, flags: 0, rc: &rc) else {
            throw .resolveFailed(host: host, reason: String(cString: gai_strerror(rc)))
        }
        return addresses
    }

    /// The addresses of `host` when it is an IPv4 or IPv6 literal (`AI_NUMERICHOST`: parsed,
    /// no lookup, safe anywhere); nil for a name (or anything else), which needs ``resolve(host:port:)``.
    static func numericAddresses(host: String, port: Int) -> [(family: Int32, address: [UInt8])]? {
        var rc: Int32 = 0
        return lookUp(host: host, port: port, flags: AI_NUMERICHOST, rc: &rc)
    }

    private static func lookUp(host: String, port: Int, flags: Int32, rc: inout Int32) -> [(family: Int32, address: [UInt8])]? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        hints.ai_flags = flags
        var result: UnsafeMutablePointer<addrinfo>?
        rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let first = result else { return nil }
        defer { freeaddrinfo(first) }
        var out: [(Int32, [UInt8])] = []
        var p: UnsafeMutablePointer<addrinfo>? = first
        while let ai = p {
            if let addr = ai.pointee.ai_addr {
                let bytes = UnsafeRawBufferPointer(start: addr, count: Int(ai.pointee.ai_addrlen))
                out.append((ai.pointee.ai_family, Array(bytes)))
            }
            p = ai.pointee.ai_next
        }
        // Prefer IPv4 first: loopback gateways in tests listen on 127.0.0.1.
        return out.sorted { a, _ in a.0 == AF_INET }
    }

    /// Starts a non-blocking connect; returns the fd (connection completes on EPOLLOUT).
    static func startConnect(family: Int32, address: [UInt8]) throws(HTTP2TransportError) -> Int32 {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .connectFailed(host: "", port: 0, reason: errorText()) }
        setNoDelay(fd)
        let rc = address.withUnsafeBytes { raw in
            connect(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        if rc != 0 && errno != EINPROGRESS {
            let text = errorText()
            close(fd)
            throw .connectFailed(host: "", port: 0, reason: text)
        }
        return fd
    }

    /// The pending error of a connecting socket (0 when connected).
    static func pendingError(_ fd: Int32) -> Int32 {
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
        return err
    }

    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// A listening socket on `host:port` with SO_REUSEADDR and SO_REUSEPORT (so each loop
    /// can have its own listener on the same port). Returns the fd and the bound port.
    static func listen(host: String, port: Int, backlog: Int32 = 1024) throws(HTTP2TransportError) -> (fd: Int32, port: Int) {
        let addrs: [(family: Int32, address: [UInt8])]
        do { addrs = try resolve(host: host, port: port) } catch {
            throw .bindFailed(host: host, port: port, reason: "\(error)")
        }
        guard let a = addrs.first else { throw .bindFailed(host: host, port: port, reason: "no address") }
        let fd = socket(a.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .bindFailed(host: host, port: port, reason: errorText()) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc = a.address.withUnsafeBytes { raw in
            bind(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        if rc != 0 {
            let text = errorText()
            close(fd)
            throw .bindFailed(host: host, port: port, reason: text)
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let text = errorText()
            close(fd)
            throw .bindFailed(host: host, port: port, reason: text)
        }
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let bound = withUnsafeMutablePointer(to: &storage) { p -> Int in
            _ = p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
            if a.family == AF_INET6 {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
        return (fd, bound)
    }

    /// Accepts one pending connection, or returns nil when none is waiting.
    static func accept(_ listener: Int32) -> Int32? {
        let fd = CPushShims_accept_nonblocking(listener)
        if fd < 0 { return nil }
        setNoDelay(fd)
        return fd
    }
}
