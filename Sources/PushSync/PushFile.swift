#if canImport(Glibc)
import Glibc
#endif

/// The one whole-file reader: key files, scenarios, token files, service accounts, `/proc`
/// files and the benchmarks' event files all go through here.
public enum PushFile {
    /// Reads the whole file at `path`.
    /// - Throws: ``PushFileError`` when it cannot be opened or read, or is larger than `limit` bytes.
    public static func readAll(path: String, limit: Int) throws(PushFileError) -> [UInt8] {
        var bytes: [UInt8] = []
        try forEachChunk(path: path) { (chunk: UnsafeRawBufferPointer) throws(PushFileError) in
            guard bytes.count + chunk.count <= limit else {
                throw PushFileError(path: path, kind: .tooLarge(limit: limit))
            }
            bytes.append(contentsOf: chunk)
        }
        return bytes
    }

    /// Reads the file at `path` from start to end, handing `body` one chunk at a time (for
    /// files too large to hold). A chunk is valid only during the call.
    /// - Throws: ``PushFileError`` when it cannot be opened or read; what `body` throws.
    public static func forEachChunk(path: String, chunkSize: Int = 65_536,
                                    _ body: (UnsafeRawBufferPointer) throws(PushFileError) -> Void) throws(PushFileError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PushFileError(path: path, kind: .open(errno: errno)) }
        defer { _ = close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw PushFileError(path: path, kind: .read(errno: errno))
            }
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }
}

/// A file ``PushFile`` could not read: which file, and what went wrong.
public struct PushFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// `open(2)` failed (no such file, permission denied, …).
        case open(errno: Int32)
        /// `read(2)` failed.
        case read(errno: Int32)
        /// The file is larger than the caller's limit (bytes).
        case tooLarge(limit: Int)
    }

    /// The file.
    public var path: String
    /// What went wrong.
    public var kind: Kind

    /// Creates the error.
    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }

    /// `cannot open PATH (errno N)`, `cannot read PATH (errno N)` or `PATH is larger than N bytes`.
    public var description: String {
        switch kind {
        case .open(let code): "cannot open \(path) (errno \(code))"
        case .read(let code): "cannot read \(path) (errno \(code))"
        case .tooLarge(let limit): "\(path) is larger than \(limit) bytes"
        }
    }
}

extension PushFile {
    /// How a secret file (a private key, a credential) is named in errors and logs: its file
    /// name only, never the directory that holds it (`…/AuthKey_ABC123.p8`).
    public static func redacted(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return "…/" + path[path.index(after: slash)...]
    }
}
