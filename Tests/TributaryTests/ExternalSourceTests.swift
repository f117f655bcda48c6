import Foundation
import Testing
import Tributary

private let state = SourceState(
    key: "testpay.webhook", sourceId: "testpay", params: ["connect": false], active: true,
    secret: "whsec_test", metadata: ["calls": 4])
private let body: JSON = [
    "id": "evt_9", "type": "price.created", "created": 1_795_983_631,
    "data": ["object": ["object": "price", "id": "price_1", "currency": "usd", "unit_amount": 5]],
]

@Test func handlerTurnsASignedRequestIntoEvents() async throws {
    let source = TestPay.webhook.erased
    let result = try await source.handle(TestPay.signedRequest(body, secret: "whsec_test"), state: state)
    #expect(result.events.count == 1)
    let e = try #require(result.events.first)
    #expect(e.id == "evt_9" && e.name == "price.created" && e.source == "testpay.com")
    #expect(e.timestamp == Date(timeIntervalSince1970: 1_795_983_631))
    #expect(e.payload["currency"] == "usd")
    #expect(e.sourceKey == "testpay.webhook", "the source key is stamped on events")
    #expect(result.response?.status == 202)
    #expect(result.metadata == ["calls": 5], "metadata from the last call is passed in")
    #expect(TestPay.onPriceCreated().matches(e))
}

struct RejectionCase: Sendable, CustomTestStringConvertible {
    let name: String
    let request: SourceRequest
    let reason: SourceRejection.Reason
    let status: Int
    var testDescription: String { name }
}

@Test(arguments: [
    RejectionCase(name: "wrong secret", request: TestPay.signedRequest(body, secret: "whsec_other"), reason: .badSignature, status: 401),
    RejectionCase(name: "no signature", request: SourceRequest(path: "/", body: body.encoded()), reason: .badSignature, status: 401),
    RejectionCase(
        name: "body not JSON", request: TestPay.signedRequest(bytes: Array("{no".utf8), secret: "whsec_test"), reason: .malformedBody,
        status: 400),
    RejectionCase(
        name: "body without type", request: TestPay.signedRequest(["id": "evt_1"], secret: "whsec_test"), reason: .malformedBody,
        status: 400),
])
func handlerRejections(_ c: RejectionCase) async {
    do {
        _ = try await TestPay.webhook.erased.handle(c.request, state: state)
        Issue.record("accepted \(c.name)")
    } catch let r as SourceRejection {
        #expect(r.reason == c.reason && r.status == c.status)
    } catch {
        Issue.record("unexpected \(error)")
    }
}

@Test func headersAreCaseInsensitive() {
    let r = SourceRequest(path: "/", headers: [("Stripe-Signature", "a"), ("stripe-signature", "b")], body: [])
    #expect(r.header("stripe-signature") == "a")
    #expect(r.header("STRIPE-SIGNATURE") == "a")
    #expect(r.header("missing") == nil)
}

@Test func erasedSourceKeysAndValidatesJSONParams() throws {
    let s = TestPay.webhook.erased
    #expect(s.id == "testpay" && s.version == "2" && s.channel == .http)
    #expect(try s.key(params: ["connect": true]) == "testpay.webhook.connect")
    #expect(try s.filter(params: ["connect": true]).json == ["account": [["$exists": true]]])
    #expect(throws: SourceParamsError.self) { try s.key(params: ["connect": "yes"]) }
    #expect(throws: SourceParamsError.self) { try s.key(params: ["accountPrefix": "cus_"]) }
}

@Test func optionChangesComputeMissingAndOrphaned() {
    let c = OptionChange(desired: ["price.created", "price.updated", "price.created"], registered: ["price.deleted", "price.created"])
    #expect(c == OptionChange(desired: ["price.created", "price.updated"], missing: ["price.updated"], orphaned: ["price.deleted"]))
    #expect(!c.isSettled)
    #expect(OptionChange(desired: ["a"], registered: ["a"]).isSettled)
}

@Test func registerReturnsNewStateOrUnchanged() async throws {
    let s = TestPay.webhook.erased
    let store = InMemoryTaskStore()
    func run(_ source: RegisterSource, registered: [String]) async throws -> RegisterResult {
        let event = RegisterEvent(
            params: JSON(["connect": false]), source: source,
            options: ["event": OptionChange(desired: ["price.created"], registered: registered)])
        let ctx = RunContext(
            runId: "reg_1", job: JobInfo(id: "registrar", name: "Registrar", version: "1"),
            event: EventInfo(id: "r1", name: "register", source: "tributary", timestamp: Date()), attempt: 1)
        return try await s.register(
            event, io: IO(runId: "reg_\(registered.count)_\(source.active)", store: store, print: false), context: ctx)
    }
    let fresh = try await run(
        RegisterSource(key: "testpay.webhook", active: false, url: "https://x/sources/testpay.webhook"), registered: [])
    #expect(fresh == .registered(data: ["endpointId": "ep_testpay.webhook"], secret: "whsec_new", options: ["event": ["price.created"]]))
    let settled = try await run(
        RegisterSource(key: "testpay.webhook", active: true, data: ["endpointId": "ep_1"], url: "u", secret: "s"),
        registered: ["price.created"])
    #expect(settled == .unchanged)
    let drift = try await run(
        RegisterSource(key: "testpay.webhook", active: true, data: ["endpointId": "ep_1"], url: "u", secret: "s"),
        registered: ["price.created", "price.deleted"])
    #expect(drift == .registered(data: ["endpointId": "ep_1"], secret: "s", options: ["event": ["price.created"]]))
}

@Test func sourceStateRecordsRegistrationsAndFailures() {
    let t0 = Date(timeIntervalSince1970: 1), t1 = Date(timeIntervalSince1970: 2), t2 = Date(timeIntervalSince1970: 3)
    var s = SourceState(key: "testpay.webhook", sourceId: "testpay")
    s = s.recordingFailure("provider said 500", at: t0).recordingFailure("timeout", at: t1)
    #expect(s.lastError == RegistrationFailure(message: "timeout", at: t1, attempts: 2))
    #expect(!s.active)
    s = s.applying(.registered(data: ["endpointId": "ep_1"], secret: "whsec_1", options: ["event": ["price.created"]]), at: t2)
    #expect(s.active && s.lastError == nil && s.secret == "whsec_1" && s.data == ["endpointId": "ep_1"])
    #expect(s.registered == ["event": ["price.created"]] && s.updatedAt == t2)
    let r = RegisterSource(state: s, url: "https://x/sources/testpay.webhook")
    #expect(
        r
            == RegisterSource(
                key: "testpay.webhook", active: true, data: ["endpointId": "ep_1"], url: "https://x/sources/testpay.webhook",
                secret: "whsec_1"))
    #expect(s.applying(.unchanged, at: t2) == s)
    #expect(s.applying(.registered(data: [:], secret: nil, options: [:]), at: t2).secret == nil, "nil means no secret")
    #expect(SourceParamsError(sourceId: "x", message: "bad").description == "source x: bad")
}

@Test func aTaskStoreCanBeRestoredFromRecords() async throws {
    let t = TaskRecord(runId: "r", key: "k", status: .completed, output: 7, startedAt: Date(timeIntervalSince1970: 1))
    let store = InMemoryTaskStore(tasks: [t])
    let io = IO(runId: "r", attempt: 2, store: store, print: false)
    let v: Int = try await io.runTask("k") { 99 }
    #expect(v == 7)
}
