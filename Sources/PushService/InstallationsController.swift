import EventLog
import Foundation
import Hummingbird
import PushEngine
import PushIndex
import PushModel

/// What an SDK would report: `POST /1.0/{API_KEY}/installations` (upsert an array),
/// `GET` and `DELETE /1.0/{API_KEY}/installations/{install_id}`.
struct InstallationsController {
    /// Installations per `POST`.
    static let maximumBatch = 10_000

    let server: PushServer

    func addRoutes(to group: RouterGroup<ServiceRequestContext>) {
        group.post(use: upsert)
        group.get(":installID", use: get)
        group.delete(":installID", use: delete)
    }

    /// One installation as reported. Absent fields keep what the index holds; `null` clears
    /// (`"token": null` removes the token).
    struct InstallationBody: Decodable, Sendable {
        var installID: String
        var token: Patch<String>
        var customID: Patch<String>
        var advertisingID: Patch<String>
        var language: Patch<String>
        var region: Patch<String>
        var timezone: Patch<String>
        var appVersion: Patch<String>
        var optin: Bool?
        /// Custom attributes of the installation's user (merged; `null` deletes one); needs a custom ID.
        var attributes: [String: CustomValue]

        enum CodingKeys: String, CodingKey, CaseIterable {
            case installID = "install_id", token, customID = "custom_id", advertisingID = "advertising_id", language, region, timezone
            case appVersion = "app_version", optin, attributes
        }
        init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            installID = try c.decode(String.self, forKey: .installID)
            token = try c.decodePatch(String.self, forKey: .token)
            customID = try c.decodePatch(String.self, forKey: .customID)
            advertisingID = try c.decodePatch(String.self, forKey: .advertisingID)
            language = try c.decodePatch(String.self, forKey: .language)
            region = try c.decodePatch(String.self, forKey: .region)
            timezone = try c.decodePatch(String.self, forKey: .timezone)
            appVersion = try c.decodePatch(String.self, forKey: .appVersion)
            optin = try c.decodeIfPresent(Bool.self, forKey: .optin)
            attributes = try c.decodeIfPresent([String: CustomValue].self, forKey: .attributes) ?? [:]
        }
    }

    struct UpsertResponse: ResponseEncodable {
        var upserted: Int
        var created: Int
    }

    /// An installation as the index holds it.
    struct InstallationView: ResponseEncodable {
        var installID: String
        var platform: String
        var token: String?
        var customID: String?
        var advertisingID: String?
        var language: String?
        var region: String?
        var timezone: String?
        var appVersion: String?
        var optin: Bool
        var createdAt: Int64
        var lastSeenAt: Int64

        enum CodingKeys: String, CodingKey {
            case installID = "install_id", platform, token, customID = "custom_id", advertisingID = "advertising_id", language, region
            case timezone, appVersion = "app_version", optin, createdAt = "created_at", lastSeenAt = "last_seen_at"
        }

        init(_ i: Installation) {
            installID = i.id.description
            platform = i.platform == .iOS ? "ios" : "android"
            token = i.token?.description
            customID = i.customID?.description
            advertisingID = i.advertisingID?.description
            language = i.language?.description
            region = i.region?.description
            timezone = i.timeZone?.description
            appVersion = i.appVersion?.description
            optin = i.pushOptIn
            createdAt = i.createdAt.millisecondsSince1970 / 1000
            lastSeenAt = i.lastSeenAt.millisecondsSince1970 / 1000
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(installID, forKey: .installID)
            try c.encode(platform, forKey: .platform)
            try c.encode(token, forKey: .token)
            try c.encode(customID, forKey: .customID)
            try c.encode(advertisingID, forKey: .advertisingID)
            try c.encode(language, forKey: .language)
            try c.encode(region, forKey: .region)
            try c.encode(timezone, forKey: .timezone)
            try c.encode(appVersion, forKey: .appVersion)
            try c.encode(optin, forKey: .optin)
            try c.encode(createdAt, forKey: .createdAt)
            try c.encode(lastSeenAt, forKey: .lastSeenAt)
        }
    }

    struct DeleteResponse: ResponseEncodable {
        var deleted: Bool
    }

    @Sendable func upsert(request: Request, context: ServiceRequestContext) async throws -> EditedResponse<UpsertResponse> {
        let app = try server.authenticate(request, context: context)
        let bodies = try await server.decode([InstallationBody].self, from: request)
        guard !bodies.isEmpty else { throw APIError.invalidParameter("body", "needs at least one installation") }
        guard bodies.count <= Self.maximumBatch else {
            throw APIError.invalidParameter("body", "at most \(Self.maximumBatch) installations per call, got \(bodies.count)")
        }
        let now = Timestamp(millisecondsSince1970: nowMilliseconds())
        var installations: [Installation] = []
        installations.reserveCapacity(bodies.count)
        do {
            for (i, body) in bodies.enumerated() {
                installations.append(try Self.installation(body, at: i, platform: app.platform, existing: { app.push.installation($0) }, now: now))
            }
        } catch {
            throw APIError.invalid(error)
        }
        var attributeChanges: [AppCommand] = []
        for (i, body) in bodies.enumerated() where !body.attributes.isEmpty {
            guard let customID = installations[i].customID else {
                throw APIError.invalidParameter("[\(i)].attributes", "need a custom_id (attributes belong to the user)")
            }
            var values: [AttributeName: AttributeValue] = [:]
            do {
                for (key, value) in body.attributes {
                    values[try AttributeName(key, field: "[\(i)].attributes.\(key)")] = try value.attribute(field: "[\(i)].attributes.\(key)")
                }
            } catch {
                throw APIError.invalid(error)
            }
            attributeChanges.append(.attributes(.set(customID, values: values, overwrite: false)))
        }
        let outcomes: [UpsertOutcome]
        do {
            outcomes = try await app.push.register(contentsOf: installations)
            for change in attributeChanges { try await app.push.apply(change) }
        } catch {
            throw APIError(engine: error)
        }
        server.recordOptInChanges(zip(installations, outcomes).compactMap { i, o in o.optInChange.map { (i, $0) } }, app: app, at: now)
        return EditedResponse(status: .ok, response: UpsertResponse(upserted: outcomes.count, created: outcomes.count { $0.created }))
    }

    static func installation(_ b: InstallationBody, at i: Int, platform: Platform, existing: (InstallationID) -> Installation?,
                             now: Timestamp) throws(ValidationError) -> Installation {
        func field(_ name: String) -> String { "[\(i)].\(name)" }
        let id = try InstallationID(b.installID, field: field("install_id"))
        let old = existing(id)
        var token = old?.token
        if case .value(let t) = b.token { token = try DeviceToken(t, platform: platform, field: field("token")) } else if case .null = b.token { token = nil }
        func parse<T>(_ patch: Patch<String>, _ current: T?, _ make: (String) throws(ValidationError) -> T) throws(ValidationError) -> T? {
            switch patch {
            case .absent: return current
            case .null: return nil
            case .value(let text): return try make(text)
            }
        }
        let customID = try parse(b.customID, old?.customID) { t throws(ValidationError) in try CustomID(t, field: field("custom_id")) }
        let advertisingID = try parse(b.advertisingID, old?.advertisingID) { t throws(ValidationError) in
            try AdvertisingID(t, field: field("advertising_id"))
        }
        let language = try parse(b.language, old?.language) { t throws(ValidationError) in try LanguageCode(t, field: field("language")) }
        let region = try parse(b.region, old?.region) { t throws(ValidationError) in try RegionCode(t, field: field("region")) }
        let timeZone = try parse(b.timezone, old?.timeZone) { t throws(ValidationError) in try TimeZoneID(t, field: field("timezone")) }
        let appVersion = try parse(b.appVersion, old?.appVersion) { t throws(ValidationError) in try AppVersion(t, field: field("app_version")) }
        let tokenRegisteredAt = token == old?.token ? (old?.tokenRegisteredAt ?? now) : now
        return Installation(id: id, platform: platform, token: token, customID: customID, advertisingID: advertisingID,
                            pushOptIn: b.optin ?? old?.pushOptIn ?? false, language: language, region: region, timeZone: timeZone,
                            appVersion: appVersion, createdAt: old?.createdAt ?? now, lastSeenAt: now, tokenRegisteredAt: tokenRegisteredAt)
    }

    @Sendable func get(request: Request, context: ServiceRequestContext) async throws -> InstallationView {
        let app = try server.authenticate(request, context: context)
        let id = try Self.installationID(context)
        guard let installation = app.push.installation(id) else { throw APIError.installationNotFound }
        return InstallationView(installation)
    }

    @Sendable func delete(request: Request, context: ServiceRequestContext) async throws -> DeleteResponse {
        let app = try server.authenticate(request, context: context)
        let id = try Self.installationID(context)
        guard app.push.installation(id) != nil else { throw APIError.installationNotFound }
        do { try await app.push.apply(.installation(.delete(id))) } catch { throw APIError(engine: error) }
        return DeleteResponse(deleted: true)
    }

    static func installationID(_ context: ServiceRequestContext) throws(APIError) -> InstallationID {
        do { return try InstallationID(context.parameters.get("installID") ?? "", field: "install_id") } catch { throw .invalid(error) }
    }
}

extension PushServer {
    /// `push_optin` / `push_optout` lines for opt-in changes.
    func recordOptInChanges(_ changes: [(Installation, OptInChange)], app: ServiceApp, at now: Timestamp) {
        guard !changes.isEmpty, let time = try? EventTime(secondsSinceEpoch: now.millisecondsSince1970 / 1000) else { return }
        var records: [EventRecord] = []
        records.reserveCapacity(changes.count)
        for (installation, change) in changes {
            guard let user = eventUser(installation.id, customID: installation.customID, advertisingID: installation.advertisingID) else { continue }
            records.append(.subscription(change == .optedIn ? .optIn : .optOut, at: time, user: user))
        }
        appendEvents(records, app: app)
    }

    func eventUser(_ id: InstallationID, customID: CustomID?, advertisingID: AdvertisingID?) -> EventUser? {
        guard let installation = try? LogField(id.description, field: "install_id") else { return nil }
        let custom = customID.flatMap { try? LogField($0.description, field: "custom_id") } ?? .empty
        let advertising = advertisingID.flatMap { try? LogField($0.description, field: "advertising_id") } ?? .empty
        return EventUser(customID: custom, installationID: installation, advertisingID: advertising)
    }

    func appendEvents(_ records: [EventRecord], app: ServiceApp) {
        guard !records.isEmpty else { return }
        do {
            try events.append(EventBatch(app: app.export, platform: app.platform, records: records))
        } catch {
            logger.error("event log refused events", metadata: ["app": "\(app.name)", "error": "\(error)"])
        }
    }
}

extension CustomValue {
    /// The attribute this JSON value writes: strings, integers, numbers, booleans, arrays of
    /// strings (tags), `null` (deletes).
    func attribute(field: String) throws(ValidationError) -> AttributeValue {
        switch self {
        case .string(let text):
            guard text.utf8.count <= AttributeValue.maxStringLength else {
                throw ValidationError(field: field, reason: .tooLong(max: AttributeValue.maxStringLength))
            }
            return .string(text)
        case .int(let i): return .int(i)
        case .double(let d):
            guard d.isFinite else { throw ValidationError(field: field, reason: .wrongType(expected: "a finite number", actual: "\(d)")) }
            return .double(d)
        case .bool(let b): return .bool(b)
        case .null: return .null
        case .array(let items):
            var tags = Set<String>()
            for item in items {
                guard case .string(let tag) = item, tag.utf8.count <= AttributeValue.maxStringLength, !tag.isEmpty else {
                    throw ValidationError(field: field, reason: .wrongType(expected: "an array of short strings (tags)", actual: "another array"))
                }
                tags.insert(tag)
            }
            return .tags(tags)
        case .object:
            throw ValidationError(field: field, reason: .wrongType(expected: "a string, number, boolean, array of strings or null", actual: "an object"))
        }
    }
}
