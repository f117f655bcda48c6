/// What a polling source's `poll` is asked: the source key, its params and the cursor the last
/// successful poll returned (`nil` on the first poll).
public struct PollRequest<Params: Sendable>: Sendable {
    /// The source key.
    public var key: String
    /// The source params.
    public var params: Params
    /// The cursor stored by the last successful poll, or `nil` before the first one.
    public var cursor: JSON?

    /// Creates a poll request.
    public init(key: String, params: Params, cursor: JSON?) {
        self.key = key; self.params = params; self.cursor = cursor
    }
}
