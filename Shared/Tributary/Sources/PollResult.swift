/// What a poll found: the events to publish (with stable ids) and the cursor to store once every one
/// of them was acknowledged by the broker.
public struct PollResult: Sendable, Hashable {
    /// The events, in order.
    public var events: [EventRecord]
    /// The next cursor (`nil` keeps none).
    public var cursor: JSON?

    /// Creates a result.
    public init(events: [EventRecord], cursor: JSON?) {
        self.events = events; self.cursor = cursor
    }
}
