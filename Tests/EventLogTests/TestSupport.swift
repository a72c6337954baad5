import Dispatch
import Foundation
import PushModel
import Synchronization
@testable import EventLog

/// A wall clock the test moves by hand.
final class ManualClock: Sendable {
    private let seconds: Mutex<Int64>

    init(_ time: String) { seconds = Mutex(ManualClock.parse(time)) }

    /// The clock to hand to the writer.
    var clock: PushClock { PushClock { [self] in seconds.withLock { $0 } * 1000 } }

    func set(_ time: String) { seconds.withLock { $0 = ManualClock.parse(time) } }

    /// `YYYY-MM-DDTHH:MM:SS` → seconds since the epoch.
    static func parse(_ time: String) -> Int64 {
        let day = try! UTCDay(parsing: String(time.prefix(10)))
        let parts = time.dropFirst(11).split(separator: ":").map { Int64($0)! }
        return day.start.secondsSinceEpoch + parts[0] * 3600 + parts[1] * 60 + parts[2]
    }
}

func at(_ time: String) -> EventTime { EventTime(unchecked: ManualClock.parse(time)) }

/// A fresh directory under /tmp, removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "eventlog-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func contents(_ name: String) -> String? {
        FileManager.default.contents(atPath: path + "/" + name).map { String(decoding: $0, as: UTF8.self) }
    }

    func names(_ subdirectory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/" + subdirectory)) ?? []).sorted()
    }

    func write(_ name: String, _ text: String) {
        _ = FileManager.default.createFile(atPath: path + "/" + name, contents: Data(text.utf8))
    }
}

/// The real file system with switchable faults: failing opens, writes or syncs with a
/// chosen errno, short writes, and counters.
final class FaultyFileSystem: SpoolFileSystem {
    struct State {
        var openErrno: Int32?
        var writeErrno: Int32?
        var syncErrno: Int32?
        /// Write at most this many bytes per call, then fail with `writeErrno` if set.
        var shortWriteLimit: Int?
        var syncCount = 0
        var writeCount = 0
        /// The next write signals `writeEntered` and waits for `releaseWrite`.
        var holdNextWrite = false
    }

    let writeEntered = DispatchSemaphore(value: 0)
    let releaseWrite = DispatchSemaphore(value: 0)

    let state = Mutex(State())
    private let real = POSIXFileSystem()

    func update(_ body: (inout State) -> Void) { state.withLock { body(&$0) } }
    var syncCount: Int { state.withLock { $0.syncCount } }

    func openForAppend(_ path: String) throws(EventLogError) -> (fd: Int32, size: Int) {
        if let code = state.withLock({ $0.openErrno }) { throw EventLogError.io("open", path: path, errno: code) }
        return try real.openForAppend(path)
    }

    func createTruncating(_ path: String) throws(EventLogError) -> Int32 {
        if let code = state.withLock({ $0.openErrno }) { throw EventLogError.io("open", path: path, errno: code) }
        return try real.createTruncating(path)
    }

    func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(EventLogError) -> Int {
        let (code, limit, hold) = state.withLock { state -> (Int32?, Int?, Bool) in
            state.writeCount += 1
            let limit = state.shortWriteLimit
            state.shortWriteLimit = nil
            let hold = state.holdNextWrite
            state.holdNextWrite = false
            return (state.writeErrno, limit, hold)
        }
        if hold {
            writeEntered.signal()
            releaseWrite.wait()
        }
        if let limit, limit < bytes.count {
            return try real.write(fd, UnsafeRawBufferPointer(rebasing: bytes[..<limit]), path: path)
        }
        if let code { throw EventLogError.io("write", path: path, errno: code) }
        return try real.write(fd, bytes, path: path)
    }

    func sync(_ fd: Int32, path: String) throws(EventLogError) {
        if let code = state.withLock({ $0.syncErrno }) { throw EventLogError.io("fsync", path: path, errno: code) }
        state.withLock { $0.syncCount += 1 }
        try real.sync(fd, path: path)
    }

    func close(_ fd: Int32) { real.close(fd) }
    func makeDirectory(_ path: String) throws(EventLogError) { try real.makeDirectory(path) }
    func list(_ directory: String) throws(EventLogError) -> [String] { try real.list(directory) }
    func size(_ path: String) throws(EventLogError) -> Int? { try real.size(path) }
    func read(_ path: String, offset: Int, count: Int) throws(EventLogError) -> [UInt8] { try real.read(path, offset: offset, count: count) }
    func truncate(_ path: String, to length: Int) throws(EventLogError) { try real.truncate(path, to: length) }
    func rename(_ from: String, to: String) throws(EventLogError) { try real.rename(from, to: to) }
    func remove(_ path: String) throws(EventLogError) { try real.remove(path) }
    func syncDirectory(_ path: String) throws(EventLogError) { try real.syncDirectory(path) }
}

/// The reference's example identifiers.
enum Reference {
    static let user = EventUser(customID: "CUSTOM_USER_ID", installationID: "BATCH_INSTALLATION_ID", advertisingID: "ADVERTISING_ID")
    static let campaign = EventRecord.PushSource.campaign(token: "CAMPAIGN_TOKEN")
    static let transactional = EventRecord.PushSource.transactional(token: "TRANSACTIONAL_TOKEN", groupID: "GROUP-ID")
    static let app = try! ExportApp(name: "APPNAME", apiKey: "BATCH-API-KEY")
}

/// Formats records the way a day file does (one day's prefix).
func formatted(_ records: [EventRecord], identifier: IdentifierColumn = .installationID) -> String {
    let buffer = LineBuffer(capacity: 64)
    for record in records {
        let prefix = EventLineFormatter.datePrefix(of: record.time.day)
        prefix.withUnsafeBytes { EventLineFormatter.append(record, identifier: identifier, datePrefix: $0, to: buffer) }
    }
    return String(decoding: buffer.bytes, as: UTF8.self)
}
