import Testing
import PushJSON

@Suite("JSONValue")
struct JSONValueTests {
    @Test("parses nested documents with escapes and numbers")
    func parses() throws {
        let value = try JSONValue.parse(Array(#" {"a":[1,-2.5e3,true,false,null],"s":"x\"\u00e9\ud83d\ude00\n","o":{}} "#.utf8))
        #expect(value["a"] == .array([.integer(1), .number(-2500), .bool(true), .bool(false), .null]))
        #expect(value["s"]?.stringValue == "x\"é😀\n")
        #expect(value["o"] == .object([:]))
    }

    @Test("reads nested members and escapes (as the gateway error bodies use them)")
    func readsNestedValuesAndEscapes() throws {
        let json = try JSONValue.parse(Array(#" {"error":{"code":404,"status":"NOT_FOUND","details":[{"errorCode":"UNREGISTERED"}]},"s":"a\u00e9\"b"} "#.utf8))
        #expect(json["error"]?["code"]?.integerValue == 404)
        #expect(json["error"]?["details"]?.arrayValue?.first?["errorCode"]?.stringValue == "UNREGISTERED")
        #expect(json["s"]?.stringValue == "aé\"b")
    }

    @Test("accepts RFC 8259 documents", arguments: [
        ("0", JSONValue.integer(0)),
        ("-0", .integer(0)),
        ("-0.0", .number(-0.0)),
        ("1E2", .number(100)),
        ("1e-2", .number(0.01)),
        ("1.5e+3", .number(1500)),
        (" \t\r\n true \n", .bool(true)),
        ("null", .null),
        (#""""#, .string("")),
        (#""\/\b\f\n\r\t\\\"""#, .string("/\u{8}\u{C}\n\r\t\\\"")),
        (#""\u0041\u00E9\u20ac""#, .string("Aé€")),
        (#""\uD834\uDD1E""#, .string("𝄞")),
        ("\"é€𝄞\"", .string("é€𝄞")),
        ("[]", .array([])),
        ("[[],{}]", .array([.array([]), .object([:])])),
        (#"{"a":{"b":[null]}}"#, .object(["a": .object(["b": .array([.null])])])),
        ("\"\u{7F}\"", .string("\u{7F}")),
    ])
    func accepts(text: String, expected: JSONValue) throws {
        #expect(try JSONValue.parse(Array(text.utf8)) == expected)
    }

    @Test("refuses malformed documents", arguments: [
        "", " ", "{", "}", "[1,]", #"{"a":1,}"#, "[,1]", #"{"a" 1}"#, #"{"a":}"#, "[1 2]", #"{a:1}"#, "{'a':1}",
        "01", "-01", "00", "1.", ".5", "+1", "-", "1e", "1e+", "0x10", "NaN", "Infinity", "-Infinity", "1e400",
        "tru", "nul", "True", "\"\u{1}\"", "\"a\nb\"", "\"\t\"", "\"\u{0}\"", "\"abc", #""\x""#, #""\u12""#, #""\u12G4""#,
        "{} {}", #"{"a":1} x"#, "[1]]", "/* */ 1", "1 // c",
        String(repeating: "[", count: 100),
    ])
    func refuses(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test("refuses lone and reversed surrogates", arguments: [
        #""\uD83D""#, #""\uD83Dx""#, #""\uDE00""#, #""\uDE00\uD83D""#, #""\uD83D\u0041""#, #""\uD83D\n""#,
    ])
    func refusesLoneSurrogates(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test("refuses invalid UTF-8 in strings", arguments: [
        [0x22, 0xFF, 0x22],                   // never valid
        [0x22, 0x80, 0x22],                   // lone continuation byte
        [0x22, 0xC3, 0x22],                   // truncated two-byte sequence
        [0x22, 0xC0, 0xAF, 0x22],             // overlong '/'
        [0x22, 0xE0, 0x80, 0xAF, 0x22],       // overlong three-byte
        [0x22, 0xED, 0xA0, 0x80, 0x22],       // UTF-8-encoded surrogate U+D800
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], // above U+10FFFF
        [0x22, 0xE2, 0x82, 0x22],             // truncated three-byte sequence
    ] as [[UInt8]])
    func refusesInvalidUTF8(_ bytes: [UInt8]) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(bytes) }
        #expect(throws: JSONSyntaxError.self) { try JSONValue.validate(bytes) }
    }

    @Test("errors carry the byte offset of the problem", arguments: [
        (#"{"a":1,}"#, 7), ("[1,2,x]", 5), ("01", 1), ("\"ab\u{1}\"", 3), (#""a\uDE00""#, 2), ("[1] 2", 4),
    ])
    func offsets(text: String, offset: Int) {
        let error = #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Array(text.utf8)) }
        #expect(error?.offset == offset, "\(String(describing: error))")
    }

    @Test("nesting up to the depth limit is accepted, one more level is refused")
    func depthLimit() throws {
        let depth = JSONValue.maximumDepth
        let deepest = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(throws: Never.self) { try JSONValue.parse(Array(deepest.utf8)) }
        #expect(throws: Never.self) { try JSONValue.validate(Array(deepest.utf8)) }
        let tooDeep = String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1)
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Array(tooDeep.utf8)) }
        #expect(throws: JSONSyntaxError.self) { try JSONValue.validate(Array(tooDeep.utf8)) }
        let hostile = String(repeating: #"{"a":"#, count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Array(hostile.utf8)) }
    }

    @Test("duplicate keys: the last one wins")
    func duplicateKeys() throws {
        let value = try JSONValue.parse(Array(#"{"reason":"BadDeviceToken","reason":"Unregistered","n":{"x":1},"n":2}"#.utf8))
        #expect(value["reason"]?.stringValue == "Unregistered")
        #expect(value["n"] == .integer(2))
        #expect(value.objectValue?.count == 2)
    }

    @Test("integers are exact within Int64; beyond it they are doubles", arguments: [
        ("9223372036854775807", JSONValue.integer(.max)),
        ("-9223372036854775808", .integer(.min)),
        ("9223372036854775808", .number(0x1p63)),
        ("-9223372036854775809", .number(-0x1p63)),
        ("1793530800000", .integer(1_793_530_800_000)),
        ("123456789012345678901234567890", .number(1.2345678901234568e29)),
    ])
    func bigIntegers(text: String, expected: JSONValue) throws {
        #expect(try JSONValue.parse(Array(text.utf8)) == expected)
    }

    @Test("integerValue reads whole numbers, numberValue every number", arguments: [
        ("404", Int64?.some(404), Double?.some(404)),
        ("1e3", 1000, 1000),
        ("-2.0", -2, -2),
        ("1.5", nil, 1.5),
        ("1e300", nil, 1e300),
        ("9007199254740993", 9_007_199_254_740_993, 9_007_199_254_740_992),
        (#""7""#, nil, nil),
        ("true", nil, nil),
    ])
    func numberAccessors(text: String, integer: Int64?, number: Double?) throws {
        let value = try JSONValue.parse(Array(text.utf8))
        #expect(value.integerValue == integer)
        #expect(value.numberValue == number)
    }

    @Test("accessors answer nil for other kinds")
    func accessors() throws {
        let value = try JSONValue.parse(#"{"s":"x","b":true,"a":[1],"z":null}"#)
        #expect(value["s"]?.boolValue == nil)
        #expect(value["b"]?.boolValue == true)
        #expect(value["a"]?.objectValue == nil)
        #expect(value["z"]?.isNull == true)
        #expect(value["s"]?["x"] == nil)
        #expect(value["missing"] == nil)
    }

    @Test("validate reports the root's kind and its members without building a tree", arguments: [
        (#"{"aps":{"alert":"x"},"n":1}"#, JSONKind.object, ["aps:object", "n:number"]),
        (#"{"aps":[],"aps":{}}"#, .object, ["aps:array", "aps:object"]),
        (#"{"a\u0070s":1}"#, .object, [#"a\u0070s:number"#]),
        ("[1,{}]", .array, []),
        (#""s""#, .string, []),
        ("null", .null, []),
    ])
    func validate(text: String, kind: JSONKind, members: [String]) throws {
        var seen: [String] = []
        let root = try JSONValue.validate(Array(text.utf8)) { key, kind in
            seen.append(String(decoding: key, as: UTF8.self) + ":\(kind)")
        }
        #expect(root == kind)
        #expect(seen == members)
    }
}
