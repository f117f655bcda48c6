import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ServiceSupport
import Testing
import Tributary
import TributaryConsole
import TributaryKafka

/// Every page and API route, in memory (HummingbirdTesting's router client), against a console on
/// an embedded cluster; the rows are put in its database directly, the actions read back from the topics.
@Suite("console: routes and access", .serialized)
struct ConsoleRouterTests {
    /// Rows of every kind, applied under a topic the projection does not follow (their offsets stay apart).
    static func seed(_ store: ConsoleStore, sealer: SecretSealer) throws {
        let topics = ConsoleFixtures.topics
        var dead = ConsoleFixtures.run("run_dead", status: .deadLettered, logs: ["charging", "payment <declined>"])
        dead.properties = [RunProperty(label: "Price ID", text: "price_1")]
        let started = ConsoleFixtures.run(
            "run_live", event: "evt_2", status: .started, startedAt: Date(timeIntervalSince1970: 1_800_000_100))
        let original = CloudEvent.encode(
            EventRecord(id: "evt_1", name: "price.created", source: "stripe.com", timestamp: Date(), payload: ["id": "price_1"]))
        let letter = DLQRecord(original: original, reason: "payment declined", jobId: "stripe-on-price", runId: "run_dead", attempts: 3)
        let declaration = TriggerDeclaration(
            jobId: "stripe-on-price", jobName: "On price", version: "1.0.0", source: nil, eventSource: "stripe.com",
            events: ["price.created"],
            filter: EventFilter([:]))
        let source = SourceState(key: "stripe.webhook", sourceId: "stripe.webhook", active: true, secret: "whsec_never_shown")
        let changes: [ProjectionChange] = [
            ConsoleFixtures.projection.change(
                for: ConsoleFixtures.message(try dead.record(), topic: topics.runs.name, partition: 1, offset: 0)),
            ConsoleFixtures.projection.change(
                for: ConsoleFixtures.message(try started.record(), topic: topics.runs.name, partition: 2, offset: 0)),
            .deadLetter(ProjectedDeadLetter(letter: letter, partition: 1, offset: 0)),
            ConsoleFixtures.projection.change(
                for: ConsoleFixtures.message(try declaration.record(), topic: topics.triggers.name, offset: 0)),
            ConsoleFixtures.projection.change(
                for: ConsoleFixtures.message(try source.record(sealer: sealer), topic: topics.sources.name, offset: 0)),
            .delivery(
                DeliveryRecord(
                    receivedAt: Date(), sourceKey: "stripe.webhook", outcome: .badSignature, reason: "no signature matches the body",
                    status: 401,
                    size: 12)),
        ]
        try store.apply(changes.enumerated().map { ProjectedRecord(change: $1, topic: "fixture", partition: 0, offset: Int64($0)) })
    }

    @Test("without a session: pages redirect to the login, the API and the event stream answer 401; the open routes answer")
    func withoutSession() async throws {
        let harness = try ConsoleHarness()
        defer { harness.shutdown() }
        let (app, _) = try await harness.application()
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            for page in ["/runs", "/runs/run_x", "/jobs", "/catalog", "/sources", "/deliveries", "/dlq"] {
                try await client.execute(uri: page, method: .get) { response in
                    #expect(response.status == .seeOther, "\(page)")
                    #expect(response.headers[.location] == "/login?next=\(page.replacingOccurrences(of: "/", with: "%2F"))", "\(page)")
                }
            }
            for route in ["/api/runs", "/api/jobs", "/api/sources", "/api/deliveries", "/api/dlq", "/api/catalog", "/events"] {
                try await client.execute(uri: route, method: .get) { #expect($0.status == .unauthorized, "\(route)") }
            }
            try await client.execute(uri: "/api/dlq/replay", method: .post) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/login", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("id=\"password\""))
            }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test("login: a wrong password 401; the right one an HttpOnly SameSite cookie; the login link too; next stays on this site")
    func login() async throws {
        let harness = try ConsoleHarness()
        defer { harness.shutdown() }
        let (app, _) = try await harness.application()
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "password=wrong&next=%2Fjobs")
            ) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.setCookie] == nil)
                #expect(String(buffer: response.body).contains("Wrong password."))
            }
            try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "password=\(ConsoleHarness.password)&next=%2Fjobs")
            ) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/jobs")
                let cookie = response.headers[.setCookie] ?? ""
                #expect(
                    cookie.hasPrefix("tributary_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "\(cookie)")
            }
            try await client.execute(uri: "/login?token=\(ConsoleHarness.password)&next=//evil.example/x", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/runs", "an off-site next is not followed")
                #expect(response.headers[.setCookie]?.hasPrefix("tributary_session=") == true)
            }
            let session = try await client.login()
            let page = try await client.get("/runs", as: session)
            #expect(page.status == .ok)
            // Logging out ends the session on the server too.
            let out = try await client.postForm("/logout", [], as: session)
            #expect(out.status == .seeOther && out.headers[.location] == "/login")
            let after = try await client.get("/api/runs", as: session)
            #expect(after.status == .unauthorized)
        }
    }

    @Test("ten wrong passwords in a minute: the next login is refused with 429 and Retry-After, the right password too")
    func throttledLogins() async throws {
        let harness = try ConsoleHarness()
        defer { harness.shutdown() }
        let (app, _) = try await harness.application()
        try await app.test(.router) { client in
            for _ in 0..<10 {
                try await client.execute(
                    uri: "/login", method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: #"{"password":"guess"}"#)
                ) { #expect($0.status == .unauthorized) }
            }
            try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"password":"\#(ConsoleHarness.password)"}"#)
            ) { response in
                #expect(response.status == .tooManyRequests)
                #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 > 0)
            }
        }
    }

    @Test("a state-changing request without the session's CSRF token is 403 and changes nothing")
    func csrf() async throws {
        let harness = try ConsoleHarness()
        defer { harness.shutdown() }
        let (app, _) = try await harness.application()
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            let session = try await client.login()
            let missing = try await client.postForm(
                "/catalog/run", [("source", "stripe.com"), ("name", "price.created"), ("payload", "{}")], as: session, csrf: false)
            #expect(missing.status == .forbidden)
            var forged = session
            forged.csrf = String(repeating: "0", count: 32)
            let wrong = try await client.postForm("/dlq/replay", [("id", "1:0")], as: forged)
            #expect(wrong.status == .forbidden)
            try await client.execute(
                uri: "/api/catalog/run", method: .post, headers: [.cookie: session.cookie, .contentType: "application/json"],
                body: ByteBuffer(string: #"{"source":"stripe.com","name":"price.created","payload":{}}"#)
            ) { #expect($0.status == .forbidden) }
            #expect(try await harness.messages(harness.topics.events.name).isEmpty, "a refused request published something")
        }
    }

    @Test("every page shows its rows: runs, a run, jobs, the Testing UI, sources (never the secret), deliveries, dead letters")
    func pages() async throws {
        let harness = try ConsoleHarness()
        defer { harness.shutdown() }
        let (app, parts) = try await harness.application()
        let sealer = try SecretSealer(base64Key: SecretSealer.generateKey())
        try Self.seed(parts.store, sealer: sealer)
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            let session = try await client.login()
            func page(_ uri: String) async throws -> String {
                let response = try await client.get(uri, as: session)
                #expect(response.status == .ok, "\(uri)")
                #expect(response.headers[.contentType] == "text/html; charset=utf-8", "\(uri)")
                return String(buffer: response.body)
            }
            let runs = try await page("/runs")
            #expect(runs.contains("run_dead") && runs.contains("run_live") && runs.contains("EventSource('/events?channel=runs')"))
            let failed = try await page("/runs?status=dead-lettered&job=stripe-on-price")
            #expect(failed.contains("data-run=\"run_dead\"") && !failed.contains("data-run=\"run_live\""))
            let byEvent = try await page("/runs?event=evt_2")
            #expect(byEvent.contains("data-run=\"run_live\"") && !byEvent.contains("data-run=\"run_dead\""))
            let rows = try await page("/runs/rows?status=started")
            #expect(rows.hasPrefix("\n<tr") || rows.hasPrefix("<tr"), "the live fragment is table rows")
            #expect(rows.contains("run_live") && !rows.contains("run_dead"))

            let run = try await page("/runs/run_dead")
            #expect(run.contains("payment &lt;declined&gt;"), "log lines are escaped")
            #expect(run.contains("id=\"replay\"") && !run.contains("id=\"cancel\""), "a dead letter can be replayed, not cancelled")
            #expect(run.contains("Price ID") && run.contains("price_1") && run.contains("id=\"payload\""))
            let live = try await page("/runs/run_live")
            #expect(live.contains("id=\"cancel\"") && !live.contains("id=\"replay\""))

            let jobs = try await page("/jobs")
            #expect(jobs.contains("data-job=\"stripe-on-price\"") && jobs.contains("price.created"))
            let catalog = try await page("/catalog")
            #expect(catalog.contains("data-event=\"price.created\"") && catalog.contains("Run test"))
            let sources = try await page("/sources")
            #expect(sources.contains("data-source=\"stripe.webhook\"") && sources.contains("held"))
            #expect(!sources.contains("whsec_never_shown"))
            let deliveries = try await page("/deliveries?refused=1")
            #expect(deliveries.contains("no signature matches the body") && deliveries.contains("bad-signature"))
            #expect(deliveries.contains("EventSource('/events?channel=deliveries')"))
            let deliveryRows = try await page("/deliveries/rows?refused=1")
            #expect(deliveryRows.contains("data-outcome=\"bad-signature\"") && !deliveryRows.contains("<html"))
            let letters = try await page("/dlq")
            #expect(letters.contains("data-letter=\"1:0\"") && letters.contains("payment declined"))

            let missing = try await client.get("/runs/run_none", as: session)
            #expect(missing.status == .notFound)
            let bad = try await client.get("/runs?status=exploded", as: session)
            #expect(bad.status == .badRequest)
            #expect(String(buffer: bad.body).contains("status=exploded is not one of"))
        }
    }

    @Test("the JSON API: runs (filtered), a run, jobs, sources, deliveries, dead letters, the catalog; bad input 400, unknown 404")
    func api() async throws {
        let harness = try ConsoleHarness()
        defer { harness.shutdown() }
        let (app, parts) = try await harness.application()
        try Self.seed(parts.store, sealer: try SecretSealer(base64Key: SecretSealer.generateKey()))
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            let session = try await client.login()
            func json(_ uri: String, status: HTTPResponse.Status = .ok) async throws -> JSON {
                let response = try await client.get(uri, as: session)
                #expect(response.status == status, "\(uri)")
                #expect(response.headers[.contentType] == "application/json", "\(uri)")
                return try JSON(parsing: Array(response.body.readableBytesView))
            }
            let runs = try await json("/api/runs")
            #expect(runs["runs"]?.arrayValue?.compactMap { $0["runId"]?.stringValue } == ["run_live", "run_dead"])
            let started = try await json("/api/runs?status=started&limit=5")
            #expect(started["runs"]?.arrayValue?.count == 1)
            let bad = try await json("/api/runs?since=yesterday", status: .badRequest)
            #expect(bad["error"]?.stringValue?.contains("since=yesterday") == true)
            let run = try await json("/api/runs/run_dead")
            #expect(run["run"]?["status"]?.stringValue == "dead-lettered" && run["deadLetter"]?.stringValue == "1:0")
            #expect(run["attempts"]?.arrayValue?.count == 1 && run["partition"]?.numberValue == 1)
            _ = try await json("/api/runs/run_none", status: .notFound)
            let jobs = try await json("/api/jobs")
            #expect(jobs.arrayValue?.first?["declaration"]?["jobId"]?.stringValue == "stripe-on-price")
            let sources = try await json("/api/sources")
            #expect(sources.arrayValue?.first?["hasSecret"]?.boolValue == true)
            #expect(!sources.jsonString.contains("whsec_never_shown") && sources.arrayValue?.first?["secret"] == nil)
            let refused = try await json("/api/deliveries?refused=1")
            #expect(refused.arrayValue?.first?["outcome"]?.stringValue == "bad-signature")
            let letters = try await json("/api/dlq")
            #expect(
                letters.arrayValue?.first?["id"]?.stringValue == "1:0" && letters.arrayValue?.first?["runId"]?.stringValue == "run_dead")
            let catalog = try await json("/api/catalog")
            #expect(catalog.arrayValue?.contains { $0["names"]?.arrayValue?.contains(.string("price.created")) == true } == true)
        }
    }

    @Test("Run test publishes the example as a new event and opens its runs; an unknown event or a payload that is not JSON is refused")
    func runTest() async throws {
        let harness = try ConsoleHarness()
        defer { harness.shutdown() }
        let (app, _) = try await harness.application()
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            let session = try await client.login()
            let sent = try await client.postForm(
                "/catalog/run", [("source", "stripe.com"), ("name", "price.created"), ("payload", #"{"id":"price_9","currency":"eur"}"#)],
                as: session)
            #expect(sent.status == .seeOther)
            let location = sent.headers[.location] ?? ""
            #expect(location.hasPrefix("/runs?event=test_"), "\(location)")
            let unknown = try await client.postForm(
                "/catalog/run", [("source", "stripe.com"), ("name", "price.exploded"), ("payload", "{}")], as: session)
            #expect(unknown.headers[.location]?.hasPrefix("/catalog?flash=error") == true)
            let notJSON = try await client.postForm(
                "/catalog/run", [("source", "stripe.com"), ("name", "price.created"), ("payload", "{nope")], as: session)
            #expect(notJSON.headers[.location]?.contains("not%20JSON") == true, "\(notJSON.headers[.location] ?? "")")
            let api = try await client.execute(
                uri: "/api/catalog/run", method: .post,
                headers: [.cookie: session.cookie, .contentType: "application/json", HTTPField.Name("X-CSRF-Token")!: session.csrf],
                body: ByteBuffer(string: #"{"source":"stripe.com","name":"price.created","payload":{"id":"price_api"}}"#)
            ) { $0 }
            #expect(api.status == .accepted)

            let events = try await harness.messages(harness.topics.events.name).map { try CloudEvent.decode(WireRecord($0)) }
            #expect(events.map(\.name) == ["price.created", "price.created"])
            #expect(Set(events.compactMap { $0.payload["id"]?.stringValue }) == ["price_9", "price_api"])
            let fromForm = events.first { $0.payload["id"]?.stringValue == "price_9" }
            #expect("/runs?event=\(fromForm?.id ?? "?")" == location)
        }
    }

    @Test(
        "the Sources page's buttons send the registrar's commands, the secret sealed with TRIBUTARY_SECRET_KEY; without a leader the page says so"
    )
    func sourceCommands() async throws {
        let harness = try ConsoleHarness()
        defer { harness.shutdown() }
        let sealer = try SecretSealer(base64Key: SecretSealer.generateKey())
        let (app, parts) = try await harness.application(sealer: sealer)
        try Self.seed(parts.store, sealer: sealer)
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            let session = try await client.login()
            let page = String(buffer: try await client.get("/sources", as: session).body)
            #expect(
                page.contains("data-action=\"reregister\"") && page.contains("data-action=\"secret\"")
                    && page.contains("data-action=\"clear-secret\""))
            let set = try await client.postForm(
                "/sources/secret", [("key", "stripe.webhook"), ("secret", "whsec_from_console")], as: session)
            #expect(set.headers[.location]?.contains("no%20registrar%20leader%20answered") == true, "\(set.headers[.location] ?? "")")
            let again = try await client.postForm("/sources/reregister", [("key", "stripe.webhook")], as: session)
            #expect(again.status == .seeOther)
            let empty = try await client.postForm("/sources/secret", [("key", "stripe.webhook"), ("secret", "")], as: session)
            #expect(empty.headers[.location]?.contains("give%20the%20secret") == true)

            let commands = try await harness.messages(harness.topics.commands.name).compactMap { message -> CommandRecord? in
                guard case .command(let command) = try CommandTopicRecord(record: WireRecord(message)) else { return nil }
                return command
            }
            #expect(commands.map(\.kind) == [.setSecret, .reregister])
            #expect(commands.allSatisfy { $0.target == "stripe.webhook" && $0.issuedBy == "console" })
            let sealed = try #require(commands.first?.arguments["sealedSecret"]?.stringValue)
            #expect(try sealer.unseal(sealed) == "whsec_from_console" && !sealed.contains("whsec_from_console"))
        }
    }

    @Test("without TRIBUTARY_SECRET_KEY the console offers no secret form and refuses to set one")
    func noSealer() async throws {
        let harness = try ConsoleHarness()
        defer { harness.shutdown() }
        let (app, parts) = try await harness.application()
        try Self.seed(parts.store, sealer: try SecretSealer(base64Key: SecretSealer.generateKey()))
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            let session = try await client.login()
            let page = String(buffer: try await client.get("/sources", as: session).body)
            #expect(!page.contains("data-action=\"secret\"") && page.contains("needs <code>TRIBUTARY_SECRET_KEY</code>"))
            let set = try await client.postForm("/sources/secret", [("key", "stripe.webhook"), ("secret", "whsec_x")], as: session)
            #expect(set.headers[.location]?.contains("no%20TRIBUTARY_SECRET_KEY") == true)
            #expect(try await harness.messages(harness.topics.commands.name).isEmpty)
        }
    }

    @Test("Replay republishes a dead letter for its job only; Cancel asks the run's partition to cancel it; a final run is not cancelled")
    func replayAndCancel() async throws {
        let harness = try ConsoleHarness()
        defer { harness.shutdown() }
        let (app, parts) = try await harness.application()
        try Self.seed(parts.store, sealer: try SecretSealer(base64Key: SecretSealer.generateKey()))
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            let session = try await client.login(user: "alice")
            let replayed = try await client.postForm("/dlq/replay?only=1:0", [], as: session)
            #expect(replayed.status == .seeOther)
            #expect(
                replayed.headers[.location]?.hasPrefix("/dlq?flash=replayed%20run_dead") == true, "\(replayed.headers[.location] ?? "")")
            let none = try await client.postForm("/dlq/replay", [], as: session)
            #expect(none.headers[.location]?.contains("select%20a%20dead%20letter") == true)
            let fromRun = try await client.postForm("/runs/run_dead/replay", [], as: session)
            #expect(fromRun.headers[.location]?.hasPrefix("/runs/run_dead?flash=replayed") == true)
            let events = try await harness.messages(harness.topics.events.name)
            #expect(events.count == 2)
            #expect(events.allSatisfy { WireRecord($0).headerString(Replay.jobHeader) == "stripe-on-price" })
            #expect(events.allSatisfy { ($0.keyString ?? "").hasPrefix("stripe.com/evt_1.replay-") })

            let cancel = try await client.postForm("/runs/run_live/cancel", [], as: session)
            #expect(cancel.headers[.location]?.hasPrefix("/runs/run_live?flash=cancel%20requested") == true)
            let waits = try await harness.messages(harness.topics.waits.name)
            let request = try WaitRecord(value: try #require(waits.first?.value))
            #expect(waits.count == 1 && waits.first?.partition == 2, "the cancel request goes to the run's partition")
            #expect(request.kind == .cancel && request.runId == "run_live" && request.task == WaitRecord.cancelRequestTask)
            let final = try await client.execute(
                uri: "/api/runs/run_dead/cancel", method: .post,
                headers: [.cookie: session.cookie, HTTPField.Name("X-CSRF-Token")!: session.csrf]
            ) { $0 }
            #expect(final.status == .conflict)

            // Each action is on the audit trail under the login's name, and the Audit page shows it.
            let audit = try await harness.messages(harness.topics.audit.name).map { try AuditRecord(record: WireRecord($0)) }
            #expect(audit.map(\.action) == ["replay", "replay", "cancel"], "\(audit)")
            #expect(audit.allSatisfy { $0.actor == "alice@console" && $0.outcome == .ok })
            #expect(audit.last?.target == "run_live")
            try await eventually("the Audit page lists the three entries") {
                let page = String(buffer: try await client.get("/audit", as: session).body)
                return page.components(separatedBy: "alice@console").count - 1 == 3
            }
        }
    }
}
