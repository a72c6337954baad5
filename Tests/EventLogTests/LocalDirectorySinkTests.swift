import Testing
@testable import EventLog

@Suite struct LocalDirectorySinkTests {
    let directory = TemporaryDirectory()

    func spoolFile(_ name: String, _ content: String) -> String {
        directory.write(name, content)
        return directory.path + "/" + name
    }

    @Test func publishesUnderTheFinalNameAndConsumesTheSpoolFile() throws {
        let sink = try LocalDirectorySink(directory: directory.path + "/out")
        let path = spoolFile("a.csv.partial", "x;y;True\n")
        try sink.publish(CompletedFile(name: "a.csv", spoolPath: path, disposition: .appendToExisting(headerByteCount: 0)))
        #expect(directory.contents("out/a.csv") == "x;y;True\n")
        #expect(directory.contents("a.csv.partial") == nil)
        #expect(directory.names("out") == ["a.csv"])
    }

    @Test func lateLinesAreAppendedWithoutASecondHeader() throws {
        let sink = try LocalDirectorySink(directory: directory.path + "/out")
        let header = ExportKind.inAppEvents.header!
        try sink.publish(CompletedFile(name: "i.csv", spoolPath: spoolFile("1.partial", header + "first\n"),
                                       disposition: .appendToExisting(headerByteCount: header.utf8.count)))
        try sink.publish(CompletedFile(name: "i.csv", spoolPath: spoolFile("2.partial", header + "late\n"),
                                       disposition: .appendToExisting(headerByteCount: header.utf8.count)))
        #expect(directory.contents("out/i.csv") == header + "first\nlate\n")
        #expect(directory.names("out") == ["i.csv"], "no temporary file is left behind")
        #expect(directory.contents("2.partial") == nil)
    }

    @Test func snapshotsReplaceTheEarlierFile() throws {
        let sink = try LocalDirectorySink(directory: directory.path + "/out")
        try sink.publish(CompletedFile(name: "u.csv", spoolPath: spoolFile("1", "old;A;True\n"), disposition: .replaceExisting))
        try sink.publish(CompletedFile(name: "u.csv", spoolPath: spoolFile("2", "new;A;False\n"), disposition: .replaceExisting))
        #expect(directory.contents("out/u.csv") == "new;A;False\n")
    }

    @Test func aMissingSpoolFileIsATypedErrorAndPublishesNothing() throws {
        let sink = try LocalDirectorySink(directory: directory.path + "/out")
        #expect(throws: EventLogError.self) {
            try sink.publish(CompletedFile(name: "m.csv", spoolPath: directory.path + "/missing", disposition: .replaceExisting))
        }
        #expect(directory.names("out").isEmpty)
    }
}
