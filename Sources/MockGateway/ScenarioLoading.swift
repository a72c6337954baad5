import PushJSON
import PushSync
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Scenario {
    /// Reads and parses a scenario JSON file.
    public init(contentsOf path: String) throws(ScenarioError) {
        let bytes = try readSmallFile(path, what: "scenario")
        do {
            try self.init(json: bytes)
        } catch {
            throw ScenarioError(field: "\(path): \(error.field)", message: error.message)
        }
    }

    /// Parses a scenario document (format in the README).
    public init(json: [UInt8]) throws(ScenarioError) {
        let root: JSONValue
        do {
            root = try JSONValue.parse(json)
        } catch {
            throw ScenarioError(field: "document", message: error.description)
        }
        guard let object = root.objectValue else {
            throw ScenarioError(field: "document", message: "must be a JSON object")
        }
        let known: Set = ["rules", "connection", "max_concurrent_streams", "installation_tokens"]
        for key in object.keys where !known.contains(key) {
            throw ScenarioError(field: key, message: "unknown field (expected one of \(known.sorted()))")
        }
        var scenario = Scenario()
        scenario.maxConcurrentStreams = try positiveInt(object["max_concurrent_streams"], field: "max_concurrent_streams")
        if let connection = object["connection"] {
            guard let faults = connection.objectValue else {
                throw ScenarioError(field: "connection", message: "must be an object")
            }
            let knownFaults: Set = ["goaway_after_streams", "drop_after_streams", "stall_after_streams"]
            for key in faults.keys where !knownFaults.contains(key) {
                throw ScenarioError(field: "connection.\(key)", message: "unknown field (expected one of \(knownFaults.sorted()))")
            }
            scenario.connectionFaults = ConnectionFaults(
                goAwayAfterStreams: try positiveInt(faults["goaway_after_streams"], field: "connection.goaway_after_streams"),
                dropAfterStreams: try positiveInt(faults["drop_after_streams"], field: "connection.drop_after_streams"),
                stallAfterStreams: try positiveInt(faults["stall_after_streams"], field: "connection.stall_after_streams")
            )
        }
        if let mapping = object["installation_tokens"] {
            guard let pairs = mapping.objectValue else {
                throw ScenarioError(field: "installation_tokens", message: "must be an object of installation ID → token")
            }
            for (installation, token) in pairs {
                guard let token = token.stringValue, !token.isEmpty else {
                    throw ScenarioError(field: "installation_tokens.\(installation)", message: "must be a non-empty string")
                }
                scenario.installationTokens[installation] = token
            }
        }
        if let rules = object["rules"] {
            guard case .array(let list) = rules else {
                throw ScenarioError(field: "rules", message: "must be an array")
            }
            for (index, rule) in list.enumerated() {
                scenario.rules.append(try ScenarioRule(json: rule, field: "rules[\(index)]"))
            }
        }
        self = scenario
    }
}

extension ScenarioRule {
    init(json: JSONValue, field: String) throws(ScenarioError) {
        guard let object = json.objectValue else {
            throw ScenarioError(field: field, message: "must be an object")
        }
        let known: Set = ["name", "match", "answer", "timestamp_ms", "status", "first_tries", "latency_ms"]
        for key in object.keys where !known.contains(key) {
            throw ScenarioError(field: "\(field).\(key)", message: "unknown field (expected one of \(known.sorted()))")
        }
        name = object["name"]?.stringValue
        match = try TokenMatch(json: object["match"], field: "\(field).match")
        let answerName = object["answer"]?.stringValue ?? "ok"
        switch answerName {
        case "ok":
            answer = .ok
        case "unregistered":
            let timestamp = try nonNegativeInt(object["timestamp_ms"], field: "\(field).timestamp_ms")
            answer = .unregistered(timestampMilliseconds: timestamp.map(Int64.init))
        case "bad_device_token":
            answer = .badDeviceToken
        case "device_token_not_for_topic":
            answer = .deviceTokenNotForTopic
        case "invalid_argument":
            answer = .invalidArgument
        case "transient":
            guard let status = try positiveInt(object["status"], field: "\(field).status"), [429, 500, 503].contains(status) else {
                throw ScenarioError(field: "\(field).status", message: "a transient answer needs status 429, 500 or 503")
            }
            let tries = try positiveInt(object["first_tries"], field: "\(field).first_tries") ?? 1
            answer = .transient(status: status, firstTries: tries)
        default:
            throw ScenarioError(
                field: "\(field).answer",
                message: "unknown answer '\(answerName)' (expected ok, unregistered, bad_device_token, device_token_not_for_topic, invalid_argument, transient)"
            )
        }
        switch object["latency_ms"] {
        case nil, .null?:
            latency = nil
        case .integer?, .number?:
            let milliseconds = object["latency_ms"]?.numberValue ?? 0
            guard milliseconds >= 0, milliseconds <= 600_000 else {
                throw ScenarioError(field: "\(field).latency_ms", message: "must be between 0 and 600000")
            }
            latency = .fixed(.microseconds(Int64(milliseconds * 1000)))
        case .object(let bounds)?:
            guard let low = bounds["min"]?.numberValue, let high = bounds["max"]?.numberValue,
                  low >= 0, high >= low, high <= 600_000, bounds.count == 2
            else {
                throw ScenarioError(field: "\(field).latency_ms", message: "must be {\"min\": ms, \"max\": ms} with 0 ≤ min ≤ max ≤ 600000")
            }
            latency = .uniform(min: .microseconds(Int64(low * 1000)), max: .microseconds(Int64(high * 1000)))
        default:
            throw ScenarioError(field: "\(field).latency_ms", message: "must be a number of milliseconds or {\"min\",\"max\"}")
        }
    }
}

extension TokenMatch {
    init(json: JSONValue?, field: String) throws(ScenarioError) {
        guard let json, json != .null else {
            self.init()
            return
        }
        guard let object = json.objectValue else {
            throw ScenarioError(field: field, message: "must be an object")
        }
        let known: Set = ["tokens", "prefixes", "fraction", "salt"]
        for key in object.keys where !known.contains(key) {
            throw ScenarioError(field: "\(field).\(key)", message: "unknown field (expected one of \(known.sorted()))")
        }
        func strings(_ key: String) throws(ScenarioError) -> [String] {
            guard let value = object[key] else { return [] }
            guard case .array(let items) = value else {
                throw ScenarioError(field: "\(field).\(key)", message: "must be an array of strings")
            }
            var result: [String] = []
            for (index, item) in items.enumerated() {
                guard let text = item.stringValue, !text.isEmpty else {
                    throw ScenarioError(field: "\(field).\(key)[\(index)]", message: "must be a non-empty string")
                }
                result.append(text)
            }
            return result
        }
        var fraction: Double?
        if let value = object["fraction"] {
            guard let number = value.numberValue, number >= 0, number <= 1 else {
                throw ScenarioError(field: "\(field).fraction", message: "must be a number between 0 and 1")
            }
            fraction = number
        }
        self.init(
            tokens: Set(try strings("tokens")), prefixes: try strings("prefixes"),
            fraction: fraction, salt: object["salt"]?.stringValue ?? ""
        )
    }
}

private func positiveInt(_ value: JSONValue?, field: String) throws(ScenarioError) -> Int? {
    guard let value, value != .null else { return nil }
    guard let number = value.numberValue, number >= 1, number <= 1e15, number.rounded() == number else {
        throw ScenarioError(field: field, message: "must be a positive integer")
    }
    return Int(number)
}

private func nonNegativeInt(_ value: JSONValue?, field: String) throws(ScenarioError) -> Int? {
    guard let value, value != .null else { return nil }
    guard let number = value.numberValue, number >= 0, number <= 1e15, number.rounded() == number else {
        throw ScenarioError(field: field, message: "must be a non-negative integer")
    }
    return Int(number)
}

/// Reads a whole file of at most 256 MiB (also used by the `Replay` module).
package func readSmallFile(_ path: String, what: String) throws(ScenarioError) -> [UInt8] {
    do {
        return try PushFile.readAll(path: path, limit: 256 << 20)
    } catch {
        switch error.kind {
        case .open(let code): throw ScenarioError(field: path, message: "cannot open \(what) file (errno \(code))")
        case .read(let code): throw ScenarioError(field: path, message: "cannot read \(what) file (errno \(code))")
        case .tooLarge: throw ScenarioError(field: path, message: "\(what) file is larger than 256 MiB")
        }
    }
}
