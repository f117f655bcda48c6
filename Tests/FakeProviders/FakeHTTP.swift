import Foundation

/// A request as the fakes see it: transport-neutral, so the fake logic runs with or without a server.
public struct FakeRequest: Sendable {
    /// `GET`, `POST`, …
    public var method: String
    /// The path without the query.
    public var path: String
    /// Query parameters, in order.
    public var query: [(String, String)]
    /// Headers, names lower-cased.
    public var headers: [String: String]
    /// The raw body.
    public var body: [UInt8]

    /// A request.
    public init(method: String, path: String, query: [(String, String)] = [], headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        self.body = body
    }

    /// The first query value named `name`.
    public func queryValue(_ name: String) -> String? { query.first { $0.0 == name }?.1 }
}

/// An answer from a fake.
public struct FakeResponse: Sendable {
    /// The HTTP status.
    public var status: Int
    /// Headers to send.
    public var headers: [String: String]
    /// The body.
    public var body: [UInt8]

    /// An answer.
    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON answer from a JSON-serializable value.
    static func json(_ status: Int, _ object: Any, headers: [String: String] = [:]) -> FakeResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return FakeResponse(status: status, headers: headers.merging(["Content-Type": "application/json"]) { $1 }, body: Array(data))
    }
}

/// A failure a test asks a fake to answer with, instead of (or after) doing the work.
public struct FakeFailure: Sendable {
    /// The status to answer (429, 500, 503…).
    public var status: Int
    /// A `Retry-After` value to send, if any.
    public var retryAfter: String?
    /// Only requests with this method are hit (any when nil).
    public var method: String?
    /// When true the request is carried out and only then answered with the failure (a lost answer).
    public var afterProcessing: Bool

    /// A failure.
    public init(status: Int, retryAfter: String? = nil, method: String? = nil, afterProcessing: Bool = false) {
        self.status = status
        self.retryAfter = retryAfter
        self.method = method
        self.afterProcessing = afterProcessing
    }
}

/// One request a fake saw, for assertions.
public struct FakeRequestRecord: Sendable, Equatable {
    /// The method.
    public var method: String
    /// The path.
    public var path: String
    /// The `Idempotency-Key` header, if any.
    public var idempotencyKey: String?
    /// The status answered.
    public var status: Int
}

/// Form and percent decoding shared by the fakes.
enum FakeForm {
    /// Pairs of an `application/x-www-form-urlencoded` text.
    static func decode(_ text: String) -> [(String, String)] {
        text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = unescape(String(parts[0]))
            let value = parts.count > 1 ? unescape(String(parts[1])) : ""
            return (key, value)
        }
    }

    private static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? text
    }
}

/// Random identifiers and secrets for the fakes.
enum FakeRandom {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    static func token(_ length: Int) -> String {
        String((0..<length).map { _ in alphabet.randomElement()! })
    }
}

extension Array where Element == FakeFailure {
    /// Removes and returns the first failure meant for a request with `method`.
    mutating func take(for method: String) -> FakeFailure? {
        guard let index = firstIndex(where: { $0.method == nil || $0.method == method }) else { return nil }
        return remove(at: index)
    }
}

extension FakeFailure {
    /// The answer of an injected failure: its status, `Retry-After` if set, and `body` as JSON.
    func response(_ body: Any) -> FakeResponse {
        var headers: [String: String] = [:]
        if let retryAfter { headers["Retry-After"] = retryAfter }
        return .json(status, body, headers: headers)
    }
}

extension FakeRequest {
    /// The body as a JSON object, or nil.
    var jsonObject: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }
}
