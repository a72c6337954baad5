import Testing
@testable import EventLog

@Suite struct UserbaseSourceFileTests {
    @Test func readsTheUserbaseFormatItself() throws {
        let rows = try UserbaseSourceFile.parse(Array("u1;AD1;True\r\n\n;AD2;False\n".utf8), source: "rows.csv", jsonLines: false)
        #expect(rows == [UserbaseEntry(customID: "u1", advertisingID: "AD1", optIn: true),
                         UserbaseEntry(customID: .empty, advertisingID: "AD2", optIn: false)])
    }

    @Test func readsJSONLines() throws {
        let text = """
        {"custom_id": "u1", "advertising_id": "AD1", "opt_in": true}
        {"custom_id": null, "advertising_id": "AD2", "opt_in": false}
        {"opt_in": true}
        """
        let rows = try UserbaseSourceFile.parse(Array(text.utf8), source: "rows.jsonl", jsonLines: true)
        #expect(rows == [UserbaseEntry(customID: "u1", advertisingID: "AD1", optIn: true),
                         UserbaseEntry(customID: .empty, advertisingID: "AD2", optIn: false),
                         UserbaseEntry(customID: .empty, advertisingID: .empty, optIn: true)])
    }

    @Test(arguments: [
        ("u1;AD1;True\nu2;AD2;yes\n", false, 2, "opt-in must be True or False"),
        ("u1;AD1\n", false, 1, "found 2 fields"),
        ("{\"custom_id\":\"a;b\",\"opt_in\":true}\n", true, 1, "custom_id"),
        ("{\"opt_in\":true}\n{\"custom_id\":1,\"opt_in\":true}\n", true, 2, "JSON object"),
    ])
    func badLinesAreNamedByFileAndLine(text: String, jsonLines: Bool, line: Int, reason: String) {
        do {
            _ = try UserbaseSourceFile.parse(Array(text.utf8), source: "rows", jsonLines: jsonLines)
            Issue.record("expected an error")
        } catch {
            guard case .invalidUserbaseRow(let source, let reported, let message) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(source == "rows")
            #expect(reported == line)
            #expect(message.contains(reason))
        }
    }

    @Test func aMissingFileIsATypedError() {
        #expect(throws: EventLogError.self) { try UserbaseSourceFile.read(path: "/nonexistent/rows.csv") }
    }
}
