/// Who an event is about: the three identifiers an exported line can carry.
///
/// The app's ``IdentifierColumn`` chooses which of `installationID` and `advertisingID`
/// fills the second column; the record carries both so that producers need not know.
public struct EventUser: Sendable, Hashable {
    /// The custom user ID, empty for anonymous users.
    public var customID: LogField
    /// The installation ID (the reference's `BATCH_INSTALLATION_ID`).
    public var installationID: LogField
    /// The advertising ID (IDFA / GAID), empty when unknown.
    public var advertisingID: LogField

    /// Creates a user from already validated fields.
    public init(customID: LogField = .empty, installationID: LogField, advertisingID: LogField = .empty) {
        self.customID = customID
        self.installationID = installationID
        self.advertisingID = advertisingID
    }
}

/// One event, ready for the writer: a line of a push or in-app events file.
///
/// Build it with ``push(_:at:user:source:)``, ``subscription(_:at:user:)`` or
/// ``inApp(_:at:user:campaign:)``; they only allow the combinations the reference shows.
public struct EventRecord: Sendable, Hashable {
    /// The `EVENT` / `event_type` column; the raw value is the exact wire text.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A notification was accepted by the gateway.
        case pushSent = "push_sent"
        /// The user opened a notification.
        case pushOpened = "push_opened"
        /// The gateway rejected a notification (other than an invalid token).
        case pushError = "push_error"
        /// The user subscribed to notifications.
        case pushOptIn = "push_optin"
        /// The user unsubscribed from notifications.
        case pushOptOut = "push_optout"
        /// The gateway said the token is invalid; it left the index.
        case tokenDeleted = "token_deleted"
        /// An in-app message was downloaded by a subscribed device.
        case inAppSupplied = "inapp_supplied"
        /// An in-app message was displayed.
        case inAppShown = "inapp_shown"
        /// A call-to-action of an in-app message was clicked.
        case inAppClicked = "inapp_clicked"
        /// An in-app message was closed.
        case inAppClosed = "inapp_closed"

        /// The file this kind of event goes to.
        public var file: ExportKind {
            switch self {
            case .inAppSupplied, .inAppShown, .inAppClicked, .inAppClosed: return .inAppEvents
            default: return .pushEvents
            }
        }
    }

    /// A push that was sent, opened or failed.
    public enum PushEvent: Sendable, Hashable {
        /// `push_sent`.
        case sent
        /// `push_opened`.
        case opened
        /// `push_error`.
        case error

        var kind: Kind {
            switch self {
            case .sent: return .pushSent
            case .opened: return .pushOpened
            case .error: return .pushError
            }
        }
    }

    /// A change of the user's subscription; its line leaves SOURCE, TOKEN and GROUP_ID empty.
    public enum SubscriptionEvent: Sendable, Hashable {
        /// `push_optin`.
        case optIn
        /// `push_optout`.
        case optOut
        /// `token_deleted`.
        case tokenDeleted

        var kind: Kind {
            switch self {
            case .optIn: return .pushOptIn
            case .optOut: return .pushOptOut
            case .tokenDeleted: return .tokenDeleted
            }
        }
    }

    /// Where a push came from: the `SOURCE;TOKEN;GROUP_ID` columns.
    public enum PushSource: Sendable, Hashable {
        /// `campaign;CAMPAIGN_TOKEN;` (empty group ID).
        case campaign(token: LogField)
        /// `transactional;TRANSACTIONAL_TOKEN;GROUP-ID`.
        case transactional(token: LogField, groupID: LogField)
    }

    /// An in-app interaction: the `event_type` and `event_var_2` / `event_var_3` columns.
    public enum InAppEvent: Sendable, Hashable {
        /// `inapp_supplied`.
        case supplied
        /// `inapp_shown`.
        case shown
        /// `inapp_clicked` with the CTA's position (`event_var_2`) and action (`event_var_3`).
        case clicked(position: UInt32, action: LogField)
        /// `inapp_closed`.
        case closed
    }

    /// The `SOURCE` column of a push line.
    public enum Source: UInt8, Sendable, Hashable {
        /// Empty (subscription and in-app events).
        case none
        /// `campaign`.
        case campaign
        /// `transactional`.
        case transactional
    }

    /// What happened.
    public let kind: Kind
    /// When it happened; its UTC day chooses the file.
    public let time: EventTime
    /// Who it happened to.
    public let user: EventUser
    /// `campaign`, `transactional` or empty.
    public let source: Source
    /// The campaign or transactional token; for in-app events the campaign token (`event_var_1`).
    public let token: LogField
    /// The transactional group ID, else empty.
    public let groupID: LogField
    /// The clicked CTA's position (`event_var_2`), only for `inapp_clicked`.
    public let ctaPosition: UInt32?
    /// The clicked CTA's action (`event_var_3`), only for `inapp_clicked`, else empty.
    public let ctaAction: LogField

    private init(kind: Kind, time: EventTime, user: EventUser, source: Source, token: LogField,
                 groupID: LogField, ctaPosition: UInt32?, ctaAction: LogField) {
        self.kind = kind
        self.time = time
        self.user = user
        self.source = source
        self.token = token
        self.groupID = groupID
        self.ctaPosition = ctaPosition
        self.ctaAction = ctaAction
    }

    /// `push_sent`, `push_opened` or `push_error` from a campaign or a transactional send.
    public static func push(_ event: PushEvent, at time: EventTime, user: EventUser, source: PushSource) -> EventRecord {
        switch source {
        case .campaign(let token):
            return EventRecord(kind: event.kind, time: time, user: user, source: .campaign, token: token,
                               groupID: .empty, ctaPosition: nil, ctaAction: .empty)
        case .transactional(let token, let groupID):
            return EventRecord(kind: event.kind, time: time, user: user, source: .transactional, token: token,
                               groupID: groupID, ctaPosition: nil, ctaAction: .empty)
        }
    }

    /// `push_optin`, `push_optout` or `token_deleted`.
    public static func subscription(_ event: SubscriptionEvent, at time: EventTime, user: EventUser) -> EventRecord {
        EventRecord(kind: event.kind, time: time, user: user, source: .none, token: .empty,
                    groupID: .empty, ctaPosition: nil, ctaAction: .empty)
    }

    /// An in-app event of `campaign` (the in-app campaign token, `event_var_1`).
    public static func inApp(_ event: InAppEvent, at time: EventTime, user: EventUser, campaign: LogField) -> EventRecord {
        switch event {
        case .supplied:
            return EventRecord(kind: .inAppSupplied, time: time, user: user, source: .none, token: campaign,
                               groupID: .empty, ctaPosition: nil, ctaAction: .empty)
        case .shown:
            return EventRecord(kind: .inAppShown, time: time, user: user, source: .none, token: campaign,
                               groupID: .empty, ctaPosition: nil, ctaAction: .empty)
        case .clicked(let position, let action):
            return EventRecord(kind: .inAppClicked, time: time, user: user, source: .none, token: campaign,
                               groupID: .empty, ctaPosition: position, ctaAction: action)
        case .closed:
            return EventRecord(kind: .inAppClosed, time: time, user: user, source: .none, token: campaign,
                               groupID: .empty, ctaPosition: nil, ctaAction: .empty)
        }
    }
}
