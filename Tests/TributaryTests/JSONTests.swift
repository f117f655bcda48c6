import Foundation
import Testing
import Tributary

@Test func parsesEveryKindOfValue() throws {
    let j = try JSON(
        parsing: #" {"s":"a\"b\\c\/d\n\u00e9\ud83d\ude00","n":-12.5e2,"i":42,"z":0,"t":true,"f":false,"nul":null,"a":[1,[2,{}]],"o":{}} "#)
    #expect(j["s"] == .string("a\"b\\c/d\né😀"))
    #expect(j["n"] == .number(-1250))
    #expect(j["i"] == .number(42))
    #expect(j["z"] == .number(0))
    #expect(j["t"] == .bool(true))
    #expect(j["f"] == .bool(false))
    #expect(j["nul"] == .null)
    #expect(j["a"] == [1, [2, [:]]])
    #expect(j["o"] == .object([:]))
    #expect(j["missing"] == nil)
}

@Test func encodingRoundTripsAndIsCanonical() throws {
    let v: JSON = ["b": [1, 2.5, -3, "x\u{1}\"\\\n\t"], "a": nil, "c": ["d": true, "e": 1e300]]
    let bytes = v.encoded()
    #expect(try JSON(parsing: bytes) == v)
    // Keys sorted, integers without a fraction, control characters escaped.
    #expect(String(decoding: bytes, as: UTF8.self) == #"{"a":null,"b":[1,2.5,-3,"x\u0001\"\\\n\t"],"c":{"d":true,"e":1e+300}}"#)
    let big = try JSON(parsing: "12345678901234567890")
    #expect(big == .number(1.2345678901234567e19))
}

@Test(arguments: [
    "", "plain text, nothing to escape", "\"", "\\", "a\"b\\c\nd\re\tf\u{0}g\u{1f}h\u{7f}",
    String((0..<128).map { Character(Unicode.Scalar(UInt8($0))) }), "é ü 日本 🎉 \"quoted\"",
    String(repeating: #"{"key":"value","n":1}"#, count: 100),
])
func writeStringIsAValidLiteralOfTheSameText(_ text: String) throws {
    var out: [UInt8] = [0x5B]  // written after what is there
    JSON.writeString(text, to: &out)
    out.append(0x5D)
    #expect(try JSON(parsing: out) == [.string(text)])
    let foundation = try JSONSerialization.jsonObject(with: Data(out)) as? [String]
    #expect(foundation == [text], "another parser reads the same text")
    #expect(!out.contains { $0 < 0x20 }, "no raw control character")
}

@Test(arguments: [
    "", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "tru", "nul", "01", "1.", "-", "1e", "\"abc", "\"\\x\"",
    "\"\u{01}\"", "\"\\ud800\"", "[1] 2", "{a:1}", "NaN",
])
func rejectsInvalidJSON(_ text: String) {
    #expect(throws: JSONParseError.self) { try JSON(parsing: text) }
}

@Test func deepNestingIsRefusedNotCrashing() {
    let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
    #expect(throws: JSONParseError.self) { try JSON(parsing: deep) }
}

@Test func bridgesToCodableTypes() throws {
    struct Price: Codable, Equatable { var id: String; var unit_amount: Int; var currency: String }
    let j: JSON = ["id": "price_1", "unit_amount": 1200, "currency": "usd", "extra": [1]]
    let p = try j.decode(as: Price.self)
    #expect(p == Price(id: "price_1", unit_amount: 1200, currency: "usd"))
    #expect(try JSON(encoding: p) == ["id": "price_1", "unit_amount": 1200, "currency": "usd"])
    // JSON is itself Codable through Foundation.
    let data = try JSONEncoder().encode(j)
    #expect(try JSONDecoder().decode(JSON.self, from: data) == j)
}

@Test func parsesFromByteSlicesAndNonContiguousCollections() throws {
    let bytes = Array(#"xx{"a":1}yy"#.utf8)
    #expect(try JSON(parsing: bytes[2..<9]) == ["a": 1])
    #expect(try JSON(parsing: Data(#"[true]"#.utf8)) == [true])
    #expect(try JSON(parsing: AnyCollection(Array("null".utf8))) == .null)
}

@Test(arguments: [
    ("2026-11-29T20:20:31Z", 1_795_983_631.0),
    ("2026-11-29T20:20:31.5Z", 1_795_983_631.5),
    ("2026-11-29T20:20:31.123456789Z", 1_795_983_631.123456789),
    ("2026-11-29T21:20:31+01:00", 1_795_983_631.0),
    ("2026-11-29T15:50:31.250-04:30", 1_795_983_631.25),
    ("2026-11-29t20:20:31z", 1_795_983_631.0),
    ("2026-11-29 20:20:31Z", 1_795_983_631.0),
    ("2024-02-29T00:00:00Z", 1_709_164_800.0),
    ("1969-12-31T23:59:59Z", -1.0),
])
func parsesRFC3339(_ text: String, _ epoch: Double) throws {
    let d = try #require(RFC3339.date(from: text))
    #expect(abs(d.timeIntervalSince1970 - epoch) < 1e-6)
}

@Test(arguments: [
    "2026-11-29", "2026-11-29T20:20:31", "2026-11-29T20:20:31.Z", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z",
    "2026-11-29T24:00:00Z", "2026-11-29T20:20:31+0100", "26-11-29T20:20:31Z", "yesterday", "2026-11-29T20:20:31Zjunk",
])
func rejectsWhatIsNotRFC3339(_ text: String) {
    #expect(RFC3339.date(from: text) == nil)
}

@Test func formatsUTC() {
    #expect(RFC3339.string(from: Date(timeIntervalSince1970: 1_795_983_631)) == "2026-11-29T20:20:31Z")
    #expect(RFC3339.string(from: Date(timeIntervalSince1970: 1_795_983_631.25)) == "2026-11-29T20:20:31.250Z")
    #expect(RFC3339.string(from: Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
}

/// Found by Tests/Fuzz: a number beyond Double's range parsed as infinity and printed back as `null`.
@Test func numbersBeyondDoublesRangeAreRefused() throws {
    for text in ["1e999", "-1e999", "[1, 2e400]"] {
        #expect(throws: JSONParseError.self, "\(text)") { try JSON(parsing: text) }
    }
    #expect(try JSON(parsing: "1.7976931348623157e308").numberValue == Double.greatestFiniteMagnitude)
}
