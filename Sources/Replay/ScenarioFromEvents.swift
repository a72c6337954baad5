public import MockGateway

/// What `Scenario(events:…)` found in an event CSV.
public struct EventReplaySummary: Sendable, Hashable {
    /// `token_deleted` events read.
    public var tokenDeletedEvents: Int
    /// Distinct tokens that now answer 410 / UNREGISTERED.
    public var tokens: Int
    /// Installation IDs with `token_deleted` but no token in the mapping (they cannot be replayed).
    public var unmappedInstallations: [String]
}

extension Scenario {
    /// Builds a scenario from a push event CSV (`CUSTOM_ID;INSTALLATION_ID;TIMESTAMP;EVENT;…`, the
    /// export format): every installation with a `token_deleted` event answers 410 Unregistered
    /// (FCM: 404 UNREGISTERED), with the event's time as the 410 `timestamp`.
    ///
    /// The CSV has no token column, so tokens come from `installationTokens` (installation ID →
    /// token; see `Scenario.installationTokens(contentsOf:)`). The rule is added before the rules
    /// already in `self`, so a base scenario's other rules keep working.
    ///
    /// - Throws: `ScenarioError` naming `file:line` for a malformed line (fewer than 4 fields or an
    ///   unreadable timestamp on a `token_deleted` line), or when no mapping was given at all.
    public mutating func addTokenDeletedRules(
        eventsCSV: [UInt8], source: String, installationTokens: [String: String]
    ) throws(ScenarioError) -> EventReplaySummary {
        let mapping = installationTokens.merging(self.installationTokens) { given, _ in given }
        var deletedAt: [String: Int64] = [:]
        var events = 0
        var lineNumber = 0
        for line in eventsCSV.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var text = Substring(String(decoding: line, as: UTF8.self))
            if text.hasSuffix("\r") { text = text.dropLast() }
            if text.isEmpty { continue }
            let fields = text.split(separator: ";", omittingEmptySubsequences: false)
            guard fields.count >= 4 else {
                throw ScenarioError(field: "\(source):\(lineNumber)", message: "expected at least 4 ';'-separated fields (custom ID;installation ID;time;event)")
            }
            guard fields[3] == "token_deleted" else { continue }
            guard let time = parseISO8601(fields[2]) else {
                throw ScenarioError(field: "\(source):\(lineNumber)", message: "unreadable timestamp '\(fields[2])' (expected YYYY-MM-DDTHH:MM:SS)")
            }
            let installation = String(fields[1])
            guard !installation.isEmpty else {
                throw ScenarioError(field: "\(source):\(lineNumber)", message: "token_deleted line without an installation ID")
            }
            events += 1
            deletedAt[installation] = max(deletedAt[installation] ?? time, time)
        }
        if events > 0, mapping.isEmpty {
            throw ScenarioError(
                field: source,
                message: "the event CSV has no token column: give installation ID → token pairs (--installation-tokens FILE or the scenario's installation_tokens)"
            )
        }
        // One rule per distinct timestamp would be exact but large; group tokens by time.
        var tokensByTime: [Int64: Set<String>] = [:]
        var unmapped: [String] = []
        for (installation, time) in deletedAt {
            if let token = mapping[installation] {
                tokensByTime[time, default: []].insert(token)
            } else {
                unmapped.append(installation)
            }
        }
        var newRules: [ScenarioRule] = []
        for (time, tokens) in tokensByTime.sorted(by: { $0.key < $1.key }) {
            newRules.append(ScenarioRule(
                name: "token_deleted at \(iso8601(milliseconds: time))",
                match: TokenMatch(tokens: tokens), answer: .unregistered(timestampMilliseconds: time)
            ))
        }
        rules.insert(contentsOf: newRules, at: 0)
        return EventReplaySummary(
            tokenDeletedEvents: events, tokens: tokensByTime.values.reduce(0) { $0 + $1.count },
            unmappedInstallations: unmapped.sorted()
        )
    }

    /// Reads an installation → token mapping: one `INSTALLATION_ID;TOKEN` pair a line
    /// (`,` also accepted as separator; blank lines and lines starting with `#` are skipped).
    public static func installationTokens(contentsOf path: String) throws(ScenarioError) -> [String: String] {
        let bytes = try readSmallFile(path, what: "installation token")
        var mapping: [String: String] = [:]
        var lineNumber = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var text = Substring(String(decoding: line, as: UTF8.self))
            if text.hasSuffix("\r") { text = text.dropLast() }
            if text.isEmpty || text.hasPrefix("#") { continue }
            let fields = text.split(whereSeparator: { $0 == ";" || $0 == "," }).map { $0.trimmingSpaces() }
            guard fields.count == 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw ScenarioError(field: "\(path):\(lineNumber)", message: "expected INSTALLATION_ID;TOKEN")
            }
            mapping[String(fields[0])] = String(fields[1])
        }
        return mapping
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var result = self
        while result.first == " " { result = result.dropFirst() }
        while result.last == " " { result = result.dropLast() }
        return result
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS` with an optional fraction and optional `Z` (UTC) into
/// milliseconds since the epoch; nil when malformed.
func parseISO8601(_ text: Substring) -> Int64? {
    let bytes = Array(text.utf8)
    guard bytes.count >= 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
          bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "),
          bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":")
    else { return nil }
    func number(_ range: Range<Int>) -> Int64? {
        var value: Int64 = 0
        for index in range {
            let byte = bytes[index]
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            value = value * 10 + Int64(byte - 0x30)
        }
        return value
    }
    guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
          let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
          (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
    else { return nil }
    var index = 19
    var millis: Int64 = 0
    if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
        index += 1
        var digits = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            if digits < 3 { millis = millis * 10 + Int64(bytes[index] - 0x30) }
            digits += 1
            index += 1
        }
        guard digits > 0 else { return nil }
        if digits < 3 {
            for _ in digits..<3 { millis *= 10 }
        }
    }
    if index < bytes.count, bytes[index] == UInt8(ascii: "Z") { index += 1 }
    guard index == bytes.count else { return nil }
    // Days from civil (Howard Hinnant's algorithm).
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    let days = era * 146_097 + dayOfEra - 719_468
    return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis
}
