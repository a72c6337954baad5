import Delivery
import Foundation
import Gateways
import Hummingbird
import PushEngine
import PushModel

/// `POST /1.1/{API_KEY}/transactional/send`.
struct TransactionalController {
    /// Recipients (tokens + custom IDs + install IDs + advertising IDs) per call.
    static let maximumRecipients = 10_000

    let server: PushServer

    func addRoutes(to group: RouterGroup<ServiceRequestContext>) {
        group.post("send", use: send)
    }

    struct SendRequest: Decodable, Sendable {
        struct RecipientsBody: Decodable, Sendable {
            var tokens: [String]
            var customIDs: [String]
            var installIDs: [String]
            var advertisingIDs: [String]

            enum CodingKeys: String, CodingKey, CaseIterable {
                case tokens, customIDs = "custom_ids", installIDs = "install_ids", advertisingIDs = "advertising_ids"
            }
            init(from decoder: any Decoder) throws {
                let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
                tokens = try c.decodeIfPresent([String].self, forKey: .tokens) ?? []
                customIDs = try c.decodeIfPresent([String].self, forKey: .customIDs) ?? []
                installIDs = try c.decodeIfPresent([String].self, forKey: .installIDs) ?? []
                advertisingIDs = try c.decodeIfPresent([String].self, forKey: .advertisingIDs) ?? []
            }
        }
        struct MessageBody: Decodable, Sendable {
            var title: String?
            var body: String
            enum CodingKeys: String, CodingKey, CaseIterable { case title, body }
            init(from decoder: any Decoder) throws {
                let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
                title = try c.decodeIfPresent(String.self, forKey: .title)
                body = try c.decode(String.self, forKey: .body)
            }
        }
        struct LocalizedMessage: Decodable, Sendable {
            var language: String
            var title: String?
            var body: String
            enum CodingKeys: String, CodingKey, CaseIterable { case language, title, body }
            init(from decoder: any Decoder) throws {
                let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
                language = try c.decode(String.self, forKey: .language)
                title = try c.decodeIfPresent(String.self, forKey: .title)
                body = try c.decode(String.self, forKey: .body)
            }
        }
        struct Media: Decodable, Sendable {
            var picture: String?
            enum CodingKeys: String, CodingKey, CaseIterable { case picture }
            init(from decoder: any Decoder) throws {
                let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
                picture = try c.decodeIfPresent(String.self, forKey: .picture)
            }
        }

        var groupID: String
        var recipients: RecipientsBody
        var message: MessageBody
        var messages: [LocalizedMessage]
        var deeplink: String?
        var media: Media?
        var customPayload: [String: CustomValue]
        var priority: String?
        var timeToLive: Int?
        var collapseKey: String?
        var labels: [String]

        enum CodingKeys: String, CodingKey, CaseIterable {
            case groupID = "group_id", recipients, message, messages, deeplink, media, customPayload = "custom_payload"
            case priority, timeToLive = "time_to_live", collapseKey = "collapse_key", labels
        }
        init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            groupID = try c.decode(String.self, forKey: .groupID)
            recipients = try c.decode(RecipientsBody.self, forKey: .recipients)
            message = try c.decode(MessageBody.self, forKey: .message)
            messages = try c.decodeIfPresent([LocalizedMessage].self, forKey: .messages) ?? []
            deeplink = try c.decodeIfPresent(String.self, forKey: .deeplink)
            media = try c.decodeIfPresent(Media.self, forKey: .media)
            customPayload = try c.decodeIfPresent([String: CustomValue].self, forKey: .customPayload) ?? [:]
            priority = try c.decodeIfPresent(String.self, forKey: .priority)
            timeToLive = try c.decodeIfPresent(Int.self, forKey: .timeToLive)
            collapseKey = try c.decodeIfPresent(String.self, forKey: .collapseKey)
            labels = try c.decodeIfPresent([String].self, forKey: .labels) ?? []
        }
    }

    struct SendResponse: ResponseEncodable {
        var token: String
    }

    @Sendable func send(request: Request, context: ServiceRequestContext) async throws -> EditedResponse<SendResponse> {
        let app = try server.authenticate(request, context: context)
        let body = try await server.decode(SendRequest.self, from: request)
        let (groupID, recipients, notification) = try Self.validate(body, platform: app.platform)
        let run: SendRun
        do {
            run = try app.push.sendTransactional(groupID: groupID, recipients: recipients, notification: notification)
        } catch {
            throw APIError(engine: error)
        }
        return EditedResponse(status: .created, response: SendResponse(token: run.source.token.value))
    }

    /// The engine's types from the body; errors name the field.
    static func validate(_ body: SendRequest, platform: Platform) throws(APIError) -> (GroupID, Recipients, PushNotification) {
        do {
            let groupID = try GroupID(body.groupID, field: "group_id")
            let r = body.recipients
            let count = r.tokens.count + r.customIDs.count + r.installIDs.count + r.advertisingIDs.count
            guard count > 0 else { throw APIError.invalidParameter("recipients", "needs at least one of tokens, custom_ids, install_ids, advertising_ids") }
            guard count <= maximumRecipients else { throw APIError.invalidParameter("recipients", "at most \(maximumRecipients) per call, got \(count)") }
            var recipients = Recipients()
            for (i, t) in r.tokens.enumerated() { recipients.tokens.append(try DeviceToken(t, platform: platform, field: "recipients.tokens[\(i)]")) }
            for (i, t) in r.customIDs.enumerated() { recipients.customIDs.append(try CustomID(t, field: "recipients.custom_ids[\(i)]")) }
            for (i, t) in r.installIDs.enumerated() {
                recipients.installationIDs.append(try InstallationID(t, field: "recipients.install_ids[\(i)]"))
            }
            for (i, t) in r.advertisingIDs.enumerated() {
                recipients.advertisingIDs.append(try AdvertisingID(t, field: "recipients.advertising_ids[\(i)]"))
            }
            guard body.labels.count <= 3 else { throw APIError.invalidParameter("labels", "at most 3") }
            var payload: [(String, PayloadValue)] = []
            for key in body.customPayload.keys.sorted() { payload.append((key, body.customPayload[key]!.payload)) }
            func message(title: String?, body text: String) -> PushMessage {
                PushMessage(title: title, body: text, deeplink: body.deeplink, mediaURL: body.media?.picture, customPayload: payload)
            }
            var variants: [LanguageCode: PushMessage] = [:]
            for (i, m) in body.messages.enumerated() {
                variants[try LanguageCode(m.language, field: "messages[\(i)].language")] = message(title: m.title, body: m.body)
            }
            var apnsPriority: APNsPriority?
            var fcmPriority: FCMOptions.Priority?
            switch body.priority {
            case nil: break
            case "high"?: (apnsPriority, fcmPriority) = (.immediate, .high)
            case "normal"?: (apnsPriority, fcmPriority) = (.considerPower, .normal)
            case let other?: throw APIError.invalidParameter("priority", "must be normal or high, not '\(other)'")
            }
            var expiration: APNsExpiration?
            if let ttl = body.timeToLive {
                guard (0...2_419_200).contains(ttl) else { throw APIError.invalidParameter("time_to_live", "must be 0...2419200 seconds") }
                expiration = ttl == 0 ? .immediately : .at(Timestamp(millisecondsSince1970: nowMilliseconds() + Int64(ttl) * 1000))
            }
            if let key = body.collapseKey, key.utf8.count > 64 || key.isEmpty {
                throw APIError.invalidParameter("collapse_key", "must be 1...64 bytes")
            }
            let notification = PushNotification(
                message: message(title: body.message.title, body: body.message.body), variants: variants, priority: apnsPriority,
                expiration: expiration, collapseID: body.collapseKey,
                fcm: FCMOptions(priority: fcmPriority, timeToLive: body.timeToLive, collapseKey: body.collapseKey))
            return (groupID, recipients, notification)
        } catch let e as APIError {
            throw e
        } catch let e as ValidationError {
            throw APIError.invalid(e)
        } catch {
            throw APIError.serverError
        }
    }
}

/// A `custom_payload` value: string, number, boolean, null, array or object.
enum CustomValue: Decodable, Sendable {
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case null
    case array([CustomValue])
    case object([String: CustomValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null } else if let b = try? c.decode(Bool.self) { self = .bool(b) } else if let i = try? c.decode(Int64.self) {
            self = .int(i)
        } else if let d = try? c.decode(Double.self) { self = .double(d) } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([CustomValue].self) { self = .array(a) } else { self = .object(try c.decode([String: CustomValue].self)) }
    }

    var payload: PayloadValue {
        switch self {
        case .string(let s): return .string(s)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .bool(let b): return .bool(b)
        case .null: return .null
        case .array(let a): return .array(a.map(\.payload))
        case .object(let o): return .object(o.keys.sorted().map { ($0, o[$0]!.payload) })
        }
    }
}

extension APIError {
    /// An engine failure as the API says it.
    init(engine error: PushEngineError) {
        switch error {
        case .validation(let e): self = .invalid(e)
        case .gateway(let e): self = .invalidParameter("message", "\(e)")
        case .shutDown: self = .unavailable
        case .unknownApp: self = .authenticationInvalid("unknown API key")
        case .refused(let r): self = APIError(.serviceUnavailable, "SERVICE_UNAVAILABLE", 1, "change refused: \(r.reason)")
        case .duplicateApp, .transport: self = .serverError
        }
    }
}
