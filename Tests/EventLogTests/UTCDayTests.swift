import Testing
@testable import EventLog

@Suite struct UTCDayTests {
    @Test func parsesAndPrintsRealDates() throws {
        #expect(try UTCDay(parsing: "2017-07-24").start.secondsSinceEpoch == 1_500_854_400)
        #expect(try UTCDay(parsing: "1970-01-01").daysSinceEpoch == 0)
        #expect(try UTCDay(parsing: "2016-02-29").description == "2016-02-29")
        #expect(try UTCDay(parsing: "2000-02-29").description == "2000-02-29")
        #expect(try UTCDay(parsing: "9999-12-31").end.secondsSinceEpoch == EventTime.latestSecondsSinceEpoch + 1)
    }

    @Test(arguments: ["2017-02-29", "1900-02-29", "2017-13-01", "2017-00-10", "2017-04-31", "17-07-24", "2017/07/24", "2017-07-24T", "1969-12-31", "２０17-07-24"])
    func rejectsInvalidDates(text: String) {
        #expect(throws: EventLogError.invalidDate(text)) { try UTCDay(parsing: text) }
    }

    @Test func everyDayRoundTripsThroughItsText() throws {
        for days in stride(from: Int64(0), through: 2_932_896, by: 97) {
            let day = UTCDay(unchecked: days)
            #expect(try UTCDay(parsing: day.description) == day)
        }
    }
}
