import Testing
import Tributary

/// `JSON.valueRange(of:in:)`: the bytes of a key path's value, or nil where a parser's tree must decide.
@Suite struct JSONValueRangeTests {
    static func slice(_ text: String, _ path: [String]) -> String? {
        let bytes = Array(text.utf8)
        return JSON.valueRange(of: path, in: bytes).map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    @Test func findsANestedValueAsItCameSkippingEveryKindOfValueBeforeIt() throws {
        let text = #"""
            { "id" : "evt_1", "n": -1.5e3, "ok": true, "none": null, "list": [1, {"a": "}"}, [], "x\"y"],
              "data": { "previous": {}, "object": {"id":"price_1", "note": "a \"quoted\" } ]", "k": [ ]}  } , "z": 0 }
            """#
        #expect(Self.slice(text, ["data", "object"]) == #"{"id":"price_1", "note": "a \"quoted\" } ]", "k": [ ]}"#)
        #expect(Self.slice(text, ["id"]) == #""evt_1""#)
        #expect(Self.slice(text, ["n"]) == "-1.5e3")
        #expect(Self.slice(text, ["z"]) == "0")
        #expect(Self.slice(text, ["data"])?.hasPrefix("{ \"previous\"") == true)
        // The slice is the same value the parser builds.
        let bytes = Array(text.utf8)
        let range = try #require(JSON.valueRange(of: ["data", "object"], in: bytes))
        #expect(try JSON(parsing: Array(bytes[range])) == JSON(parsing: bytes)["data"]?["object"])
    }

    @Test func isNilWhereThePathIsMissingTwiceOrUnclear() {
        #expect(Self.slice(#"{"data": {"other": 1}}"#, ["data", "object"]) == nil)
        #expect(Self.slice(#"{"data": [1]}"#, ["data", "object"]) == nil, "not an object")
        #expect(Self.slice(#"{"data": {"object": 1}, "data": {"object": 2}}"#, ["data", "object"]) == nil, "a duplicate key")
        #expect(Self.slice(#"{"data": {"object": 1, "object": 2}}"#, ["data", "object"]) == nil, "a duplicate key")
        #expect(Self.slice(#"{"d\u0061ta": {"object": 2}, "data": {"object": 1}}"#, ["data", "object"]) == nil, "an escaped key")
        #expect(Self.slice(#"{"data": {"object": {"a": 1}"#, ["data", "object"]) == nil, "cut short")
        #expect(Self.slice("", ["data"]) == nil)
        #expect(Self.slice("{}", ["data"]) == nil)
    }
}
