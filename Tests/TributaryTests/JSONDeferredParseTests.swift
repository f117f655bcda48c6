import Testing
import Tributary

/// `JSON.parse(_:deferring:)`: a value left as its text, checked by the
/// same rules as the parser's tree, and the events made from such text.
@Suite struct JSONDeferredParseTests {
    static func deferred(_ text: String, _ path: [String]) throws -> (tree: JSON, text: String?) {
        let bytes = Array(text.utf8)
        let (tree, range) = try JSON.parse(bytes, deferring: path)
        return (tree, range.map { String(decoding: bytes[$0], as: UTF8.self) })
    }

    @Test func leavesTheValueAtThePathAsItsTextAndBuildsTheRest() throws {
        let text = #"""
            { "id" : "evt_1", "n": -1.5e3, "ok": true, "none": null, "list": [1, {"a": "}"}, [], "x\"y"],
              "data": { "previous": {"p": 1}, "object": {"id":"price_1", "note": "a \"quoted\" } ]", "k": [ ]}  } , "z": 0 }
            """#
        let (tree, object) = try Self.deferred(text, ["data", "object"])
        #expect(object == #"{"id":"price_1", "note": "a \"quoted\" } ]", "k": [ ]}"#)
        #expect(tree["data"]?["object"] == .null, "the deferred value is not built")
        #expect(tree["data"]?["previous"] == ["p": 1])
        #expect(tree["n"] == -1500)
        #expect(tree["list"] == JSON.array([1, ["a": "}"], [], "x\"y"]))
        // The text is the value the whole tree holds.
        let whole = try JSON(parsing: text)
        #expect(try JSON(parsing: Array(try #require(object).utf8)) == whole["data"]?["object"])
        var removed = whole
        if case .object(var top) = removed, case .object(var data)? = top["data"] {
            data["object"] = .null
            top["data"] = .object(data)
            removed = .object(top)
        }
        #expect(tree == removed)
        // An empty path defers the whole text (without the whitespace around it).
        let all = try Self.deferred("  [1, 2]\n", [])
        #expect(all.tree == .null && all.text == "[1, 2]")
    }

    @Test func aMissingPathDefersNothingAndARepeatedKeyKeepsItsLastValue() throws {
        #expect(try Self.deferred(#"{"data": {"other": 1}}"#, ["data", "object"]).text == nil)
        let notObject = try Self.deferred(#"{"data": [1]}"#, ["data", "object"])
        #expect(notObject.text == nil && notObject.tree["data"] == [1], "off the path, the value is built")
        #expect(try Self.deferred(#"{"data": {"object": 1}, "data": {"object": 2}}"#, ["data", "object"]).text == "2")
        #expect(try Self.deferred(#"{"data": {"object": 1, "object": 2}}"#, ["data", "object"]).text == "2")
        let replaced = try Self.deferred(#"{"data": {"object": 1}, "data": 5}"#, ["data", "object"])
        #expect(replaced.text == nil && replaced.tree["data"] == 5, "the last value has no such path")
        // Keys are compared as the parser reads them, escapes decoded.
        #expect(try Self.deferred(#"{"d\u0061ta": {"object": 3}}"#, ["data", "object"]).text == "3")
        #expect(try Self.deferred("{}", ["data"]).text == nil)
    }

    /// Texts the parser refuses, most of them inside the part a deferring parse only checks.
    static let malformed = [
        #"{"data": {"object": {"a": "bad \q escape"}}}"#,
        "{\"data\": {\"object\": {\"a\": \"a control \u{01} character\"}}}",
        #"{"data": {"object": {"a": "\ud800 lone surrogate"}}}"#,
        #"{"data": {"object": {"a": "\udc00"}}}"#,
        #"{"data": {"object": {"a": "\u12"}}}"#,
        #"{"data": {"object": {"a": 1e999}}}"#,
        #"{"data": {"object": {"a": 01}}}"#,
        #"{"data": {"object": {"a": 1.}}}"#,
        #"{"data": {"object": {"a": -}}}"#,
        #"{"data": {"object": {"a": 1,}}}"#,
        #"{"data": {"object": [1 2]}}"#,
        #"{"data": {"object": {"a" 1}}}"#,
        #"{"data": {"object": {1: 1}}}"#,
        #"{"data": {"object": {"a": tru}}}"#,
        #"{"data": {"object": {"a": "unterminated}}}"#,
        #"{"data": {"object": {"a": 1}"#,
        #"{"data": {"object": {"a": 1}}} trailing"#,
        #"{"data": {"object": ]}}"#,
        String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
        "",
    ]

    @Test(arguments: malformed)
    func refusesWhatTheParserRefuses(_ text: String) {
        let bytes = Array(text.utf8)
        #expect(throws: JSONParseError.self) { try JSON(parsing: bytes) }
        #expect(throws: JSONParseError.self) { try JSON.parse(bytes, deferring: ["data", "object"]) }
        #expect(throws: JSONParseError.self) { try JSON.parse(bytes, deferring: []) }
    }

    @Test func acceptsWhatTheParserAccepts() throws {
        let texts = [
            #"{"data": {"object": {"a": "esc \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00", "n": [0, -0.5, 1E+2, 12345678901234567890]}}}"#,
            #"{"data": {"object": {}}}"#, #"{"data": {"object": []}}"#, " true ", "null", "\"é\"",
            String(repeating: "[", count: 500) + String(repeating: "]", count: 500),
        ]
        for text in texts {
            let bytes = Array(text.utf8)
            let whole = try JSON(parsing: bytes)
            let all = try #require(try JSON.parse(bytes, deferring: []).deferred, "\(text)")
            #expect(try JSON(parsing: Array(bytes[all])) == whole)
            let (tree, range) = try JSON.parse(bytes, deferring: ["data", "object"])
            if let range {
                #expect(try JSON(parsing: Array(bytes[range])) == whole["data"]?["object"])
            } else {
                #expect(tree == whole)
            }
        }
    }

    @Test func anEventMadeFromItsTextPublishesTheTextAndReadsAsTheTree() throws {
        let text = Array(#"{"id": "price_1", "unit_amount": 1200, "nested": {"k": [true, null]}}"#.utf8)
        let event = EventRecord(id: "evt_1", name: "price.created", source: "stripe.com", payloadText: text, context: ["livemode": false])
        #expect(event.payloadBytes == text)
        #expect(CloudEvent.encode(event).value == text, "published as it came, not written again")
        #expect(event.payload == (try JSON(parsing: text)))
        #expect(event.payload["unit_amount"] == 1200, "read again from the kept tree")
        #expect(
            event
                == EventRecord(
                    id: "evt_1", name: "price.created", source: "stripe.com", timestamp: event.timestamp,
                    payload: try JSON(parsing: text), context: ["livemode": false]))
        var changed = event
        changed.payload = ["replaced": true]
        #expect(changed.payload == ["replaced": true])
        #expect(event.payload["id"] == "price_1", "a copy's change leaves the original as it was")
    }
}
