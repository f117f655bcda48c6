import Foundation
import Testing
import Tributary

private func priceEvent(
    currency: String = "usd", object: String = "price", name: String = "price.created",
    source: String = "testpay.com", sourceKey: String? = "testpay.webhook",
    context: JSON = .object([:])
) -> EventRecord {
    EventRecord(
        id: "evt_1", name: name, source: source, timestamp: Date(timeIntervalSince1970: 1_795_983_631),
        payload: ["object": .string(object), "id": "price_1", "currency": .string(currency), "unit_amount": 1200],
        context: context, sourceKey: sourceKey)
}

@Test func theSeedExampleJobIsShortAndLogsTheCurrency() async throws {
    let onPrice = Job(
        id: "testpay-on-price", name: "On price created", version: "1.0.0",
        trigger: TestPay.onPriceCreated()
    ) { price, io, ctx in
        io.logger.info("price created!", metadata: ["currency": "\(price.currency)"])
    }
    let event = priceEvent()
    let ctx = RunContext(job: onPrice, event: event, attempt: 1)
    let io = IO(runId: ctx.runId, store: InMemoryTaskStore(), print: false)
    #expect(onPrice.matches(event))
    try await onPrice.run(event, io: io, context: ctx)
    #expect(io.log.lines.map(\.message) == ["price created!"])
    #expect(io.log.lines.first?.metadata == ["currency": "usd"])
    #expect(onPrice.runProperties(for: event) == [RunProperty(label: "Currency", text: "usd")])
}

@Test func runContextCarriesJobEventAttemptAndSource() {
    let job = Job(id: "j", name: "J", version: "2.0.0", trigger: TestPay.onPriceCreated()) { _, _, _ in }
    let e = priceEvent(context: ["account": "acct_1"])
    let ctx = RunContext(job: job, event: e, attempt: 3)
    #expect(ctx.job == JobInfo(id: "j", name: "J", version: "2.0.0"))
    #expect(
        ctx.event
            == EventInfo(id: "evt_1", name: "price.created", source: "testpay.com", timestamp: e.timestamp, context: ["account": "acct_1"]))
    #expect(ctx.attempt == 3)
    #expect(ctx.source?.key == "testpay.webhook")
    // The run id depends only on (event key, job id).
    #expect(ctx.runId == RunContext.runId(eventKey: "testpay.com/evt_1", jobId: "j"))
    #expect(ctx.runId == RunContext(job: job, event: e, attempt: 1).runId)
    #expect(ctx.runId != RunContext.runId(eventKey: "testpay.com/evt_1", jobId: "k"))
    #expect(ctx.runId != RunContext.runId(eventKey: "testpay.com/evt_2", jobId: "j"))
    #expect(ctx.runId.hasPrefix("run_") && ctx.runId.count == 36)
}

struct MatchCase: Sendable, CustomTestStringConvertible {
    let name: String
    let event: EventRecord
    let matches: Bool
    var testDescription: String { name }
}

@Test(arguments: [
    MatchCase(name: "matching event", event: priceEvent(currency: "eur"), matches: true),
    MatchCase(name: "other event name", event: priceEvent(currency: "eur", name: "price.updated"), matches: false),
    MatchCase(name: "other source", event: priceEvent(currency: "eur", source: "other.com"), matches: false),
    MatchCase(name: "other source key", event: priceEvent(currency: "eur", sourceKey: "testpay.webhook.connect"), matches: false),
    MatchCase(name: "no source key (other producer)", event: priceEvent(currency: "eur", sourceKey: nil), matches: true),
    MatchCase(name: "event spec filter fails", event: priceEvent(currency: "eur", object: "product"), matches: false),
    MatchCase(name: "params filter fails", event: priceEvent(currency: "usd"), matches: false),
])
func triggerMatching(_ c: MatchCase) {
    let trigger = TestPay.onPriceCreated(filter: ["currency": ["eur", "gbp"]])
    #expect(trigger.matches(c.event) == c.matches)
}

@Test func effectiveFilterMergesSourceEventAndParams() throws {
    let trigger = TestPay.onPriceCreated(connect: true, filter: ["currency": ["eur"], "object": ["price", "plan"]])
    #expect(
        trigger.effectiveFilter.json == [
            "account": [["$exists": true]],  // the source's, for connect params
            "object": ["price", "plan"],  // the params' array replaces the event's
            "currency": ["eur"],
        ])
    #expect(trigger.source?.key == "testpay.webhook.connect")
    var e = priceEvent(currency: "eur", sourceKey: "testpay.webhook.connect")
    #expect(!trigger.matches(e))
    e.payload = ["object": "plan", "currency": "eur", "account": "acct_9"]
    #expect(trigger.matches(e))
}

@Test func contextFiltersMatchTheEventContext() {
    let trigger = Trigger(event: TestPay.priceCreated, contextFilter: ["account": [["$startsWith": "acct_"]]])
    #expect(trigger.source == nil)
    #expect(trigger.matches(priceEvent(context: ["account": "acct_1"])))
    #expect(!trigger.matches(priceEvent(context: ["account": "cus_1"])))
    #expect(!trigger.matches(priceEvent()))
    #expect(trigger.declaredFilter.json == ["payload": ["object": ["price"]], "context": ["account": [["$startsWith": "acct_"]]]])
}

@Test func declarationIsVersionedAndRoundTrips() throws {
    let job = Job(
        id: "testpay-on-price", name: "On price created", version: "1.0.0",
        trigger: TestPay.onPriceCreated(filter: ["unit_amount": [["$gte": 1000]]])
    ) { _, _, _ in }
    let d = try job.declaration()
    #expect(d.v == 1 && d.jobId == "testpay-on-price" && d.version == "1.0.0" && d.jobName == "On price created")
    #expect(d.source == TriggerSource(channel: .http, id: "testpay", version: "2", key: "testpay.webhook", params: ["connect": false]))
    #expect(d.eventSource == "testpay.com" && d.events == ["price.created"])
    #expect(d.filter.json == ["payload": ["object": ["price"], "unit_amount": [["$gte": 1000]]]])
    let r = try d.record()
    #expect(r.keyString == "testpay-on-price")
    let back = try TriggerDeclaration(record: r)
    #expect(back == d)
    #expect(back.matches(priceEvent()))
    #expect(!back.matches(priceEvent(object: "plan")))
}

@Test func unknownOperatorsAreRejectedWhenTheTriggerIsDeclared() {
    let job = Job(id: "j", name: "J", version: "1", trigger: TestPay.onPriceCreated(filter: ["currency": [["$bogus": "x"]]])) { _, _, _ in }
    do {
        _ = try job.declaration()
        Issue.record("declared a trigger with an unknown operator")
    } catch {
        #expect("\(error)".contains("$bogus"))
        #expect("\(error)".contains("currency"))
    }
    #expect(!job.matches(priceEvent()))
}

@Test func invalidParamsAreRejectedWhenTheTriggerIsDeclared() {
    let t = Trigger(event: TestPay.priceCreated, source: TestPay.webhook, params: TestPay.WebhookParams(accountPrefix: "cus_"))
    #expect(throws: TriggerError.self) { try t.validate() }
    #expect(throws: TriggerError.self) { try t.declaration(jobId: "j", jobName: "J", version: "1") }
}

@Test func aPayloadThatDoesNotParseIsAPayloadError() async {
    let job = Job(id: "j", name: "J", version: "1", trigger: TestPay.onPriceCreated()) { _, _, _ in }
    var e = priceEvent()
    e.payload = ["object": "price", "id": 5]
    let ctx = RunContext(job: job, event: e, attempt: 1)
    await #expect(throws: PayloadError.self) {
        try await job.run(e, io: IO(runId: ctx.runId, store: InMemoryTaskStore(), print: false), context: ctx)
    }
    #expect(job.runProperties(for: e).isEmpty)
}

@Test func specificationsCoverSeveralNamesAndParseExamples() throws {
    let spec = EventSpecification<TestPay.Price>(names: ["price.created", "price.updated"], title: "Price changes", source: "testpay.com")
    #expect(spec.name == "price.created")
    let t = Trigger(event: spec)
    #expect(t.matches(priceEvent(name: "price.updated")))
    #expect(!t.matches(priceEvent(name: "price.deleted")))
    let example = try #require(TestPay.priceCreated.examples.first)
    #expect(try TestPay.priceCreated.parse(example.payload) == TestPay.Price(id: "price_1", currency: "usd", unit_amount: 1200))
}

@Test func jobsRunTasksThroughIO() async throws {
    let store = InMemoryTaskStore()
    let sent = Counter()
    let job = Job(id: "notify", name: "Notify", version: "1", trigger: TestPay.onPriceCreated()) { price, io, _ in
        let id: String = try await io.runTask("send-email") {
            sent.next(); return "msg_\(price.id)"
        }
        io.logger.info("sent", metadata: ["id": "\(id)"])
    }
    let e = priceEvent()
    for attempt in 1...2 {
        let ctx = RunContext(job: job, event: e, attempt: attempt)
        try await job.run(e, io: IO(runId: ctx.runId, attempt: attempt, store: store, print: false), context: ctx)
    }
    #expect(sent.value == 1)
    let runId = RunContext.runId(eventKey: e.key, jobId: "notify")
    #expect(await store.task(runId: runId, key: "send-email")?.output == "msg_price_1")
}

@Test func examplesBecomeEventsTheTriggerMatches() throws {
    let job = Job(id: "j", name: "J", version: "1", trigger: TestPay.onPriceCreated()) { _, _, _ in }
    let events = job.exampleEvents
    #expect(events.map(\.id) == ["example_usd"])
    let e = try #require(events.first)
    #expect(e.name == "price.created" && e.source == "testpay.com" && e.sourceKey == "testpay.webhook")
    #expect(e.payload["currency"] == "usd")
}
