/// What the start-up repair did to a partial file whose last line was cut by a crash
/// (`kill -9`, power loss) in the middle of a write.
///
/// Every line of an exported file ends with LF and no field may contain LF (the field rule),
/// so the bytes after the last LF are exactly the torn line. The repair truncates them and
/// keeps everything up to and including the last LF: no complete line is lost, none is
/// written twice (nothing is rewritten, only cut).
public struct TornLineRepair: Sendable, Hashable, CustomStringConvertible {
    /// The partial file's path.
    public let path: String
    /// Its size before the repair.
    public let originalByteCount: Int
    /// Its size after the repair (0 when the file held no complete line).
    public let keptByteCount: Int

    /// The bytes of the torn line that were removed.
    public var removedByteCount: Int { originalByteCount - keptByteCount }

    /// One line for the operator's log.
    public var description: String {
        "repaired torn last line of \(path): removed \(removedByteCount) bytes, kept \(keptByteCount)"
    }

    /// Repairs `path` in place; returns nil when its last byte is already LF (or it is empty).
    static func repair(path: String, fileSystem: any SpoolFileSystem) throws(EventLogError) -> TornLineRepair? {
        guard let size = try fileSystem.size(path), size > 0 else { return nil }
        var end = size
        let chunk = 64 * 1024
        var keep = 0
        var first = true
        scan: while end > 0 {
            let start = max(0, end - chunk)
            let bytes = try fileSystem.read(path, offset: start, count: end - start)
            if first {
                if bytes.last == UInt8(ascii: "\n") { return nil }
                first = false
            }
            if let index = bytes.lastIndex(of: UInt8(ascii: "\n")) {
                keep = start + index + 1
                break scan
            }
            end = start
        }
        try fileSystem.truncate(path, to: keep)
        return TornLineRepair(path: path, originalByteCount: size, keptByteCount: keep)
    }
}
