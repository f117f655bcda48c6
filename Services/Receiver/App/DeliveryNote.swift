import Tributary

/// What the receiver's answer to one `POST /sources/<key>` says for the deliveries log: the outcome,
/// why it was refused, the body's size, the events published and the accepted body. Filled in while
/// answering; ``DeliveryRecorder`` turns it into a ``DeliveryRecord``. It holds no header.
struct DeliveryNote: Sendable {
    var outcome: DeliveryRecord.Outcome = .accepted
    var reason: String?
    var size = 0
    var eventIds: [String] = []
    var body: [UInt8] = []

    /// A refusal: its outcome, the message the provider gets, and the size read (if any).
    mutating func refuse(_ outcome: DeliveryRecord.Outcome, _ reason: String, size: Int = 0) {
        self.outcome = outcome
        self.reason = reason
        self.size = size
    }

    /// An accepted delivery: its body and the ids of the events it published.
    mutating func accept(body: some Collection<UInt8>, eventIds: [String]) {
        outcome = .accepted
        reason = nil
        size = body.count
        self.body = Array(body)
        self.eventIds = eventIds
    }

    /// The outcome of a handler's rejection: one answered with a 5xx (the source cannot check
    /// signatures yet, say: it has no secret) is `unavailable`, a bad signature whose signed time is
    /// outside the tolerance `stale`, another bad signature `bad-signature`, anything else `malformed`.
    static func outcome(of rejection: SourceRejection) -> DeliveryRecord.Outcome {
        guard rejection.status < 500 else { return .unavailable }
        guard rejection.reason == .badSignature else { return .malformed }
        return rejection.message.contains("signed timestamp") ? .stale : .badSignature
    }
}
