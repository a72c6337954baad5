import PushJSON
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads userbase rows from a file, for `pushengine export userbase --from FILE` until the
/// index feeds the export directly.
///
/// Two formats, chosen by the file's extension:
/// - `.csv` (or anything not JSON lines): the userbase format itself, one row a line,
///   `CUSTOM_USER_ID;ADVERTISING_ID;True|False`, no header; empty lines are skipped.
/// - `.jsonl` / `.ndjson`: one JSON object a line,
///   `{"custom_id": "u1", "advertising_id": "AD-1", "opt_in": true}`; `custom_id` may be
///   absent or null (anonymous), `advertising_id` may be absent (empty column).
///
/// Every value is checked against the field rule; a bad line is a typed error naming the
/// file and line number.
public enum UserbaseSourceFile {
    /// Reads every row of the file at `path`.
    /// - Throws: ``EventLogError/invalidUserbaseRow(source:line:reason:)`` or the I/O error.
    public static func read(path: String) throws(EventLogError) -> [UserbaseEntry] {
        let fileSystem = POSIXFileSystem()
        guard let size = try fileSystem.size(path) else { throw .io("open", path: path, errno: ENOENT) }
        let bytes = try fileSystem.read(path, offset: 0, count: size)
        let isJSONLines = path.hasSuffix(".jsonl") || path.hasSuffix(".ndjson")
        return try parse(bytes, source: path, jsonLines: isJSONLines)
    }

    /// Parses file contents (`jsonLines` picks the format).
    public static func parse(_ bytes: [UInt8], source: String, jsonLines: Bool) throws(EventLogError) -> [UserbaseEntry] {
        var rows: [UserbaseEntry] = []
        var lineNumber = 0
        for rawLine in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine[...]
            if line.last == 0x0D { line = line.dropLast() }
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
            rows.append(jsonLines ? try parseJSON(line, source: source, line: lineNumber)
                                  : try parseCSV(line, source: source, line: lineNumber))
        }
        return rows
    }

    private static func parseCSV(_ line: ArraySlice<UInt8>, source: String, line number: Int) throws(EventLogError) -> UserbaseEntry {
        let fields = line.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false)
        guard fields.count == 3 else {
            throw .invalidUserbaseRow(source: source, line: number, reason: "expected CUSTOM_USER_ID;ADVERTISING_ID;True|False, found \(fields.count) fields")
        }
        let optIn: Bool
        switch String(decoding: fields[2], as: UTF8.self) {
        case "True": optIn = true
        case "False": optIn = false
        case let other: throw .invalidUserbaseRow(source: source, line: number, reason: "opt-in must be True or False, found '\(other)'")
        }
        return try entry(customID: String(decoding: fields[0], as: UTF8.self),
                         advertisingID: String(decoding: fields[1], as: UTF8.self), optIn: optIn, source: source, line: number)
    }

    private static func parseJSON(_ line: ArraySlice<UInt8>, source: String, line number: Int) throws(EventLogError) -> UserbaseEntry {
        func refuse(_ detail: String) -> EventLogError {
            .invalidUserbaseRow(source: source, line: number, reason: "not a {\"custom_id\", \"advertising_id\", \"opt_in\"} JSON object: \(detail)")
        }
        let row: JSONValue
        do {
            row = try JSONValue.parse(Array(line))
        } catch {
            throw refuse(error.description)
        }
        guard row.objectValue != nil else { throw refuse("not an object") }
        // A string member; absent or null reads as empty.
        func text(_ key: String) throws(EventLogError) -> String {
            switch row[key] {
            case nil, .null?: return ""
            case .string(let value)?: return value
            default: throw refuse("\(key) must be a string or null")
            }
        }
        guard let optIn = row["opt_in"]?.boolValue else { throw refuse("opt_in must be true or false") }
        return try entry(customID: try text("custom_id"), advertisingID: try text("advertising_id"), optIn: optIn,
                         source: source, line: number)
    }

    private static func entry(customID: String, advertisingID: String, optIn: Bool, source: String, line: Int) throws(EventLogError) -> UserbaseEntry {
        do {
            return UserbaseEntry(customID: try LogField(customID, field: "custom_id"),
                                 advertisingID: try LogField(advertisingID, field: "advertising_id"), optIn: optIn)
        } catch {
            throw .invalidUserbaseRow(source: source, line: line, reason: error.description)
        }
    }
}
