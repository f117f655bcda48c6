/// A raw HTTP request delivered to a source handler (`POST /sources/{key}`).
public struct SourceRequest: Sendable {
    /// The HTTP method, e.g. `POST`.
    public var method: String
    /// The request path (with the query, if any).
    public var path: String
    /// The headers in arrival order (names as received).
    public var headers: [(name: String, value: String)]
    /// The body bytes.
    public var body: [UInt8]

    /// Creates a request.
    public init(method: String = "POST", path: String, headers: [(name: String, value: String)] = [], body: [UInt8]) {
        self.method = method; self.path = path; self.headers = headers; self.body = body
    }

    /// The first value of the header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        for h in headers where h.name.utf8.count == name.utf8.count && h.name.lowercased() == name.lowercased() {
            return h.value
        }
        return nil
    }
}
