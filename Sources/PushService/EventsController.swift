import EventLog
import Foundation
import Hummingbird
import PushModel

/// `POST /1.0/{API_KEY}/events`: what an SDK reports of opened pushes and in-app messages,
/// written to the push and in-app event files in the reference formats.
struct EventsController {
    /// Events per `POST`.
    static let maximumBatch = 10_000

    let server: PushServer

    func addRoutes(to group: RouterGroup<ServiceRequestContext>) {
        group.post(use: post)
    }

    /// `push_opened` (with the campaign or transactional `token`, and the `group_id` of a
    /// transactional send), or `inapp_supplied` / `inapp_shown` / `inapp_clicked` (with
    /// `cta_position` and `cta_action`) / `inapp_closed` (with the in-app campaign `token`).
    struct EventBody: Decodable, Sendable {
        var type: String
        var installID: String
        var time: String?
        var token: String?
        var groupID: String?
        var ctaPosition: Int?
        var ctaAction: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case type, installID = "install_id", time, token, groupID = "group_id", ctaPosition = "cta_position", ctaAction = "cta_action"
        }
        init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            type = try c.decode(String.self, forKey: .type)
            installID = try c.decode(String.self, forKey: .installID)
            time = try c.decodeIfPresent(String.self, forKey: .time)
            token = try c.decodeIfPresent(String.self, forKey: .token)
            groupID = try c.decodeIfPresent(String.self, forKey: .groupID)
            ctaPosition = try c.decodeIfPresent(Int.self, forKey: .ctaPosition)
            ctaAction = try c.decodeIfPresent(String.self, forKey: .ctaAction)
        }
    }

    struct PostResponse: ResponseEncodable {
        var accepted: Int
    }

    @Sendable func post(request: Request, context: ServiceRequestContext) async throws -> PostResponse {
        let app = try server.authenticate(request, context: context)
        let bodies = try await server.decode([EventBody].self, from: request)
        guard !bodies.isEmpty else { throw APIError.invalidParameter("body", "needs at least one event") }
        guard bodies.count <= Self.maximumBatch else {
            throw APIError.invalidParameter("body", "at most \(Self.maximumBatch) events per call, got \(bodies.count)")
        }
        let now = nowMilliseconds() / 1000
        var records: [EventRecord] = []
        records.reserveCapacity(bodies.count)
        for (i, b) in bodies.enumerated() {
            records.append(try record(b, at: i, app: app, now: now))
        }
        server.appendEvents(records, app: app)
        return PostResponse(accepted: records.count)
    }

    private func record(_ b: EventBody, at i: Int, app: ServiceApp, now: Int64) throws(APIError) -> EventRecord {
        func field(_ name: String) -> String { "[\(i)].\(name)" }
        func logField(_ text: String?, _ name: String, required: Bool) throws(APIError) -> LogField {
            guard let text, !text.isEmpty else {
                if required { throw .invalidParameter(field(name), "is required for \(b.type)") }
                return .empty
            }
            do { return try LogField(text, field: field(name)) } catch { throw .invalidParameter(field(name), "\(error)") }
        }
        let id: InstallationID
        do { id = try InstallationID(b.installID, field: field("install_id")) } catch { throw .invalid(error) }
        let installation = app.push.installation(id)
        guard let user = server.eventUser(id, customID: installation?.customID, advertisingID: installation?.advertisingID) else {
            throw .invalidParameter(field("install_id"), "cannot be written to the event file")
        }
        var seconds = now
        if let text = b.time {
            guard let date = Self.parseTime(text) else {
                throw .invalidParameter(field("time"), "must be an ISO 8601 UTC time such as 2017-07-24T09:00:00Z")
            }
            seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        }
        let time: EventTime
        do { time = try EventTime(secondsSinceEpoch: seconds) } catch { throw .invalidParameter(field("time"), "is out of range") }
        let token = try logField(b.token, "token", required: true)
        switch b.type {
        case "push_opened":
            if let group = b.groupID, !group.isEmpty {
                return .push(.opened, at: time, user: user, source: .transactional(token: token, groupID: try logField(group, "group_id", required: true)))
            }
            return .push(.opened, at: time, user: user, source: .campaign(token: token))
        case "inapp_supplied": return .inApp(.supplied, at: time, user: user, campaign: token)
        case "inapp_shown": return .inApp(.shown, at: time, user: user, campaign: token)
        case "inapp_closed": return .inApp(.closed, at: time, user: user, campaign: token)
        case "inapp_clicked":
            guard let position = b.ctaPosition else { throw .invalidParameter(field("cta_position"), "is required for inapp_clicked") }
            guard let p = UInt32(exactly: position) else { throw .invalidParameter(field("cta_position"), "must be 0 or more") }
            return .inApp(.clicked(position: p, action: try logField(b.ctaAction, "cta_action", required: true)), at: time, user: user,
                          campaign: token)
        default:
            throw .invalidParameter(field("type"),
                                    "must be push_opened, inapp_supplied, inapp_shown, inapp_clicked or inapp_closed, not '\(b.type)'")
        }
    }

    static func parseTime(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let d = formatter.date(from: text) { return d }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
