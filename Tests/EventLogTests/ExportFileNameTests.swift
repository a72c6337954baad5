import Testing
import PushModel
@testable import EventLog

@Suite struct ExportFileNameTests {
    @Test(arguments: [
        (ExportKind.pushEvents, Platform.iOS, "APPNAME-events_BATCH-API-KEY@IOS_2017-07-24.csv"),
        (.pushEvents, .android, "APPNAME-events_BATCH-API-KEY@ANDROID_2017-07-24.csv"),
        (.inAppEvents, .iOS, "APPNAME-InAppevents_BATCH-API-KEY@IOS_2017-07-24.csv"),
        (.inAppEvents, .android, "APPNAME-InAppevents_BATCH-API-KEY@ANDROID_2017-07-24.csv"),
        (.userbase, .iOS, "APPNAME-userbase_BATCH-API-KEY@IOS_2017-07-24.csv"),
        (.userbase, .android, "APPNAME-userbase_BATCH-API-KEY@ANDROID_2017-07-24.csv"),
    ])
    func namesFollowTheReferenceNomenclature(kind: ExportKind, platform: Platform, expected: String) throws {
        let name = ExportFileName(app: Reference.app, kind: kind, platform: platform, day: try UTCDay(parsing: "2017-07-24"))
        #expect(name.description == expected)
        #expect(name.partialName == expected + ".partial")
        #expect(ExportFileName.day(ofPartialName: name.partialName)?.description == "2017-07-24")
    }

    @Test func onlyInAppFilesHaveAHeader() {
        #expect(ExportKind.inAppEvents.header == "user_id;identifier;date_event;event_type;event_var_1;event_var_2;event_var_3\n")
        #expect(ExportKind.pushEvents.header == nil)
        #expect(ExportKind.userbase.header == nil)
    }

    @Test(arguments: ["APPNAME-events_KEY@IOS_2017-07-24.csv", "notes.txt", "x_2017-13-01.csv.partial", "2017-07-24.csv.partial"])
    func otherNamesAreNotDayFiles(name: String) {
        #expect(ExportFileName.day(ofPartialName: name) == nil)
    }
}
