import PushModel
/// The moment an event happened: whole seconds since 1970-01-01T00:00:00Z (UTC).
///
/// The exported files have second precision, so sub-second parts are dropped (floored)
/// by ``init(secondsSinceEpoch:)`` callers. The range is what `YYYY-MM-DDTHH:MM:SS` can
/// spell: 1970-01-01T00:00:00 through 9999-12-31T23:59:59.
public struct EventTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The last second a four-digit year can spell.
    public static let latestSecondsSinceEpoch: Int64 = 253_402_300_799

    /// Seconds since the epoch, UTC.
    public let secondsSinceEpoch: Int64

    /// Validates the range.
    /// - Throws: ``EventLogError/invalidTime(field:secondsSinceEpoch:)``.
    public init(secondsSinceEpoch: Int64) throws(EventLogError) {
        guard (0...EventTime.latestSecondsSinceEpoch).contains(secondsSinceEpoch) else {
            throw .invalidTime(field: "event time", secondsSinceEpoch: secondsSinceEpoch)
        }
        self.secondsSinceEpoch = secondsSinceEpoch
    }

    init(unchecked seconds: Int64) { self.secondsSinceEpoch = seconds }

    /// The UTC day this moment belongs to; it chooses the file an event goes to.
    public var day: UTCDay { UTCDay(unchecked: secondsSinceEpoch / 86_400) }

    /// Seconds since the start of the UTC day, 0..<86 400.
    public var secondOfDay: Int { Int(secondsSinceEpoch % 86_400) }

    /// `YYYY-MM-DDTHH:MM:SS`, the reference's timestamp form.
    public var description: String {
        let s = secondOfDay
        return "\(day)T\(twoDigits(s / 3600)):\(twoDigits(s / 60 % 60)):\(twoDigits(s % 60))"
    }

    /// Orders by time.
    public static func < (lhs: EventTime, rhs: EventTime) -> Bool {
        lhs.secondsSinceEpoch < rhs.secondsSinceEpoch
    }
}

/// A UTC calendar day, `YYYY-MM-DD`: the unit of one exported file.
public struct UTCDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Days since 1970-01-01.
    public let daysSinceEpoch: Int64

    init(unchecked days: Int64) { self.daysSinceEpoch = days }

    /// Parses `YYYY-MM-DD` (exactly ten characters, a real calendar date, year 1970...9999).
    /// - Throws: ``EventLogError/invalidDate(_:)``.
    public init(parsing text: String) throws(EventLogError) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else {
            throw .invalidDate(text)
        }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let dayOfMonth = number(8..<10),
              year >= 1970, (1...12).contains(month),
              (1...UTCDay.daysIn(month: month, year: year)).contains(dayOfMonth)
        else { throw .invalidDate(text) }
        self.daysSinceEpoch = UTCDay.days(year: year, month: month, day: dayOfMonth)
    }

    /// The first second of the day.
    public var start: EventTime { EventTime(unchecked: daysSinceEpoch * 86_400) }

    /// The first second of the next day: the day is over at this moment.
    public var end: EventTime { EventTime(unchecked: (daysSinceEpoch + 1) * 86_400) }

    /// The civil date (year, month 1...12, day 1...31).
    public var civil: (year: Int, month: Int, day: Int) {
        let date = CivilDate(daysSinceEpoch: daysSinceEpoch)
        return (date.year, date.month, date.day)
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        let (y, m, d) = civil
        let year = String(y)
        return String(repeating: "0", count: max(0, 4 - year.count)) + year + "-" + twoDigits(m) + "-" + twoDigits(d)
    }

    /// Orders by date.
    public static func < (lhs: UTCDay, rhs: UTCDay) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    static func days(year: Int, month: Int, day: Int) -> Int64 {
        // Howard Hinnant's days_from_civil.
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = y / 400
        let yoe = y - era * 400
        let mp = Int64(month > 2 ? month - 3 : month + 9)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

private func twoDigits(_ value: Int) -> String {
    value < 10 ? "0\(value)" : "\(value)"
}
