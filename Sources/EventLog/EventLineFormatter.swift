/// Formats records into the reference's byte layout.
///
/// Push raw events (no header):
/// `CUSTOM_USER_ID;IDENTIFIER;YYYY-MM-DDTHH:MM:SS;EVENT;SOURCE;TOKEN;GROUP_ID\n`
/// In-app events (after ``ExportKind/header``):
/// `user_id;identifier;date_event;event_type;event_var_1;event_var_2;event_var_3\n`
/// Userbase: `CUSTOM_USER_ID;ADVERTISING_ID;True|False\n`.
///
/// Lines end with LF only. Fields are copied verbatim: ``LogField`` already guarantees they
/// hold no `;`, `"`, CR or LF, so no quoting is ever needed.
enum EventLineFormatter {
    /// An upper bound on one formatted line, reserved before each line.
    static let maximumLineByteCount = 7 * LogField.maximumByteCount + 64

    /// The `YYYY-MM-DDT` prefix every timestamp of `day` starts with (11 bytes).
    static func datePrefix(of day: UTCDay) -> [UInt8] {
        Array("\(day)T".utf8)
    }

    /// Appends one line for `record`; `datePrefix` must be that of the record's own day.
    @inline(__always)
    static func append(_ record: EventRecord, identifier: IdentifierColumn, datePrefix: UnsafeRawBufferPointer, to buffer: LineBuffer) {
        buffer.reserve(maximumLineByteCount)
        buffer.append(record.user.customID)
        buffer.append(UInt8(ascii: ";"))
        switch identifier {
        case .installationID: buffer.append(record.user.installationID)
        case .advertisingID: buffer.append(record.user.advertisingID)
        }
        buffer.append(UInt8(ascii: ";"))
        buffer.append(datePrefix)
        appendClock(secondOfDay: record.time.secondOfDay, to: buffer)
        buffer.append(UInt8(ascii: ";"))
        buffer.append(kindColumn(record.kind))
        if record.kind.file == .inAppEvents {
            // event_var_1 (campaign token);event_var_2 (CTA position);event_var_3 (CTA action)
            buffer.append(record.token)
            buffer.append(UInt8(ascii: ";"))
            if let position = record.ctaPosition { buffer.appendDecimal(position) }
            buffer.append(UInt8(ascii: ";"))
            buffer.append(record.ctaAction)
        } else {
            switch record.source {
            case .none: buffer.append(";;" as StaticString)
            case .campaign:
                buffer.append("campaign;" as StaticString)
                buffer.append(record.token)
                buffer.append(UInt8(ascii: ";"))
            case .transactional:
                buffer.append("transactional;" as StaticString)
                buffer.append(record.token)
                buffer.append(UInt8(ascii: ";"))
                buffer.append(record.groupID)
            }
        }
        buffer.append(UInt8(ascii: "\n"))
    }

    /// Appends one userbase line.
    static func appendUserbase(customID: LogField, advertisingID: LogField, optIn: Bool, to buffer: LineBuffer) {
        buffer.reserve(maximumLineByteCount)
        buffer.append(customID)
        buffer.append(UInt8(ascii: ";"))
        buffer.append(advertisingID)
        buffer.append(optIn ? ";True\n" as StaticString : ";False\n" as StaticString)
    }

    /// The event column with its trailing `;`.
    @inline(__always)
    static func kindColumn(_ kind: EventRecord.Kind) -> StaticString {
        switch kind {
        case .pushSent: return "push_sent;"
        case .pushOpened: return "push_opened;"
        case .pushError: return "push_error;"
        case .pushOptIn: return "push_optin;"
        case .pushOptOut: return "push_optout;"
        case .tokenDeleted: return "token_deleted;"
        case .inAppSupplied: return "inapp_supplied;"
        case .inAppShown: return "inapp_shown;"
        case .inAppClicked: return "inapp_clicked;"
        case .inAppClosed: return "inapp_closed;"
        }
    }

    /// `HH:MM:SS` from a second of the day, through a two-digit table.
    @inline(__always)
    static func appendClock(secondOfDay: Int, to buffer: LineBuffer) {
        let hours = secondOfDay / 3600
        let minutes = secondOfDay / 60 % 60
        let seconds = secondOfDay % 60
        twoDigitTable.withUnsafeBytes { table in
            buffer.append(UnsafeRawBufferPointer(rebasing: table[(hours * 2)..<(hours * 2 + 2)]))
            buffer.append(UInt8(ascii: ":"))
            buffer.append(UnsafeRawBufferPointer(rebasing: table[(minutes * 2)..<(minutes * 2 + 2)]))
            buffer.append(UInt8(ascii: ":"))
            buffer.append(UnsafeRawBufferPointer(rebasing: table[(seconds * 2)..<(seconds * 2 + 2)]))
        }
    }

    /// "00" "01" … "99" as 200 bytes.
    static let twoDigitTable: [UInt8] = (0..<100).flatMap { n in
        [UInt8(ascii: "0") + UInt8(n / 10), UInt8(ascii: "0") + UInt8(n % 10)]
    }
}
