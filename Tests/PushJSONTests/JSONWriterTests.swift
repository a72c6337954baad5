import Testing
import PushJSON

@Suite("JSONWriter")
struct JSONWriterTests {
    @Test("writes objects, arrays and scalars with commas in the right places")
    func structure() {
        var w = JSONWriter()
        w.beginObject()
        w.string("s", "x")
        w.int("i", -42)
        w.double("d", 0.1)
        w.bool("t", true)
        w.bool("f", false)
        w.null("n")
        w.optionalString("o", nil)
        w.beginArray("a")
        w.int(1)
        w.beginObject()
        w.endObject()
        w.beginArray()
        w.endArray()
        w.string("y")
        w.null()
        w.endArray()
        w.beginObject("e")
        w.endObject()
        w.raw("r", Array(#"{"k":[1,2]}"#.utf8))
        w.endObject()
        #expect(String(decoding: w.bytes, as: UTF8.self)
            == #"{"s":"x","i":-42,"d":0.1,"t":true,"f":false,"n":null,"o":null,"a":[1,{},[],"y",null],"e":{},"r":{"k":[1,2]}}"#)
    }

    @Test("escapes quotes, backslashes and control characters", arguments: [
        ("plain", #""plain""#),
        ("q\"b\\s/", #""q\"b\\s/""#),
        ("\n\r\t", #""\n\r\t""#),
        ("\u{0}\u{1}\u{8}\u{C}\u{1F}", #""\u0000\u0001\u0008\u000c\u001f""#),
        ("é€😀\u{7F}", "\"é€😀\u{7F}\""),
    ])
    func escaping(value: String, expected: String) {
        var w = JSONWriter()
        w.string(value)
        #expect(String(decoding: w.bytes, as: UTF8.self) == expected)
    }

    @Test("every string reads back to itself", arguments: [
        "", "a", "\"", "\\", "\\\"", "\u{0}", "line\nbreak", "tab\there", "\u{1F}\u{7F}", "é", "😀", "a\u{2028}b",
        String((0..<0x80).map { Character(Unicode.Scalar(UInt8($0))) }),
    ])
    func stringRoundTrip(value: String) throws {
        var w = JSONWriter()
        w.beginObject()
        w.string(value, value)
        w.endObject()
        let parsed = try JSONValue.parse(w.bytes)
        #expect(parsed[value]?.stringValue == value)
    }

    @Test("integers read back exactly", arguments: [0, 1, -1, 42, Int64.max, Int64.min, 1_793_530_800_000] as [Int64])
    func integerRoundTrip(value: Int64) throws {
        var w = JSONWriter()
        w.int(value)
        #expect(String(decoding: w.bytes, as: UTF8.self) == String(value))
        #expect(try JSONValue.parse(w.bytes).integerValue == value)
    }

    @Test("doubles read back to the same value", arguments: [
        0.0, -0.0, 0.1, 1.0 / 3.0, 1e300, -1e-300, Double.leastNonzeroMagnitude, 1.7976931348623157e308, 123456.789, 1e16, 2.5,
    ])
    func doubleRoundTrip(value: Double) throws {
        var w = JSONWriter()
        w.double(value)
        let read = try #require(try JSONValue.parse(w.bytes).numberValue)
        #expect(read == value)
        #expect(read.sign == value.sign)
    }

    @Test("non-finite doubles are written as null", arguments: [Double.nan, .infinity, -.infinity])
    func nonFinite(value: Double) throws {
        var w = JSONWriter()
        w.beginArray()
        w.double(value)
        w.endArray()
        #expect(String(decoding: w.bytes, as: UTF8.self) == "[null]")
    }

    @Test("appendEscaped escapes a value spliced between prebuilt bytes")
    func appendEscaped() throws {
        var bytes = Array(#"{"token":""#.utf8)
        JSONWriter.appendEscaped(Array("a\"b\\c\u{1}".utf8), to: &bytes)
        bytes.append(contentsOf: #""}"#.utf8)
        #expect(try JSONValue.parse(bytes)["token"]?.stringValue == "a\"b\\c\u{1}")
    }
}
