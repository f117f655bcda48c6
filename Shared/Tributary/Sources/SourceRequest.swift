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
    /// The full public URL the sender posted to (the receiver's `RECEIVER_PUBLIC_URL` plus the path and
    /// query), for schemes that sign the URL (Twilio); nil when the receiver does not know its public URL.
    public var url: String?

    /// Creates a request.
    public init(
        method: String = "POST", path: String, headers: [(name: String, value: String)] = [], body: [UInt8], url: String? = nil
    ) {
        self.method = method; self.path = path; self.headers = headers; self.body = body; self.url = url
    }

    /// The first value of the header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        for h in headers where h.name.utf8.count == name.utf8.count && h.name.lowercased() == name.lowercased() {
            return h.value
        }
        return nil
    }
}
