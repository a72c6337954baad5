import Testing
@testable import EventLog

@Suite struct TornLineRepairTests {
    let directory = TemporaryDirectory()
    let fileSystem = POSIXFileSystem()

    func repair(_ content: String) throws -> (TornLineRepair?, String?) {
        directory.write("f.csv.partial", content)
        let result = try TornLineRepair.repair(path: directory.path + "/f.csv.partial", fileSystem: fileSystem)
        return (result, directory.contents("f.csv.partial"))
    }

    @Test func truncatesTheTornLastLineAndKeepsEveryCompleteLine() throws {
        let complete = "a;b;2017-07-24T09:00:00;push_optin;;;\na;b;2017-07-24T09:00:01;push_optout;;;\n"
        let (report, content) = try repair(complete + "a;b;2017-07-24T09:0")
        #expect(content == complete)
        #expect(report?.originalByteCount == complete.utf8.count + 19)
        #expect(report?.keptByteCount == complete.utf8.count)
        #expect(report?.removedByteCount == 19)
    }

    @Test func leavesFilesEndingInLFUntouched() throws {
        #expect(try repair("x;y;True\n") == (nil, "x;y;True\n"))
        #expect(try repair("") == (nil, ""))
    }

    @Test func aFileWithoutAnyCompleteLineBecomesEmpty() throws {
        let (report, content) = try repair("CUSTOM_USER_ID;BATCH_INS")
        #expect(content == "")
        #expect(report?.removedByteCount == 24)
    }

    @Test func findsTheLastLFFarBehindALongTornTail() throws {
        let complete = String(repeating: "u;i;2017-07-24T09:00:00;push_optin;;;\n", count: 5000)
        let tail = String(repeating: "x", count: 150_000) // longer than two 64 KiB read chunks
        let (report, content) = try repair(complete + tail)
        #expect(content == complete)
        #expect(report?.removedByteCount == 150_000)
    }
}
