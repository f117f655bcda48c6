import Testing
import Tributary

@testable import TributaryReceiver

/// What the deliveries log says of a handler's rejection, and what a note keeps.
@Suite struct DeliveryNoteTests {
    @Test("rejections: stale and bad signatures, malformed bodies, and a source that cannot check yet (5xx) is unavailable")
    func outcomes() {
        #expect(DeliveryNote.outcome(of: .badSignature("no signature matches the body")) == .badSignature)
        #expect(DeliveryNote.outcome(of: .badSignature("signed timestamp is 3600 s old, beyond the tolerance")) == .stale)
        #expect(DeliveryNote.outcome(of: .malformedBody("not JSON")) == .malformed)
        #expect(DeliveryNote.outcome(of: SourceRejection(.unsupported, "GET is not taken")) == .malformed)
        #expect(
            DeliveryNote.outcome(of: SourceRejection(.badSignature, "the source has no signing secret yet", status: 503)) == .unavailable)
    }

    @Test("an accepted note keeps its body and event ids; a record cuts the body at the limit and says so; a refused one keeps no body")
    func records() {
        var note = DeliveryNote()
        note.accept(body: Array("0123456789".utf8), eventIds: ["evt_1"])
        let cut = DeliveryRecorder.record(
            note, sourceKey: "stripe.webhook", status: 200, at: .init(timeIntervalSince1970: 0), bodyLimit: 4, unrecorded: 2)
        #expect(cut.body == "0123" && cut.bodyTruncated && cut.size == 10 && cut.eventIds == ["evt_1"] && cut.unrecorded == 2)
        var refused = DeliveryNote()
        refused.refuse(.badSignature, "no signature matches the body", size: 10)
        let record = DeliveryRecorder.record(
            refused, sourceKey: String(repeating: "k", count: 500), status: 401, at: .init(timeIntervalSince1970: 0), bodyLimit: 100,
            unrecorded: 0)
        #expect(
            record.body == nil && record.reason == "no signature matches the body" && record.sourceKey.count == DeliveryRecorder.keyLimit)
    }
}
