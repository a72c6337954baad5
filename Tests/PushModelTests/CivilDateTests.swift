import PushModel
import Testing

struct CivilDateTests {
    @Test(arguments: [(Int64(0), 1970, 1, 1), (-1, 1969, 12, 31), (19_723, 2024, 1, 1), (19_782, 2024, 2, 29),
                      (11_017, 2000, 3, 1), (-719_468, 0, 3, 1)])
    func daysSinceEpochBecomeTheCalendarDate(days: Int64, year: Int, month: Int, day: Int) {
        #expect(CivilDate(daysSinceEpoch: days) == CivilDate(year: year, month: month, day: day))
    }
}

extension CivilDate {
    init(year: Int, month: Int, day: Int) {
        self = CivilDate(daysSinceEpoch: 0)
        self.year = year
        self.month = month
        self.day = day
    }
}
