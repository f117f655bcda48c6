import Foundation
import Testing
import Tributary

/// The golden record fixtures in `Tests/Fixtures/records`: `v1/` holds today's JSON of every record
/// type, exactly as today's writers write it; `future/` holds records a later version may write (extra
/// fields, unknown states, a new version). Today's readers read `v1/` back to the same values, ignore
/// what they do not know in `future/*.extra-fields.json`, and refuse `future/*.unknown-*.json` and
/// `future/*.v2.json` with a `WireFormatError` naming what they refused (each service's handling of a
/// refused record is in docs/wire-formats.md, "Versions and compatibility"). A writer change that alters
/// today's JSON fails the golden test: add a fixture for the new shape, keep the old one.
///
/// `TRIBUTARY_UPDATE_FIXTURES=1 swift test --filter RecordFixtureTests` rewrites `v1/` from the writers.
@Suite struct RecordFixtureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/records")

    /// A fixed test key (32 bytes of 0x11): the fixtures' sealed secrets are sealed with it.
    static let fixtureKey = Data(repeating: 0x11, count: 32).base64EncodedString()

    static func fixture(_ path: String) throws -> [UInt8] {
        let url = root.appendingPathComponent(path)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw WireFormatError("no fixture \(url.path)")
        }
        var bytes = Array(data)
        while bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        return bytes
    }

    // MARK: - Today's records, as values

    static let t0 = Date(timeIntervalSince1970: 1_796_000_000)

    static var event: EventRecord {
        EventRecord(
            id: "evt_1", name: "price.created", source: "stripe.com", timestamp: t0, payload: ["id": "price_1", "unit_amount": 1200],
            context: ["livemode": false], sourceKey: "stripe.webhook")
    }

    static var run: RunRecord {
        var run = RunRecord(
            runId: "run_0123456789abcdef0123456789abcdef", jobId: "stripe-on-price", jobVersion: "1.0.0", eventKey: "stripe.com/evt_1",
            eventId: "evt_1", eventName: "price.created", source: "stripe.com", status: .waiting, attempt: 1,
            logs: [RunLogLine(time: t0, level: "info", message: "price created!", metadata: ["price": "price_1"])],
            tasks: [
                TaskRecord(
                    runId: "run_0123456789abcdef0123456789abcdef", key: "notify", status: .completed, output: ["sent": true],
                    startedAt: t0, finishedAt: t0.addingTimeInterval(1)),
                TaskRecord(
                    runId: "run_0123456789abcdef0123456789abcdef", key: "pause", status: .pending, startedAt: t0.addingTimeInterval(1),
                    resumeAt: t0.addingTimeInterval(3600)),
            ],
            properties: [RunProperty(label: "Price", text: "price_1", url: "https://dashboard.stripe.com/prices/price_1")],
            startedAt: t0)
        run.event = event
        run.wait = RunRecord.Wait(task: "pause", until: t0.addingTimeInterval(3600))
        run.flowKey = "price_1"
        return run
    }

    static var declaration: TriggerDeclaration {
        var declaration = TriggerDeclaration(
            jobId: "stripe-on-price", jobName: "On price created", version: "1.0.0",
            source: TriggerSource(channel: .http, id: "stripe", version: "1", key: "stripe.webhook", params: ["connect": false]),
            eventSource: "stripe.com", events: ["price.created"], filter: ["payload": ["currency": ["usd"]]])
        declaration.startPosition = .latest
        declaration.firstDeclaredAt = t0
        return declaration
    }

    static var scheduled: TriggerDeclaration {
        var declaration = TriggerDeclaration(
            jobId: "daily-digest", jobName: "Daily digest", version: "2.0.0", source: nil, eventSource: "tributary.schedule",
            events: ["tributary.schedule.tick"], filter: .all)
        declaration.schedule = Schedule(.cron("0 9 * * 1-5", timeZone: TimeZone(identifier: "Europe/Berlin")!), catchUp: 1)
        declaration.startPosition = .time(t0)
        return declaration
    }

    static var presence: RunnerPresence {
        RunnerPresence(
            runnerId: "runner-1", host: "runner-7f9c", startedAt: t0, heartbeatAt: t0.addingTimeInterval(10),
            expiresAt: t0.addingTimeInterval(40), jobs: [RunnerPresence.HostedJob(declaration: declaration, active: true)])
    }

    static var source: SourceState {
        SourceState(
            key: "stripe.webhook", sourceId: "stripe", version: "1", channel: .http, params: ["connect": false], active: true,
            url: "https://hooks.example.com/sources/stripe.webhook", secret: nil, data: ["id": "we_1"], metadata: [:],
            registered: ["event": ["price.created"]],
            lastError: RegistrationFailure(message: "timeout", at: t0, attempts: 2), updatedAt: t0)
    }

    static var command: CommandRecord {
        CommandRecord(
            kind: .reregister, target: "stripe.webhook", issuedBy: "ana@laptop", issuedAt: t0,
            id: "cmd_5b0c0000-0000-4000-8000-000000000001")
    }

    static var result: CommandResult {
        command.result(ok: true, message: "stripe.webhook registered", by: "registrar@registrar-6d9f", at: t0.addingTimeInterval(0.25))
    }

    static var wait: WaitRecord {
        WaitRecord(
            kind: .registration, jobId: "order-flow", runKey: "shop/o1/order-flow", runId: "run_1", task: "payment", runsPartition: 3,
            wait: EventWait(
                options: [EventWait.Option(names: ["payment.received"], source: "shop", filter: ["payload": ["orderId": ["o1"]]])],
                since: t0, deadline: t0.addingTimeInterval(86400)),
            at: t0)
    }

    static var schedule: ScheduleRecord {
        ScheduleRecord(
            jobId: "daily-digest", lastScheduledAt: t0, lastEmittedAt: t0, writtenAt: t0.addingTimeInterval(0.25),
            schedule: Schedule(.interval(.seconds(3600)), catchUp: 2))
    }

    static var deadLetter: DLQRecord {
        DLQRecord(
            original: WireRecord(
                key: Array("stripe.com/evt_1".utf8), value: Array(#"{"id":"price_1"}"#.utf8),
                headers: [WireHeader("ce_specversion", "1.0"), WireHeader("ce_id", "evt_1")]),
            reason: "boom", jobId: "stripe-on-price", runId: "run_1", attempts: 3, failedAt: t0)
    }

    static var audit: AuditRecord {
        AuditRecord(
            command: command, result: result, details: ["to": "2026-11-30T00:00:00Z"], id: "aud_7c1e0000-0000-4000-8000-000000000001")
    }

    // MARK: - The cases

    /// One record type: its fixture name, today's bytes and how today's reader reads bytes back.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var written: @Sendable () throws -> [UInt8]
        var read: @Sendable ([UInt8]) throws -> AnyHashable
        var value: @Sendable () -> AnyHashable
        var testDescription: String { name }
    }

    static func json(_ record: WireRecord) -> [UInt8] { record.value ?? [] }

    /// How a dead letter (a record with headers) is kept as a fixture: `WireRecord`'s own JSON.
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static let cases: [Case] = [
        Case(
            name: "run", written: { json(try run.record()) }, read: { try RunRecord(record: WireRecord(key: nil, value: $0)) },
            value: { run }),
        Case(
            name: "trigger-declaration", written: { json(try declaration.record()) },
            read: { try TriggerDeclaration(record: WireRecord(key: nil, value: $0)) }, value: { declaration }),
        Case(
            name: "trigger-declaration-scheduled", written: { json(try scheduled.record()) },
            read: { try TriggerDeclaration(record: WireRecord(key: nil, value: $0)) }, value: { scheduled }),
        Case(
            name: "presence", written: { json(try presence.record()) },
            read: { try RunnerPresence(record: WireRecord(key: nil, value: $0)) },
            value: { presence }),
        Case(
            name: "source-state", written: { json(try source.record(sealer: try SecretSealer(base64Key: fixtureKey))) },
            read: {
                // What this version knows of it (the fields it does not know are kept apart: see below).
                var state = try SourceState(record: WireRecord(key: nil, value: $0), sealer: try SecretSealer(base64Key: fixtureKey))
                state.unknownFields = [:]
                return state
            }, value: { source }),
        Case(
            name: "command", written: { json(try command.record()) },
            read: { try CommandTopicRecord(record: WireRecord(key: nil, value: $0)) },
            value: { CommandTopicRecord.command(command) }),
        Case(
            name: "command-result", written: { json(try result.record()) },
            read: { try CommandTopicRecord(record: WireRecord(key: nil, value: $0)) }, value: { CommandTopicRecord.result(result) }),
        Case(name: "wait", written: { json(try wait.record()) }, read: { try WaitRecord(value: $0) }, value: { wait }),
        Case(
            name: "schedule", written: { json(try schedule.record()) },
            read: { try ScheduleRecord(record: WireRecord(key: nil, value: $0)) },
            value: { schedule }),
        Case(
            name: "dead-letter", written: { Array(try encoder.encode(deadLetter.record())) },
            read: { try DLQRecord(record: try JSONDecoder().decode(WireRecord.self, from: Data($0))) }, value: { deadLetter }),
        Case(
            name: "audit", written: { json(try audit.record()) }, read: { try AuditRecord(record: WireRecord(key: nil, value: $0)) },
            value: { audit }),
    ]

    // MARK: - Tests

    @Test(arguments: cases)
    func todaysWriterWritesTheGoldenFixture(_ c: Case) throws {
        let written = try c.written()
        let path = "v1/\(c.name).json"
        if ProcessInfo.processInfo.environment["TRIBUTARY_UPDATE_FIXTURES"] == "1" {
            try Data(written + [UInt8(ascii: "\n")]).write(to: Self.root.appendingPathComponent(path))
        }
        let golden = try Self.fixture(path)
        #expect(
            String(decoding: written, as: UTF8.self) == String(decoding: golden, as: UTF8.self),
            "today's writer no longer writes \(path): add a fixture for the new shape (and keep this one)")
    }

    @Test(arguments: cases)
    func todaysFixtureReadsBackToTheSameValue(_ c: Case) throws {
        let value = try c.read(try Self.fixture("v1/\(c.name).json"))
        #expect(value == c.value())
    }

    @Test(arguments: cases)
    func fieldsFromALaterVersionAreIgnored(_ c: Case) throws {
        let value = try c.read(try Self.fixture("future/\(c.name).extra-fields.json"))
        #expect(value == c.value())
    }

    /// Every `future/*.unknown-*.json` and `future/*.v2.json`: refused with a `WireFormatError` that
    /// names what was refused, never read as something else.
    @Test(arguments: [
        ("run.unknown-status", "run", "paused"),
        ("run.unknown-task-status", "run", "abandoned"),
        ("run.v2", "run", "version 2"),
        ("trigger-declaration.unknown-channel", "trigger-declaration", "webhook-relay"),
        ("trigger-declaration.unknown-filter-operator", "trigger-declaration", "$regex"),
        ("trigger-declaration.unknown-start-position", "trigger-declaration", "newest-first"),
        ("trigger-declaration.v2", "trigger-declaration", "version 2"),
        ("presence.v2", "presence", "version 2"),
        ("source-state.unknown-channel", "source-state", "websocket"),
        ("source-state.v2", "source-state", "version 2"),
        ("command.unknown-type", "command", "audit"),
        ("command.v2", "command", "version 2"),
        ("wait.unknown-kind", "wait", "expiry"),
        ("wait.v2", "wait", "version 2"),
        ("schedule.unknown-kind", "schedule", "cron or intervalMs"),
        ("schedule.v2", "schedule", "version 2"),
        ("dead-letter.v2", "dead-letter", "version 2"),
        ("audit.unknown-outcome", "audit", "partially-applied"),
        ("audit.v2", "audit", "version 2"),
    ])
    func unknownStatesAndVersionsAreRefusedByName(fixture: String, type: String, named: String) throws {
        let c = try #require(Self.cases.first { $0.name == type })
        let bytes = try Self.fixture("future/\(fixture).json")
        do {
            let value = try c.read(bytes)
            Issue.record("\(fixture) was read as \(value)")
        } catch let error as WireFormatError {
            #expect("\(error)".contains(named), "\(fixture): \(error)")
        }
    }

    /// A command of a kind this version does not know is read fine (its reader passes it over,
    /// answering nothing); so is a result for it.
    @Test func aCommandOfAnUnknownKindReads() throws {
        let record = try CommandTopicRecord(record: WireRecord(key: nil, value: try Self.fixture("future/command.unknown-kind.json")))
        guard case .command(let command) = record else {
            Issue.record("not a command")
            return
        }
        #expect(command.kind == "erase-event" && command.arguments["eventKey"]?.stringValue == "stripe.com/evt_1")
    }

    /// Secrets sealed with today's format (with a key id) and the earlier one (without) read back.
    @Test func sealedSecretsOfBothFormatsUnseal() throws {
        let sealer = try SecretSealer(base64Key: Self.fixtureKey)
        if ProcessInfo.processInfo.environment["TRIBUTARY_UPDATE_FIXTURES"] == "1" {
            var state = Self.source
            state.secret = "whsec_fixture"
            let value = try #require(try state.record(sealer: sealer).value)
            var json = try JSON(parsing: value)
            try Data(value + [UInt8(ascii: "\n")]).write(to: Self.root.appendingPathComponent("v1/source-state-sealed.json"))
            if case .object(var fields) = json, let sealed = fields["sealedSecret"]?.stringValue {
                fields["sealedSecret"] = .string(String(sealed.drop { $0 != ":" }.dropFirst()))
                json = .object(fields)
            }
            try Data((json.jsonString + "\n").utf8).write(
                to: Self.root.appendingPathComponent("v1/source-state-sealed-without-key-id.json"))
        }
        for name in ["v1/source-state-sealed.json", "v1/source-state-sealed-without-key-id.json"] {
            let state = try SourceState(record: WireRecord(key: nil, value: try Self.fixture(name)), sealer: sealer)
            #expect(state.secret == "whsec_fixture", "\(name)")
        }
    }

    /// The fields a later version adds to a source state survive today's registrar rewriting it.
    @Test func aSourceStateKeepsTheFieldsItDoesNotKnowWhenRewritten() throws {
        let sealer = try SecretSealer(base64Key: Self.fixtureKey)
        var state = try SourceState(
            record: WireRecord(key: nil, value: try Self.fixture("future/source-state.extra-fields.json")), sealer: sealer)
        state.active = false
        let record = try state.record(sealer: sealer)
        let rewritten = try JSON(parsing: try #require(record.value))
        let future = try JSON(parsing: try Self.fixture("future/source-state.extra-fields.json"))
        #expect(rewritten["webhookVersion"] == future["webhookVersion"] && rewritten["webhookVersion"] != nil)
        #expect(rewritten["active"] == false)
    }
}
