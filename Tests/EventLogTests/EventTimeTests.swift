import Testing
@testable import EventLog

@Suite struct EventTimeTests {
    @Test func daysChangeExactlyAtMidnightUTC() throws {
        let lastSecond = try EventTime(secondsSinceEpoch: 1_500_940_799)
        let midnight = try EventTime(secondsSinceEpoch: 1_500_940_800)
        #expect(lastSecond.description == "2017-07-24T23:59:59")
        #expect(midnight.description == "2017-07-25T00:00:00")
        #expect(lastSecond.day.description == "2017-07-24")
        #expect(midnight.day.description == "2017-07-25")
        #expect(midnight.day.start == midnight)
        #expect(lastSecond.day.end == midnight)
    }

    @Test func rejectsTimesAFourDigitYearCannotSpell() throws {
        #expect(throws: EventLogError.invalidTime(field: "event time", secondsSinceEpoch: -1)) {
            try EventTime(secondsSinceEpoch: -1)
        }
        #expect(throws: EventLogError.self) { try EventTime(secondsSinceEpoch: EventTime.latestSecondsSinceEpoch + 1) }
        #expect(try EventTime(secondsSinceEpoch: EventTime.latestSecondsSinceEpoch).description == "9999-12-31T23:59:59")
    }
}
