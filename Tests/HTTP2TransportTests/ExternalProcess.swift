import Foundation
@testable import HTTP2Transport

/// Runs the nghttp2 tools (Debian nghttp2-client / nghttp2-server, installed by
/// scripts/setup.sh) as peers in interop tests. Every process is bounded by a deadline.
enum ExternalTool {
    static func path(_ name: String) -> String {
        for dir in ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"] {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return name
    }

    /// Runs a tool to completion (killed after `limit`), returning its exit code and output.
    static func run(_ name: String, _ args: [String], limit: TimeInterval = 60) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path(name))
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let deadline = Date().addingTimeInterval(limit)
        var data = Data()
        let reader = pipe.fileHandleForReading
        while p.isRunning && Date() < deadline {
            usleep(5_000)
        }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        data.append(reader.readDataToEndOfFile())
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Starts a long-running tool; the caller stops it.
    static func start(_ name: String, _ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path(name))
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Stops a started tool. SIGKILL: a test process may hand its children a blocked SIGTERM.
    static func stop(_ p: Process) {
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
    }

    /// Waits (bounded) until something accepts TCP connections on 127.0.0.1:port.
    static func waitForListener(port: Int, limit: TimeInterval = 10) -> Bool {
        let deadline = Date().addingTimeInterval(limit)
        while Date() < deadline {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if rc == 0 { return true }
            usleep(20_000)
        }
        return false
    }
}

/// A blocking loopback socket for feeding a server raw bytes.
final class RawClient {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw HTTP2TransportError.connectFailed(host: "127.0.0.1", port: port, reason: "raw connect") }
        var tv = timeval(tv_sec: 10, tv_usec: 0)  // a bound, not a timing assertion
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads until the peer closes (true) or the receive bound passes (false).
    func readUntilClosed() -> (closed: Bool, bytes: [UInt8]) {
        var all: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n > 0 { all.append(contentsOf: buf[0..<n]); continue }
            if n == 0 { return (true, all) }
            if errno == ECONNRESET { return (true, all) }
            return (false, all)
        }
    }
}
