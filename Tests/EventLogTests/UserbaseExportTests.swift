import Testing
import PushModel
@testable import EventLog

/// A row type shaped like an index installation, to show the export takes any Sequence of rows.
private struct IndexedInstallation: UserbaseRow {
    var custom: String?
    var advertising: String
    var optedIn: Bool

    var userbaseCustomID: String { custom ?? "" }
    var userbaseAdvertisingID: String { advertising }
    var userbaseOptIn: Bool { optedIn }
}

@Suite struct UserbaseExportTests {
    let directory = TemporaryDirectory()

    @Test(arguments: [Platform.iOS, .android])
    func writesTheReferenceFormatUnderTheReferenceName(platform: Platform) throws {
        let rows = [
            IndexedInstallation(custom: "CUSTOM_USER_ID1", advertising: "ADVERTISING_ID1", optedIn: true),
            IndexedInstallation(custom: "CUSTOM_USER_ID1", advertising: "ADVERTISING_ID2", optedIn: true),
            IndexedInstallation(custom: "CUSTOM_USER_ID3", advertising: "ADVERTISING_ID3", optedIn: false),
            IndexedInstallation(custom: nil, advertising: "ADVERTISING_ID6", optedIn: false),
        ]
        let summary = try UserbaseExport.write(rows: rows.lazy.map { $0 }, app: Reference.app, platform: platform,
                                               day: try UTCDay(parsing: "2017-07-24"), spoolDirectory: directory.path + "/spool",
                                               sink: try LocalDirectorySink(directory: directory.path + "/out"))
        let name = "APPNAME-userbase_BATCH-API-KEY@\(platform.fileSuffix)_2017-07-24.csv"
        let expected = "CUSTOM_USER_ID1;ADVERTISING_ID1;True\nCUSTOM_USER_ID1;ADVERTISING_ID2;True\nCUSTOM_USER_ID3;ADVERTISING_ID3;False\n;ADVERTISING_ID6;False\n"
        #expect(summary == UserbaseExportSummary(fileName: name, lineCount: 4, byteCount: expected.utf8.count))
        #expect(directory.contents("out/\(name)") == expected)
        #expect(directory.names("spool").isEmpty)
    }

    @Test func aRowBreakingTheFieldRuleIsNamedAndNothingIsPublished() throws {
        let rows = [
            UserbaseEntry(customID: "ok", advertisingID: "A", optIn: true),
            UserbaseEntry(customID: "ok", advertisingID: "B", optIn: true),
        ].map { IndexedInstallation(custom: $0.userbaseCustomID, advertising: $0.userbaseAdvertisingID, optedIn: true) }
            + [IndexedInstallation(custom: "evil;user", advertising: "C", optedIn: true)]
        #expect(throws: EventLogError.invalidField(field: "userbase row 3 custom ID", reason: .forbiddenByte(0x3B, offset: 4))) {
            try UserbaseExport.write(rows: rows, app: Reference.app, platform: .iOS, day: try UTCDay(parsing: "2017-07-24"),
                                     spoolDirectory: directory.path + "/spool",
                                     sink: try LocalDirectorySink(directory: directory.path + "/out"))
        }
        #expect(directory.names("out").isEmpty)
        #expect(directory.names("spool").isEmpty)
    }

    @Test func largeSnapshotsSpanManyBuffers() throws {
        let rows = (0..<40_000).map { UserbaseEntry(customID: try! LogField("user-\($0)", field: "c"),
                                                     advertisingID: try! LogField("AD-\($0)", field: "a"), optIn: $0 % 3 == 0) }
        let summary = try UserbaseExport.write(rows: rows, app: Reference.app, platform: .iOS, day: try UTCDay(parsing: "2017-07-24"),
                                               spoolDirectory: directory.path + "/spool",
                                               sink: try LocalDirectorySink(directory: directory.path + "/out"))
        let text = directory.contents("out/\(summary.fileName)")!
        let lines = text.split(separator: "\n")
        #expect(lines.count == 40_000)
        #expect(lines[39_999] == "user-39999;AD-39999;True")
        #expect(lines[1] == "user-1;AD-1;False")
        #expect(summary.byteCount == text.utf8.count)
    }

    @Test(arguments: [("2017-07-25T02:00:00", "2017-07-24"), ("2017-07-25T01:59:59", "2017-07-23"),
                      ("2017-07-25T23:59:59", "2017-07-24"), ("2017-07-26T02:00:00", "2017-07-25")])
    func theDailySnapshotOfADayIsDueAfterTheDayPlusGrace(now: String, day: String) {
        #expect(UserbaseExport.latestDueDay(at: at(now), grace: .seconds(7200)).description == day)
    }
}
