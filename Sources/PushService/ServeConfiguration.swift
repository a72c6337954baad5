import Foundation

/// What `pushengine serve` runs: the listening address, the data directory, limits and the apps.
/// Read from a JSON file (``load(contentsOf:)``), or the embedded default (``demo``). Unknown
/// fields are refused, naming their path (`apps[0].ios.apns.topik`).
public struct ServeConfiguration: Sendable, Decodable, Equatable {
    /// Address the REST API listens on.
    public var host: String
    /// Port (0: any free port).
    public var port: Int
    /// Where the event log keeps its spool and published day files.
    public var dataDirectory: String
    /// Request bodies larger than this are refused with 413.
    public var maxBodyBytes: Int
    /// `trace`, `debug`, `info`, `notice`, `warning`, `error`, `critical`.
    public var logLevel: String
    /// The mock gateway started in-process for apps whose origin is `embedded`.
    public var embeddedGateway: EmbeddedGatewaySettings
    /// The apps.
    public var apps: [App]

    /// The in-process mock APNs/FCM gateway.
    public struct EmbeddedGatewaySettings: Sendable, Decodable, Equatable {
        /// A mock-gateway scenario file (failures on purpose, e.g. 410 for some tokens); nil: accept all.
        public var scenario: String?

        public init(scenario: String? = nil) { self.scenario = scenario }

        enum CodingKeys: String, CodingKey, CaseIterable { case scenario }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            scenario = try c.decodeIfPresent(String.self, forKey: .scenario)
        }
    }

    /// An app: a name, a secret REST key and, per platform, an API key and gateway credentials.
    public struct App: Sendable, Decodable, Equatable {
        /// `APPNAME` of the event files.
        public var name: String
        /// The secret `X-Authorization` value.
        public var restKey: String
        /// Requests per second allowed per API key (a token bucket of one second's worth).
        public var requestsPerSecond: Int
        /// The iOS API key and APNs settings.
        public var ios: IOS?
        /// The Android API key and FCM settings.
        public var android: Android?

        public init(name: String, restKey: String, requestsPerSecond: Int = 50_000, ios: IOS?, android: Android?) {
            self.name = name
            self.restKey = restKey
            self.requestsPerSecond = requestsPerSecond
            self.ios = ios
            self.android = android
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, restKey = "rest_key", requestsPerSecond = "requests_per_second", ios, android
        }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            restKey = try c.decode(String.self, forKey: .restKey)
            requestsPerSecond = try c.decodeIfPresent(Int.self, forKey: .requestsPerSecond) ?? 50_000
            ios = try c.decodeIfPresent(IOS.self, forKey: .ios)
            android = try c.decodeIfPresent(Android.self, forKey: .android)
        }
    }

    /// Where a gateway is: `embedded` (the in-process mock), `production`, `sandbox` (APNs only)
    /// or `custom` (`host`, `port`, optional `ca_file`, `plaintext`).
    public struct Origin: Sendable, Decodable, Equatable {
        public var kind: String
        public var host: String?
        public var port: Int?
        public var caFile: String?
        public var plaintext: Bool

        public static let embedded = Origin(kind: "embedded")

        public init(kind: String, host: String? = nil, port: Int? = nil, caFile: String? = nil, plaintext: Bool = false) {
            self.kind = kind
            self.host = host
            self.port = port
            self.caFile = caFile
            self.plaintext = plaintext
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case kind, host, port, caFile = "ca_file", plaintext }
        public init(from decoder: any Decoder) throws {
            // "embedded" or {"kind": "custom", "host": …}
            if let single = try? decoder.singleValueContainer(), let text = try? single.decode(String.self) {
                self.init(kind: text)
                return
            }
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            self.init(kind: try c.decode(String.self, forKey: .kind), host: try c.decodeIfPresent(String.self, forKey: .host),
                      port: try c.decodeIfPresent(Int.self, forKey: .port), caFile: try c.decodeIfPresent(String.self, forKey: .caFile),
                      plaintext: try c.decodeIfPresent(Bool.self, forKey: .plaintext) ?? false)
        }
    }

    /// The iOS side of an app.
    public struct IOS: Sendable, Decodable, Equatable {
        public var apiKey: String
        public var apns: APNs

        public init(apiKey: String, apns: APNs) {
            self.apiKey = apiKey
            self.apns = apns
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case apiKey = "api_key", apns }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            apiKey = try c.decode(String.self, forKey: .apiKey)
            apns = try c.decode(APNs.self, forKey: .apns)
        }
    }

    /// APNs credentials: a `.p8` key with its key ID and team ID, or a certificate and key
    /// (PEM). With the `embedded` origin both may be left out (a key is generated).
    public struct APNs: Sendable, Decodable, Equatable {
        public var origin: Origin
        public var topic: String
        public var p8File: String?
        public var keyID: String?
        public var teamID: String?
        public var certificateFile: String?
        public var privateKeyFile: String?

        public init(origin: Origin, topic: String, p8File: String? = nil, keyID: String? = nil, teamID: String? = nil,
                    certificateFile: String? = nil, privateKeyFile: String? = nil) {
            self.origin = origin
            self.topic = topic
            self.p8File = p8File
            self.keyID = keyID
            self.teamID = teamID
            self.certificateFile = certificateFile
            self.privateKeyFile = privateKeyFile
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case origin, topic, p8File = "p8_file", keyID = "key_id", teamID = "team_id"
            case certificateFile = "certificate_file", privateKeyFile = "private_key_file"
        }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            origin = try c.decodeIfPresent(Origin.self, forKey: .origin) ?? .embedded
            topic = try c.decode(String.self, forKey: .topic)
            p8File = try c.decodeIfPresent(String.self, forKey: .p8File)
            keyID = try c.decodeIfPresent(String.self, forKey: .keyID)
            teamID = try c.decodeIfPresent(String.self, forKey: .teamID)
            certificateFile = try c.decodeIfPresent(String.self, forKey: .certificateFile)
            privateKeyFile = try c.decodeIfPresent(String.self, forKey: .privateKeyFile)
        }
    }

    /// The Android side of an app.
    public struct Android: Sendable, Decodable, Equatable {
        public var apiKey: String
        public var fcm: FCM

        public init(apiKey: String, fcm: FCM) {
            self.apiKey = apiKey
            self.fcm = fcm
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case apiKey = "api_key", fcm }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            apiKey = try c.decode(String.self, forKey: .apiKey)
            fcm = try c.decode(FCM.self, forKey: .fcm)
        }
    }

    /// FCM HTTP v1 credentials: a service-account JSON file (optional with the `embedded` origin).
    public struct FCM: Sendable, Decodable, Equatable {
        public var origin: Origin
        public var serviceAccountFile: String?

        public init(origin: Origin, serviceAccountFile: String? = nil) {
            self.origin = origin
            self.serviceAccountFile = serviceAccountFile
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case origin, serviceAccountFile = "service_account_file" }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            origin = try c.decodeIfPresent(Origin.self, forKey: .origin) ?? .embedded
            serviceAccountFile = try c.decodeIfPresent(String.self, forKey: .serviceAccountFile)
        }
    }

    public init(host: String = "127.0.0.1", port: Int = 8080, dataDirectory: String = "./pushengine-data",
                maxBodyBytes: Int = 4 << 20, logLevel: String = "info",
                embeddedGateway: EmbeddedGatewaySettings = EmbeddedGatewaySettings(), apps: [App]) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.maxBodyBytes = maxBodyBytes
        self.logLevel = logLevel
        self.embeddedGateway = embeddedGateway
        self.apps = apps
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case host, port, dataDirectory = "data_dir", maxBodyBytes = "max_body_bytes", logLevel = "log_level"
        case embeddedGateway = "embedded_gateway", apps
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        host = try c.decodeIfPresent(String.self, forKey: .host) ?? "127.0.0.1"
        port = try c.decodeIfPresent(Int.self, forKey: .port) ?? 8080
        dataDirectory = try c.decodeIfPresent(String.self, forKey: .dataDirectory) ?? "./pushengine-data"
        maxBodyBytes = try c.decodeIfPresent(Int.self, forKey: .maxBodyBytes) ?? 4 << 20
        logLevel = try c.decodeIfPresent(String.self, forKey: .logLevel) ?? "info"
        embeddedGateway = try c.decodeIfPresent(EmbeddedGatewaySettings.self, forKey: .embeddedGateway) ?? EmbeddedGatewaySettings()
        apps = try c.decode([App].self, forKey: .apps)
    }

    /// The embedded default: app `Demo` (`DEMO_IOS_KEY`, `DEMO_ANDROID_KEY`, REST key
    /// `DEMO_REST_KEY`) on the embedded mock gateway, data under `./pushengine-data`.
    public static let demo = ServeConfiguration(apps: [
        App(name: "Demo", restKey: "DEMO_REST_KEY",
            ios: IOS(apiKey: "DEMO_IOS_KEY", apns: APNs(origin: .embedded, topic: "com.example.demo")),
            android: Android(apiKey: "DEMO_ANDROID_KEY", fcm: FCM(origin: .embedded))),
    ])

    /// Reads and checks a config file.
    /// - Throws: ``ServeError/configuration(_:)`` naming the file and the field.
    public static func load(contentsOf path: String) throws(ServeError) -> ServeConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .configuration("\(path): cannot be read")
        }
        return try decode(Array(data), source: path)
    }

    /// Decodes and checks a config document.
    public static func decode(_ json: [UInt8], source: String = "config") throws(ServeError) -> ServeConfiguration {
        let configuration: ServeConfiguration
        do {
            configuration = try JSONDecoder().decode(ServeConfiguration.self, from: Data(json))
        } catch let error as DecodingError {
            let (field, reason) = describe(error)
            throw .configuration("\(source): \(field): \(reason)")
        } catch {
            throw .configuration("\(source): \(error)")
        }
        try configuration.check(source: source)
        return configuration
    }

    /// Checks what decoding cannot: unique keys, known origins, files that exist.
    public func check(source: String = "config") throws(ServeError) {
        func fail(_ field: String, _ reason: String) -> ServeError { .configuration("\(source): \(field): \(reason)") }
        guard (0...65_535).contains(port) else { throw fail("port", "must be 0...65535") }
        guard maxBodyBytes > 0 else { throw fail("max_body_bytes", "must be positive") }
        guard !apps.isEmpty else { throw fail("apps", "needs at least one app") }
        var keys = Set<String>()
        let fileManager = FileManager.default
        func file(_ path: String?, _ field: String) throws(ServeError) {
            if let path, !fileManager.isReadableFile(atPath: path) { throw fail(field, "file '\(path)' cannot be read") }
        }
        func origin(_ o: Origin, _ field: String, apns: Bool) throws(ServeError) {
            switch o.kind {
            case "embedded", "production": break
            case "sandbox" where apns: break
            case "custom":
                guard o.host?.isEmpty == false else { throw fail(field + ".host", "is required for a custom origin") }
                guard let p = o.port, (1...65_535).contains(p) else { throw fail(field + ".port", "must be 1...65535") }
                try file(o.caFile, field + ".ca_file")
            default:
                throw fail(field + ".kind", "must be embedded, production\(apns ? ", sandbox" : "") or custom, not '\(o.kind)'")
            }
        }
        if let scenario = embeddedGateway.scenario { try file(scenario, "embedded_gateway.scenario") }
        for (i, app) in apps.enumerated() {
            let at = "apps[\(i)]"
            guard !app.name.isEmpty else { throw fail(at + ".name", "must not be empty") }
            guard !app.restKey.isEmpty else { throw fail(at + ".rest_key", "must not be empty") }
            guard app.requestsPerSecond > 0 else { throw fail(at + ".requests_per_second", "must be positive") }
            guard app.ios != nil || app.android != nil else { throw fail(at, "needs ios or android") }
            if let ios = app.ios {
                guard !ios.apiKey.isEmpty else { throw fail(at + ".ios.api_key", "must not be empty") }
                guard keys.insert(ios.apiKey).inserted else { throw fail(at + ".ios.api_key", "is used by another app or platform") }
                let a = ios.apns
                try origin(a.origin, at + ".ios.apns.origin", apns: true)
                guard !a.topic.isEmpty else { throw fail(at + ".ios.apns.topic", "must not be empty") }
                try file(a.p8File, at + ".ios.apns.p8_file")
                try file(a.certificateFile, at + ".ios.apns.certificate_file")
                try file(a.privateKeyFile, at + ".ios.apns.private_key_file")
                let token = a.p8File != nil || a.keyID != nil || a.teamID != nil
                let certificate = a.certificateFile != nil || a.privateKeyFile != nil
                if token && certificate { throw fail(at + ".ios.apns", "give p8_file/key_id/team_id or certificate_file/private_key_file, not both") }
                if token && (a.p8File == nil || a.keyID == nil || a.teamID == nil) {
                    throw fail(at + ".ios.apns", "p8_file, key_id and team_id go together")
                }
                if certificate && (a.certificateFile == nil || a.privateKeyFile == nil) {
                    throw fail(at + ".ios.apns", "certificate_file and private_key_file go together")
                }
                if !token && !certificate && a.origin.kind != "embedded" {
                    throw fail(at + ".ios.apns", "needs p8_file/key_id/team_id or certificate_file/private_key_file")
                }
            }
            if let android = app.android {
                guard !android.apiKey.isEmpty else { throw fail(at + ".android.api_key", "must not be empty") }
                guard keys.insert(android.apiKey).inserted else { throw fail(at + ".android.api_key", "is used by another app or platform") }
                try origin(android.fcm.origin, at + ".android.fcm.origin", apns: false)
                try file(android.fcm.serviceAccountFile, at + ".android.fcm.service_account_file")
                if android.fcm.serviceAccountFile == nil && android.fcm.origin.kind != "embedded" {
                    throw fail(at + ".android.fcm.service_account_file", "is required unless the origin is embedded")
                }
            }
        }
    }

    /// Whether any app sends to the embedded gateway.
    var usesEmbeddedGateway: Bool {
        apps.contains { $0.ios?.apns.origin.kind == "embedded" || $0.android?.fcm.origin.kind == "embedded" }
    }
}

/// Why the service cannot start. Messages name the field and the app; never a key's value.
public enum ServeError: Error, Sendable, CustomStringConvertible {
    /// The config file is wrong.
    case configuration(String)
    /// The service could not start (ports, files, credentials).
    case startup(String)

    public var description: String {
        switch self {
        case .configuration(let m): return "configuration: \(m)"
        case .startup(let m): return "startup: \(m)"
        }
    }
}
