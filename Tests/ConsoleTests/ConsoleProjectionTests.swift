import Foundation
import Testing
import Tributary
import TributaryConsole
import TributaryKafka

/// What each record of the followed topics does to the database, without Kafka or SQLite.
@Suite struct ConsoleProjectionTests {
    let projection = ConsoleFixtures.projection
    let topics = ConsoleFixtures.topics

    @Test("a run record is a run change with its partition; a run tombstone and a bad record are skipped with the reason")
    func runs() throws {
        let run = ConsoleFixtures.run("run_1", status: .failed, attempt: 2)
        let change = projection.change(for: ConsoleFixtures.message(try run.record(), topic: topics.runs.name, partition: 3, offset: 7))
        guard case .run(let projected) = change else {
            Issue.record("expected a run change, got \(change)")
            return
        }
        #expect(projected == ProjectedRun(record: run, partition: 3, json: try run.record().value ?? []))
        #expect(projected.error == "boom" && projected.attempt == 2 && projected.status == .failed)
        #expect(change.channel == .runs)

        let tombstone = projection.change(
            for: ConsoleFixtures.message(WireRecord(key: Array("k".utf8), value: nil), topic: topics.runs.name, offset: 8))
        #expect(tombstone == .skip("run tombstone"))
        let garbage = projection.change(
            for: ConsoleFixtures.message(WireRecord(key: Array("k".utf8), value: Array("{".utf8)), topic: topics.runs.name, offset: 9))
        guard case .skip(let reason) = garbage else {
            Issue.record("garbage was not skipped: \(garbage)")
            return
        }
        #expect(reason.contains("run record is not valid"))

        // A status this code does not know is skipped, as RunRecord's own reader skips it.
        let newer = String(decoding: try run.record().value ?? [], as: UTF8.self).replacingOccurrences(of: "\"failed\"", with: "\"paused\"")
        let unknown = projection.change(
            for: ConsoleFixtures.message(WireRecord(key: Array("k".utf8), value: Array(newer.utf8)), topic: topics.runs.name, offset: 10))
        guard case .skip(let why) = unknown else {
            Issue.record("an unknown status was not skipped: \(unknown)")
            return
        }
        #expect(why.contains("paused"))
        #expect(garbage.channel == nil)
    }

    @Test("a source state keeps only whether a secret is held, never the sealed secret")
    func sourceWithoutItsSecret() throws {
        let sealer = try SecretSealer(base64Key: SecretSealer.generateKey())
        let state = SourceState(
            key: "stripe.webhook", sourceId: "stripe.webhook", active: true, url: "https://h.example/sources/stripe.webhook",
            secret: "whsec_topsecret", registered: ["event": ["price.created"]],
            lastError: RegistrationFailure(message: "STRIPE_API_KEY is not set", attempts: 2))
        let change = projection.change(
            for: ConsoleFixtures.message(try state.record(sealer: sealer), topic: topics.sources.name, offset: 0))
        guard case .source(let source) = change else {
            Issue.record("expected a source change, got \(change)")
            return
        }
        #expect(source.hasSecret && source.active && source.sourceId == "stripe.webhook")
        #expect(source.registered == ["event": ["price.created"]])
        #expect(source.lastError == "STRIPE_API_KEY is not set")
        #expect(!"\(source)".contains("whsec_topsecret"))

        var without = state
        without.secret = nil
        let plain = projection.change(
            for: ConsoleFixtures.message(try without.record(sealer: sealer), topic: topics.sources.name, offset: 1))
        if case .source(let source) = plain { #expect(!source.hasSecret) } else { Issue.record("expected a source change") }
        let removed = projection.change(
            for: ConsoleFixtures.message(WireRecord(key: Array("stripe.webhook".utf8), value: nil), topic: topics.sources.name, offset: 2))
        #expect(removed == .removeSource(key: "stripe.webhook"))
    }

    @Test("triggers: a declaration is a job, a presence record a runner, a tombstone removes either")
    func triggers() throws {
        let declaration = TriggerDeclaration(
            jobId: "stripe-on-price", jobName: "On price", version: "1.0.0", source: nil, eventSource: "stripe.com",
            events: ["price.created"], filter: EventFilter([:]))
        let job = projection.change(for: ConsoleFixtures.message(try declaration.record(), topic: topics.triggers.name, offset: 0))
        guard case .job(let jobId, let name, let version, _) = job else {
            Issue.record("expected a job, got \(job)")
            return
        }
        #expect(jobId == "stripe-on-price" && name == "On price" && version == "1.0.0")

        let now = Date()
        let presence = RunnerPresence(
            runnerId: "r1", host: "h", startedAt: now, heartbeatAt: now, expiresAt: now.addingTimeInterval(30),
            jobs: [.init(declaration: declaration, active: true)])
        let runner = projection.change(for: ConsoleFixtures.message(try presence.record(), topic: topics.triggers.name, offset: 1))
        guard case .runner(let runnerId, _, _) = runner else {
            Issue.record("expected a runner, got \(runner)")
            return
        }
        #expect(runnerId == "r1")
        let gone = projection.change(
            for: ConsoleFixtures.message(RunnerPresence.tombstone(runnerId: "r1"), topic: topics.triggers.name, offset: 2))
        #expect(gone == .removeTrigger(key: RunnerPresence.key(runnerId: "r1")))
    }

    @Test("dead letters keep where they are; deliveries decode; an unknown delivery version is skipped")
    func deadLettersAndDeliveries() throws {
        let original = WireRecord(key: Array("stripe.com/evt_1".utf8), value: Array("{}".utf8))
        let letter = DLQRecord(
            original: original, reason: "boom", jobId: "j", runId: "run_1", attempts: 3, failedAt: Date(timeIntervalSince1970: 1))
        let change = projection.change(
            for: ConsoleFixtures.message(letter.record(), topic: topics.deadLetters.name, partition: 2, offset: 11))
        #expect(change == .deadLetter(ProjectedDeadLetter(letter: letter, partition: 2, offset: 11)))

        let delivery = DeliveryRecord(
            receivedAt: Date(timeIntervalSince1970: 5), sourceKey: "stripe.webhook", outcome: .badSignature, reason: "no signature",
            status: 401,
            size: 10)
        #expect(
            projection.change(for: ConsoleFixtures.message(try delivery.record(), topic: topics.deliveries.name, offset: 0))
                == .delivery(delivery))
        let future = WireRecord(
            key: nil, value: Array(#"{"v":2,"receivedAt":"2026-01-01T00:00:00Z","sourceKey":"s","outcome":"x","status":1}"#.utf8))
        let skipped = projection.change(for: ConsoleFixtures.message(future, topic: topics.deliveries.name, offset: 1))
        #expect(skipped == .skip("unsupported delivery record version 2"))
    }

    @Test("a delivery of a newer writer with an outcome this code does not know still reads")
    func openOutcome() throws {
        let text = #"{"v":1,"receivedAt":"2026-01-01T00:00:00Z","sourceKey":"s","outcome":"quarantined","status":451,"extra":true}"#
        let record = try DeliveryRecord(record: WireRecord(key: nil, value: Array(text.utf8)))
        #expect(record.outcome.rawValue == "quarantined" && record.outcome.isRefused && record.eventIds.isEmpty && record.size == 0)
    }
}
