#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file-system calls the event log makes, behind a seam so that tests can inject
/// `ENOSPC` / `EACCES` (the tests run as root, where permissions are not enforced).
///
/// Every method throws the typed error its `errno` maps to (``EventLogError/io(_:path:errno:)``).
protocol SpoolFileSystem: Sendable {
    /// Opens (creating, mode 0644) for appending; returns the descriptor and the current size.
    func openForAppend(_ path: String) throws(EventLogError) -> (fd: Int32, size: Int)
    /// Opens for writing, creating or truncating.
    func createTruncating(_ path: String) throws(EventLogError) -> Int32
    /// Writes some of `bytes` (at least one byte, or throws); returns how many.
    func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(EventLogError) -> Int
    /// `fsync(2)`.
    func sync(_ fd: Int32, path: String) throws(EventLogError)
    /// `close(2)`; errors are ignored (the data was synced or will be repaired).
    func close(_ fd: Int32)
    /// Creates the directory (and parents) when missing.
    func makeDirectory(_ path: String) throws(EventLogError)
    /// Names in `directory` (no `.` / `..`).
    func list(_ directory: String) throws(EventLogError) -> [String]
    /// The size of a file, or nil when it does not exist.
    func size(_ path: String) throws(EventLogError) -> Int?
    /// Reads up to `count` bytes at `offset`.
    func read(_ path: String, offset: Int, count: Int) throws(EventLogError) -> [UInt8]
    /// Truncates to `length` bytes and syncs.
    func truncate(_ path: String, to length: Int) throws(EventLogError)
    /// `rename(2)`; `EXDEV` is reported as ``EventLogError/ioFailure(operation:path:errno:)``.
    func rename(_ from: String, to: String) throws(EventLogError)
    /// `unlink(2)`, ignoring a missing file.
    func remove(_ path: String) throws(EventLogError)
    /// Syncs a directory so that a rename in it survives power loss.
    func syncDirectory(_ path: String) throws(EventLogError)
}

/// The real file system, through POSIX calls.
struct POSIXFileSystem: SpoolFileSystem {
    init() {}

    func openForAppend(_ path: String) throws(EventLogError) -> (fd: Int32, size: Int) {
        let fd = retryingEINTR { open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw .io("open", path: path, errno: errno) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            _ = Glibc.close(fd)
            throw .io("fstat", path: path, errno: code)
        }
        return (fd, Int(info.st_size))
    }

    func createTruncating(_ path: String) throws(EventLogError) -> Int32 {
        let fd = retryingEINTR { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw .io("open", path: path, errno: errno) }
        return fd
    }

    func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(EventLogError) -> Int {
        let written = retryingEINTR { Glibc.write(fd, bytes.baseAddress, bytes.count) }
        guard written > 0 else { throw .io("write", path: path, errno: written == 0 ? ENOSPC : errno) }
        return written
    }

    func sync(_ fd: Int32, path: String) throws(EventLogError) {
        guard retryingEINTR({ fsync(fd) }) == 0 else { throw .io("fsync", path: path, errno: errno) }
    }

    func close(_ fd: Int32) { _ = Glibc.close(fd) }

    func makeDirectory(_ path: String) throws(EventLogError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0, errno != EEXIST {
                throw .io("mkdir", path: prefix, errno: errno)
            }
            prefix += "/"
        }
    }

    func list(_ directory: String) throws(EventLogError) -> [String] {
        guard let handle = opendir(directory) else { throw .io("opendir", path: directory, errno: errno) }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    func size(_ path: String) throws(EventLogError) -> Int? {
        var info = stat()
        if stat(path, &info) == 0 { return Int(info.st_size) }
        if errno == ENOENT { return nil }
        throw .io("stat", path: path, errno: errno)
    }

    func read(_ path: String, offset: Int, count: Int) throws(EventLogError) -> [UInt8] {
        let fd = retryingEINTR { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw .io("open", path: path, errno: errno) }
        defer { _ = Glibc.close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = bytes.withUnsafeMutableBytes { raw in
                retryingEINTR { pread(fd, raw.baseAddress! + filled, count - filled, off_t(offset + filled)) }
            }
            if n < 0 { throw .io("pread", path: path, errno: errno) }
            if n == 0 { break }
            filled += n
        }
        bytes.removeLast(count - filled)
        return bytes
    }

    func truncate(_ path: String, to length: Int) throws(EventLogError) {
        let fd = retryingEINTR { open(path, O_WRONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw .io("open", path: path, errno: errno) }
        defer { _ = Glibc.close(fd) }
        guard ftruncate(fd, off_t(length)) == 0 else { throw .io("ftruncate", path: path, errno: errno) }
        guard fsync(fd) == 0 else { throw .io("fsync", path: path, errno: errno) }
    }

    func rename(_ from: String, to: String) throws(EventLogError) {
        guard Glibc.rename(from, to) == 0 else { throw .io("rename", path: "\(from) -> \(to)", errno: errno) }
    }

    func remove(_ path: String) throws(EventLogError) {
        if unlink(path) != 0, errno != ENOENT { throw .io("unlink", path: path, errno: errno) }
    }

    func syncDirectory(_ path: String) throws(EventLogError) {
        let fd = retryingEINTR { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw .io("open", path: path, errno: errno) }
        defer { _ = Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw .io("fsync", path: path, errno: errno) }
    }
}

@inline(__always)
private func retryingEINTR<T: BinaryInteger>(_ call: () -> T) -> T {
    while true {
        let result = call()
        if result < 0 && errno == EINTR { continue }
        return result
    }
}
