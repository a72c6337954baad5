import Testing
@testable import EventLog

@Suite struct ExportAppTests {
    @Test(arguments: ["", ".", "..", "a/b", "a@b", "a;b", "a\"b", "a\nb", "a\u{7F}b", String(repeating: "k", count: 129)])
    func rejectsNamesThatCannotBeAFileNameComponent(bad: String) {
        #expect(throws: EventLogError.invalidFileNameComponent(field: "app name", value: bad)) {
            try ExportApp(name: bad, apiKey: "KEY")
        }
        #expect(throws: EventLogError.invalidFileNameComponent(field: "API key", value: bad)) {
            try ExportApp(name: "App", apiKey: bad)
        }
    }

    @Test func defaultsToTheInstallationIDColumn() throws {
        let app = try ExportApp(name: "My-App_1", apiKey: "DEV5A1E")
        #expect(app.identifierColumn == .installationID)
        #expect(try ExportApp(name: "A", apiKey: "K", identifierColumn: .advertisingID).identifierColumn == .advertisingID)
    }
}
