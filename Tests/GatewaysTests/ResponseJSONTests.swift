import Testing
@testable import Gateways

@Suite struct ResponseJSONTests {
    @Test func readsNestedValuesAndEscapes() {
        let json = ResponseJSON(Array(#" {"error":{"code":404,"status":"NOT_FOUND","details":[{"errorCode":"UNREGISTERED"}]},"s":"a\u00e9\"b"} "#.utf8))
        #expect(json.root?["error"]?["code"]?.integer == 404)
        #expect(json.root?["error"]?["details"]?.array?.first?["errorCode"]?.string == "UNREGISTERED")
        #expect(json.string("s") == "aé\"b")
    }

    @Test(arguments: ["", "{", #"{"a":}"#, #"{"a":1,}"#, "[1 2]", #"{"a":1} x"#, "nul"])
    func malformedInputReadsAsNothing(text: String) {
        #expect(ResponseJSON(Array(text.utf8)).root == nil)
    }
}

extension ResponseJSON.Node: Equatable {
    static func == (lhs: ResponseJSON.Node, rhs: ResponseJSON.Node) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.null, .null): return true
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }
}
