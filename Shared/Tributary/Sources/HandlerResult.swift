/// What a source handler returns for an accepted request.
public struct HandlerResult: Sendable {
    /// The events to publish (possibly none, e.g. for a ping).
    public var events: [EventRecord]
    /// The HTTP response to give the provider; `nil` means an empty 200.
    public var response: SourceResponse?
    /// Metadata to keep and pass to the next call of the handler; `nil` keeps the current one.
    public var metadata: JSON?
    /// Creates a result.
    public init(events: [EventRecord], response: SourceResponse? = nil, metadata: JSON? = nil) {
        self.events = events; self.response = response; self.metadata = metadata
    }
}

/// An HTTP response a handler wants the provider to get.
public struct SourceResponse: Sendable, Hashable {
    /// The status code.
    public var status: Int
    /// Headers.
    public var headers: [String: String]
    /// The body.
    public var body: [UInt8]
    /// Creates a response.
    public init(status: Int = 200, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status; self.headers = headers; self.body = body
    }
}
