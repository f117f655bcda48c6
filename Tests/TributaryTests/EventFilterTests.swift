import Testing
@testable import Tributary

/// One row of the filter table: a filter, a payload (nil: absent) and whether it matches.
struct FilterCase: Sendable, CustomTestStringConvertible {
    let name: String
    let filter: [String: JSON]
    let payload: JSON?
    let matches: Bool
    var testDescription: String { name }
    init(_ name: String, _ filter: [String: JSON], _ payload: JSON?, _ matches: Bool) {
        self.name = name; self.filter = filter; self.payload = payload; self.matches = matches
    }
}

let filterTable: [FilterCase] = [
    // Value lists.
    .init("string list hit", ["type": ["a", "b"]], ["type": "b"], true),
    .init("string list miss", ["type": ["a", "b"]], ["type": "c"], false),
    .init("string list missing key", ["type": ["a"]], ["other": "a"], false),
    .init("string list vs number", ["type": ["1"]], ["type": 1], false),
    .init("number list hit", ["n": [1, 2.5]], ["n": 2.5], true),
    .init("number list miss", ["n": [1, 2]], ["n": 3], false),
    .init("number list vs string", ["n": [1]], ["n": "1"], false),
    .init("bool list hit", ["b": [true]], ["b": true], true),
    .init("bool list miss", ["b": [true]], ["b": false], false),
    .init("bool list vs number", ["b": [true]], ["b": 1], false),
    .init("empty list matches anything", ["x": []], ["x": 42], true),
    .init("empty list matches absent", ["x": []], ["y": 1], true),
    .init("list vs array payload", ["tags": ["a"]], ["tags": ["a"]], false),
    .init("empty filter matches", [:], ["anything": 1], true),
    .init("several keys all must match", ["a": ["1"], "b": ["2"]], ["a": "1", "b": "3"], false),
    .init("several keys all match", ["a": ["1"], "b": ["2"]], ["a": "1", "b": "2"], true),
    // Nested objects.
    .init("nested hit", ["data": ["object": ["currency": ["usd"]]]], ["data": ["object": ["currency": "usd"]]], true),
    .init("nested miss", ["data": ["object": ["currency": ["usd"]]]], ["data": ["object": ["currency": "eur"]]], false),
    .init("nested array: one element matches", ["items": ["sku": ["b"]]], ["items": [["sku": "a"], ["sku": "b"]]], true),
    .init("nested array: none matches", ["items": ["sku": ["c"]]], ["items": [["sku": "a"], ["sku": "b"]]], false),
    .init("nested array empty: empty filter", ["items": [:]], ["items": []], false),
    .init("nested missing: empty filter", ["data": [:]], ["other": 1], true),
    .init("nested missing: non-empty filter", ["data": ["x": ["1"]]], ["other": 1], false),
    .init("nested null: empty filter", ["data": [:]], ["data": nil], true),
    .init("nested null: non-empty filter", ["data": ["x": ["1"]]], ["data": nil], false),
    .init("nested primitive: exists false", ["data": ["x": [["$exists": false]]]], ["data": "str"], true),
    .init("nested primitive: value", ["data": ["x": ["1"]]], ["data": "str"], false),
    .init("top-level null payload, empty filter", [:], nil, true),
    .init("top-level null payload, filter", ["a": ["1"]], .null, false),
    // $startsWith / $endsWith
    .init("$startsWith hit", ["f": [["$startsWith": "images/"]]], ["f": "images/a.png"], true),
    .init("$startsWith miss", ["f": [["$startsWith": "images/"]]], ["f": "docs/a.png"], false),
    .init("$startsWith non-string", ["f": [["$startsWith": "1"]]], ["f": 12], false),
    .init("$endsWith hit", ["f": [["$endsWith": ".png"]]], ["f": "a.png"], true),
    .init("$endsWith miss", ["f": [["$endsWith": ".png"]]], ["f": "a.jpg"], false),
    .init("$endsWith absent", ["f": [["$endsWith": ".png"]]], [:], false),
    .init("all content filters must match", ["f": [["$startsWith": "images/"], ["$endsWith": ".png"]]], ["f": "images/a.jpg"], false),
    .init("all content filters match", ["f": [["$startsWith": "images/"], ["$endsWith": ".png"]]], ["f": "images/a.png"], true),
    // $ignoreCaseEquals
    .init("$ignoreCaseEquals hit", ["c": [["$ignoreCaseEquals": "USD"]]], ["c": "usd"], true),
    .init("$ignoreCaseEquals miss", ["c": [["$ignoreCaseEquals": "USD"]]], ["c": "eur"], false),
    .init("$ignoreCaseEquals non-string", ["c": [["$ignoreCaseEquals": "1"]]], ["c": 1], false),
    // $exists
    .init("$exists true, present", ["k": [["$exists": true]]], ["k": 1], true),
    .init("$exists true, null counts as present", ["k": [["$exists": true]]], ["k": nil], true),
    .init("$exists true, absent", ["k": [["$exists": true]]], [:], false),
    .init("$exists false, absent", ["k": [["$exists": false]]], [:], true),
    .init("$exists false, present", ["k": [["$exists": false]]], ["k": "x"], false),
    // $isNull
    .init("$isNull true, null", ["k": [["$isNull": true]]], ["k": nil], true),
    .init("$isNull true, absent", ["k": [["$isNull": true]]], [:], false),
    .init("$isNull true, value", ["k": [["$isNull": true]]], ["k": 0], false),
    .init("$isNull false, value", ["k": [["$isNull": false]]], ["k": 0], true),
    .init("$isNull false, absent", ["k": [["$isNull": false]]], [:], true),
    .init("$isNull false, null", ["k": [["$isNull": false]]], ["k": nil], false),
    // $anythingBut
    .init("$anythingBut value, other", ["s": [["$anythingBut": "draft"]]], ["s": "open"], true),
    .init("$anythingBut value, same", ["s": [["$anythingBut": "draft"]]], ["s": "draft"], false),
    .init("$anythingBut list, in list", ["s": [["$anythingBut": ["draft", "closed"]]]], ["s": "closed"], false),
    .init("$anythingBut list, not in list", ["s": [["$anythingBut": ["draft", "closed"]]]], ["s": "open"], true),
    .init("$anythingBut number", ["n": [["$anythingBut": 3]]], ["n": 3], false),
    .init("$anythingBut absent", ["s": [["$anythingBut": "draft"]]], [:], true),
    // Numbers
    .init("$gt hit", ["n": [["$gt": 10]]], ["n": 11], true),
    .init("$gt equal", ["n": [["$gt": 10]]], ["n": 10], false),
    .init("$gt non-number", ["n": [["$gt": 10]]], ["n": "11"], false),
    .init("$lt hit", ["n": [["$lt": 10]]], ["n": 9.5], true),
    .init("$lt equal", ["n": [["$lt": 10]]], ["n": 10], false),
    .init("$gte equal", ["n": [["$gte": 10]]], ["n": 10], true),
    .init("$gte below", ["n": [["$gte": 10]]], ["n": 9], false),
    .init("$lte equal", ["n": [["$lte": 10]]], ["n": 10], true),
    .init("$lte above", ["n": [["$lte": 10]]], ["n": 11], false),
    .init("$lte absent", ["n": [["$lte": 10]]], [:], false),
    .init("$between lower bound inclusive", ["n": [["$between": [10, 20]]]], ["n": 10], true),
    .init("$between upper bound inclusive", ["n": [["$between": [10, 20]]]], ["n": 20], true),
    .init("$between outside", ["n": [["$between": [10, 20]]]], ["n": 20.5], false),
    .init("$between non-number", ["n": [["$between": [10, 20]]]], ["n": "15"], false),
    .init("range from two operators", ["n": [["$gt": 1], ["$lt": 5]]], ["n": 7], false),
    // $includes
    .init("$includes hit", ["tags": [["$includes": "vip"]]], ["tags": ["a", "vip"]], true),
    .init("$includes miss", ["tags": [["$includes": "vip"]]], ["tags": ["a"]], false),
    .init("$includes number", ["ids": [["$includes": 3]]], ["ids": [1, 2, 3]], true),
    .init("$includes non-array", ["tags": [["$includes": "vip"]]], ["tags": "vip"], false),
    // $not
    .init("$not other value", ["s": [["$not": "draft"]]], ["s": "open"], true),
    .init("$not same value", ["s": [["$not": "draft"]]], ["s": "draft"], false),
    .init("$not array without it", ["s": [["$not": "draft"]]], ["s": ["open"]], true),
    .init("$not array with it", ["s": [["$not": "draft"]]], ["s": ["draft", "open"]], false),
    .init("$not absent", ["s": [["$not": "draft"]]], [:], false),
    .init("$not null", ["s": [["$not": "draft"]]], ["s": nil], false),
    .init("$not number", ["n": [["$not": 1]]], ["n": 2], true),
]

@Test(arguments: filterTable)
func filterMatches(_ c: FilterCase) throws {
    let f = EventFilter(c.filter)
    try f.validate()
    #expect(f.matches(c.payload) == c.matches)
}

struct BadFilterCase: Sendable, CustomTestStringConvertible {
    let name: String
    let filter: [String: JSON]
    let mentions: [String]
    var testDescription: String { name }
}

let badFilters: [BadFilterCase] = [
    .init(name: "unknown operator", filter: ["f": [["$regex": "a.*"]]], mentions: ["$regex", "f"]),
    .init(
        name: "unknown nested operator", filter: ["data": ["amount": [["$gt": 1], ["$greaterThan": 2]]]],
        mentions: ["$greaterThan", "data.amount"]),
    .init(name: "operator outside an array", filter: ["n": ["$gt": 1]], mentions: ["$gt", "inside an array"]),
    .init(name: "unknown operator outside an array", filter: ["n": ["$foo": 1]], mentions: ["$foo"]),
    .init(name: "mixed list", filter: ["n": [1, "a"]], mentions: ["n"]),
    .init(name: "two operators in one object", filter: ["n": [["$gt": 1, "$lt": 5]]], mentions: ["exactly one operator"]),
    .init(name: "wrong operand", filter: ["n": [["$gt": "1"]]], mentions: ["$gt", "a number"]),
    .init(name: "between needs two numbers", filter: ["n": [["$between": [1]]]], mentions: ["$between"]),
    .init(name: "scalar value", filter: ["n": "a"], mentions: ["n"]),
]

@Test(arguments: badFilters)
func malformedFiltersAreRejectedWithTheOperatorNamed(_ c: BadFilterCase) {
    let f = EventFilter(c.filter)
    do {
        try f.validate()
        Issue.record("expected \(c.name) to be rejected")
    } catch {
        for m in c.mentions { #expect(error.description.contains(m), "\(error) should mention \(m)") }
    }
    #expect(!f.matches(["n": 1, "f": "a"]), "an invalid filter never matches")
    #expect(throws: EventFilterError.self) { try EventFilter(json: .object(c.filter)) }
}

@Test func everyOperatorIsCoveredByTheTable() {
    let used = Set(filterTable.flatMap { operators(in: .object($0.filter)) })
    #expect(used == ContentFilter.operators)
}

private func operators(in j: JSON) -> [String] {
    switch j {
    case .object(let o): return o.flatMap { k, v in (k.hasPrefix("$") ? [k] : []) + operators(in: v) }
    case .array(let a): return a.flatMap(operators(in:))
    default: return []
    }
}

@Test func typedContentFiltersEncodeToTheirOperators() throws {
    let typed: [ContentFilter] = [
        .startsWith("a"), .endsWith("b"), .ignoreCaseEquals("c"), .exists(true), .isNull(false),
        .anythingBut(["x", "y"]), .gt(1), .lt(2), .gte(3), .lte(4), .between(1, 2),
        .includes("z"), .not(5),
    ]
    for c in typed {
        let f = EventFilter(["k": [c.json]])
        try f.validate()
    }
    #expect(Set(typed.compactMap { $0.json.objectValue?.keys.first }) == ContentFilter.operators)
    let f: EventFilter = ["amount": [ContentFilter.between(10, 20).json]]
    #expect(f.matches(["amount": 15]))
}

@Test func mergeFollowsDeepMergeFilters() {
    let source: EventFilter = ["type": ["price.created"], "data": ["object": ["livemode": [true]]]]
    let event: EventFilter = ["data": ["object": ["currency": ["usd"]]], "type": ["price.updated"]]
    let params: EventFilter = ["data": ["object": ["currency": ["eur"], "active": [true]]]]
    let merged = EventFilter.merge(source, event, params)
    #expect(
        merged.json == [
            "type": ["price.updated"],
            "data": ["object": ["livemode": [true], "currency": ["eur"], "active": [true]]],
        ])
    // An object replaces an array and vice versa: the later value wins.
    #expect(EventFilter.merge(["a": ["x"]], ["a": ["b": ["y"]]]).json == ["a": ["b": ["y"]]])
    #expect(EventFilter.merge(["a": ["b": ["y"]]], ["a": ["x"]]).json == ["a": ["x"]])
    #expect(EventFilter.merge().isEmpty)
}

@Test func filterCodableRoundTripAndRejectsUnknownOperators() throws {
    let f: EventFilter = ["n": [["$gte": 2]], "s": ["a"]]
    let back = try JSON(encoding: f).decode(as: EventFilter.self)
    #expect(back == f)
    let bad: JSON = ["n": [["$nope": 2]]]
    #expect(throws: (any Error).self) { try bad.decode(as: EventFilter.self) }
}

@Test func anEmptyFilterMatchesEveryEventWithoutParsingItsPayload() {
    let text = Array(#"{"amount": 15, "currency": "usd"}"#.utf8)
    let event = EventRecord(id: "e1", name: "price.created", source: "stripe.com", payloadText: text, context: ["livemode": false])
    #expect(EventFilter.all.matches(event))
    #expect(!event.payloadIsParsed, "the empty filter read the payload")
    let filtered: EventFilter = ["payload": ["amount": [["$gte": 10]]], "context": ["livemode": [false]]]
    #expect(filtered.matches(event))
    #expect(event.payloadIsParsed)
    let missing: EventFilter = ["payload": ["currency": ["eur"]]]
    #expect(!missing.matches(event))
    // An invalid filter matches nothing, empty or not.
    let invalid: EventFilter = ["payload": ["amount": [["$nope": 1]]]]
    #expect(!invalid.matches(event))
}
