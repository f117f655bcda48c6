import Foundation

/// An event filter with Trigger.dev's semantics: a JSON object whose keys are matched against
/// the same keys of a value (an event's payload, or `{"payload": …, "context": …}`).
///
/// For each key: an array of only strings, only numbers or only booleans means "equals one of
/// them" (an empty array matches anything); an array of content filters (`[["$startsWith":
/// "a"]]`) means "every one matches"; a nested object recurses (if the value there is an array,
/// at least one element must match; a missing or null value matches only an empty filter).
///
/// A filter is built from JSON without failing, but remembers what is wrong with it: an unknown
/// operator, a mixed array, an operand of the wrong type. `validate()` throws that problem and is
/// called when a trigger is declared; an invalid filter never matches.
public struct EventFilter: Sendable, Hashable {
    /// The filter as JSON (an object).
    public let json: [String: JSON]
    private let compiled: Result<Node, EventFilterError>

    /// A filter from its JSON object form.
    public init(_ json: [String: JSON]) {
        self.json = json
        do throws(EventFilterError) {
            self.compiled = .success(try Node.compile(json, path: ""))
        } catch {
            self.compiled = .failure(error)
        }
    }

    /// A filter from a JSON value, which must be an object.
    public init(json: JSON) throws(EventFilterError) {
        guard case .object(let o) = json else { throw EventFilterError(path: "", problem: "a filter must be a JSON object") }
        self.init(o)
        try validate()
    }

    /// The empty filter, which matches everything.
    public static let all = EventFilter([:])

    /// Whether the filter has no keys.
    public var isEmpty: Bool { json.isEmpty }

    /// Throws what is wrong with the filter (the error names the operator or key).
    public func validate() throws(EventFilterError) {
        if case .failure(let e) = compiled { throw e }
    }

    /// Whether `value` (nil: absent) matches the filter. An invalid filter matches nothing.
    public func matches(_ value: JSON?) -> Bool {
        guard case .success(let node) = compiled else { return false }
        return node.matches(value)
    }

    /// Whether `event`'s ``EventRecord/filterSubject`` (payload and context) matches. The empty
    /// filter matches every event without reading its payload: a payload kept as text is then never
    /// parsed (most triggers have no filter, and parsing it was a trivial run's largest allocation).
    public func matches(_ event: EventRecord) -> Bool {
        if json.isEmpty, case .success = compiled { return true }
        return matches(event.filterSubject)
    }

    /// Merges filters as Trigger.dev's `deepMergeFilters` does: nested objects merge, and on the
    /// same key the later value (e.g. an array) replaces the earlier one.
    public static func merge(_ filters: EventFilter...) -> EventFilter { merge(filters) }

    /// Merges filters, later ones winning on the same non-object key.
    public static func merge(_ filters: [EventFilter]) -> EventFilter {
        var result = [String: JSON]()
        for f in filters { result = mergeObjects(result, f.json) }
        return EventFilter(result)
    }

    private static func mergeObjects(_ a: [String: JSON], _ b: [String: JSON]) -> [String: JSON] {
        var r = a
        for (k, v) in b {
            if case .object(let old)? = r[k], case .object(let new) = v {
                r[k] = .object(mergeObjects(old, new))
            } else {
                r[k] = v
            }
        }
        return r
    }

    public static func == (l: EventFilter, r: EventFilter) -> Bool { l.json == r.json }
    public func hash(into h: inout Hasher) { h.combine(json) }
}

extension EventFilter: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSON)...) {
        var o = [String: JSON]()
        for (k, v) in elements { o[k] = v }
        self.init(o)
    }
}

extension EventFilter: Codable {
    public init(from decoder: any Decoder) throws {
        let j = try JSON(from: decoder)
        try self.init(json: j)
    }
    public func encode(to encoder: any Encoder) throws { try JSON.object(json).encode(to: encoder) }
}

/// What is wrong with an event filter; `path` is the dotted key path where it was found.
public struct EventFilterError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The dotted path of the offending key, e.g. `data.object.amount`.
    public var path: String
    /// The problem, naming the operator when there is one.
    public var problem: String
    /// Creates an error.
    public init(path: String, problem: String) { self.path = path; self.problem = problem }
    public var description: String { path.isEmpty ? "invalid event filter: \(problem)" : "invalid event filter at '\(path)': \(problem)" }
}

/// One content-filter operator (`{"$gt": 3}`), as a typed value.
public enum ContentFilter: Sendable, Hashable {
    /// `$startsWith`: a string with this prefix.
    case startsWith(String)
    /// `$endsWith`: a string with this suffix.
    case endsWith(String)
    /// `$ignoreCaseEquals`: a string equal ignoring case.
    case ignoreCaseEquals(String)
    /// `$exists`: present (true) or absent (false); `null` is present.
    case exists(Bool)
    /// `$isNull`: `null` (true) or not `null` (false).
    case isNull(Bool)
    /// `$anythingBut`: none of these values.
    case anythingBut([JSON])
    /// `$gt`: a number above.
    case gt(Double)
    /// `$lt`: a number below.
    case lt(Double)
    /// `$gte`: a number at or above.
    case gte(Double)
    /// `$lte`: a number at or below.
    case lte(Double)
    /// `$between`: a number in [min, max].
    case between(Double, Double)
    /// `$includes`: an array containing the value.
    case includes(JSON)
    /// `$not`: a primitive other than the value, or an array without it.
    case not(JSON)

    /// The operator names Tributary knows.
    public static let operators: Set<String> = [
        "$startsWith", "$endsWith", "$ignoreCaseEquals", "$exists", "$isNull", "$anythingBut",
        "$gt", "$lt", "$gte", "$lte", "$between", "$includes", "$not",
    ]

    /// The JSON form, e.g. `{"$between": [1, 5]}`, for use in a filter array.
    public var json: JSON {
        switch self {
        case .startsWith(let s): return ["$startsWith": .string(s)]
        case .endsWith(let s): return ["$endsWith": .string(s)]
        case .ignoreCaseEquals(let s): return ["$ignoreCaseEquals": .string(s)]
        case .exists(let b): return ["$exists": .bool(b)]
        case .isNull(let b): return ["$isNull": .bool(b)]
        case .anythingBut(let v): return ["$anythingBut": v.count == 1 ? v[0] : .array(v)]
        case .gt(let n): return ["$gt": .number(n)]
        case .lt(let n): return ["$lt": .number(n)]
        case .gte(let n): return ["$gte": .number(n)]
        case .lte(let n): return ["$lte": .number(n)]
        case .between(let a, let b): return ["$between": [.number(a), .number(b)]]
        case .includes(let v): return ["$includes": v]
        case .not(let v): return ["$not": v]
        }
    }

    static func parse(_ j: JSON, path: String) throws(EventFilterError) -> ContentFilter {
        guard case .object(let o) = j, o.count == 1, let (op, v) = o.first else {
            throw EventFilterError(path: path, problem: "a content filter must be an object with exactly one operator, got \(j.jsonString)")
        }
        func bad(_ expected: String) -> EventFilterError {
            EventFilterError(path: path, problem: "operator \(op) expects \(expected), got \(v.jsonString)")
        }
        func primitive(_ v: JSON) -> Bool {
            switch v {
            case .string, .number, .bool: return true;
            default: return false
            }
        }
        switch op {
        case "$startsWith": guard let s = v.stringValue else { throw bad("a string") }; return .startsWith(s)
        case "$endsWith": guard let s = v.stringValue else { throw bad("a string") }; return .endsWith(s)
        case "$ignoreCaseEquals": guard let s = v.stringValue else { throw bad("a string") }; return .ignoreCaseEquals(s)
        case "$exists": guard let b = v.boolValue else { throw bad("a boolean") }; return .exists(b)
        case "$isNull": guard let b = v.boolValue else { throw bad("a boolean") }; return .isNull(b)
        case "$anythingBut":
            if case .array(let a) = v, a.allSatisfy(primitive) { return .anythingBut(a) }
            guard primitive(v) else { throw bad("a string, number, boolean or a list of them") }
            return .anythingBut([v])
        case "$gt": guard let n = v.numberValue else { throw bad("a number") }; return .gt(n)
        case "$lt": guard let n = v.numberValue else { throw bad("a number") }; return .lt(n)
        case "$gte": guard let n = v.numberValue else { throw bad("a number") }; return .gte(n)
        case "$lte": guard let n = v.numberValue else { throw bad("a number") }; return .lte(n)
        case "$between":
            guard case .array(let a) = v, a.count == 2, let lo = a[0].numberValue, let hi = a[1].numberValue else {
                throw bad("[min, max] numbers")
            }
            return .between(lo, hi)
        case "$includes": guard primitive(v) else { throw bad("a string, number or boolean") }; return .includes(v)
        case "$not": guard primitive(v) else { throw bad("a string, number or boolean") }; return .not(v)
        default:
            throw EventFilterError(path: path, problem: "unknown operator \(op)")
        }
    }

    /// Whether `value` (nil: absent) satisfies this operator, as Trigger.dev decides it.
    public func matches(_ value: JSON?) -> Bool {
        switch self {
        case .startsWith(let p):
            guard case .string(let s)? = value else { return false }
            return s.utf8.starts(with: p.utf8)
        case .endsWith(let p):
            guard case .string(let s)? = value else { return false }
            return s.utf8.reversed().starts(with: p.utf8.reversed())
        case .ignoreCaseEquals(let p):
            guard case .string(let s)? = value else { return false }
            return s.caseInsensitiveCompare(p) == .orderedSame
        case .exists(let b):
            return (value != nil) == b
        case .isNull(let b):
            return b ? value == .null : value != .null
        case .anythingBut(let list):
            guard let value else { return true }
            return !list.contains(value)
        case .gt(let n): guard case .number(let x)? = value else { return false }; return x > n
        case .lt(let n): guard case .number(let x)? = value else { return false }; return x < n
        case .gte(let n): guard case .number(let x)? = value else { return false }; return x >= n
        case .lte(let n): guard case .number(let x)? = value else { return false }; return x <= n
        case .between(let lo, let hi):
            guard case .number(let x)? = value else { return false }
            return x >= lo && x <= hi
        case .includes(let v):
            guard case .array(let a)? = value else { return false }
            return a.contains(v)
        case .not(let v):
            switch value {
            case .array(let a)?: return !a.contains(v)
            case .string?, .number?, .bool?: return value! != v
            default: return false
            }
        }
    }
}

extension EventFilter {
    /// The compiled form of a filter object.
    struct Node: Sendable {
        enum Rule: Sendable {
            case any
            case oneOf([JSON])
            case content([ContentFilter])
            case nested(Node)
        }
        var rules: [(String, Rule)]

        static func compile(_ o: [String: JSON], path: String) throws(EventFilterError) -> Node {
            var rules = [(String, Rule)]()
            for key in o.keys.sorted() {
                let p = path.isEmpty ? key : path + "." + key
                switch o[key]! {
                case .array(let a):
                    if a.isEmpty { rules.append((key, .any)); continue }
                    if a.allSatisfy({ $0.stringValue != nil }) || a.allSatisfy({ $0.numberValue != nil })
                        || a.allSatisfy({ $0.boolValue != nil })
                    {
                        rules.append((key, .oneOf(a)))
                    } else if a.allSatisfy({ $0.objectValue != nil }) {
                        var cs = [ContentFilter]()
                        for item in a { cs.append(try ContentFilter.parse(item, path: p)) }
                        rules.append((key, .content(cs)))
                    } else {
                        throw EventFilterError(
                            path: p, problem: "an array must hold only strings, only numbers, only booleans or only content filters")
                    }
                case .object(let inner):
                    if let op = inner.keys.first(where: { $0.hasPrefix("$") }) {
                        let what =
                            ContentFilter.operators.contains(op)
                            ? "operator \(op) must be inside an array, e.g. [{\"\(op)\": …}]" : "unknown operator \(op)"
                        throw EventFilterError(path: p, problem: what)
                    }
                    rules.append((key, .nested(try compile(inner, path: p))))
                default:
                    throw EventFilterError(path: p, problem: "a filter value must be an array or an object")
                }
            }
            return Node(rules: rules)
        }

        func matches(_ value: JSON?) -> Bool {
            guard let value, value != .null else { return rules.isEmpty }
            let object = value.objectValue
            for (key, rule) in rules {
                let v = object?[key]
                switch rule {
                case .any: continue
                case .oneOf(let list):
                    guard let v, list.contains(v) else { return false }
                case .content(let cs):
                    for c in cs where !c.matches(v) { return false }
                case .nested(let node):
                    if case .array(let items)? = v {
                        guard items.contains(where: { node.matches($0) }) else { return false }
                    } else if !node.matches(v) {
                        return false
                    }
                }
            }
            return true
        }
    }
}
