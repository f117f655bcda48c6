import Foundation
import Hummingbird
import ServiceSupport
import Tributary
import TributaryIntegrations

/// The JSON API under `/api/` that backs the pages (docs/console.md documents it): the same data and
/// actions, JSON in and out. State-changing calls need the `X-CSRF-Token` header, which
/// `POST /login` with `{"password": …}` returns.
extension ConsoleRoutes {
    struct RunAnswer: Encodable {
        var run: RunRecord
        var partition: Int32
        var attempts: [RunRecord]
        var deadLetter: String?
    }

    struct JobAnswer: Encodable {
        struct Runner: Encodable {
            var runnerId: String
            var host: String
            var version: String
        }
        var declaration: TriggerDeclaration
        var runners: [Runner]
        var runs: [String: Int]
        var lastRunAt: Date?
    }

    struct SourceAnswer: Encodable {
        var key: String
        var sourceId: String
        var channel: String
        var active: Bool
        var url: String?
        var hasSecret: Bool
        var registered: [String: [String]]
        var lastError: String?
        var lastErrorAt: Date?
        var lastDelivery: Date?
        var updatedAt: Date
    }

    struct DeadLetterAnswer: Encodable {
        var id: String
        var eventKey: String?
        var jobId: String?
        var runId: String?
        var attempts: Int
        var reason: String
        var failedAt: Date
        var replayOf: String?
    }

    struct CatalogAnswer: Encodable {
        var names: [String]
        var source: String
        var title: String?
        var icon: String?
        var examples: [EventExample]
    }

    func addAPI(to router: Router<ConsoleRequestContext>) {
        let store = store
        let actions = actions
        router.get("/api/runs") { request, _ in
            let fields = FormFields(request.uri.query)
            do {
                let limit = fields["limit"].flatMap(Int.init) ?? 50
                return ConsoleResponse.json(["runs": try store.runs(try RunsQuery(fields.dictionary).filter(limit: limit))])
            } catch let error as ConsoleRequestError {
                return ConsoleResponse.json(["error": error.description], status: .badRequest)
            }
        }
        router.get("/api/runs/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let detail = try store.run(id) else { return ConsoleResponse.json(["error": "no run \(id)"], status: .notFound) }
            return ConsoleResponse.json(
                RunAnswer(run: detail.record, partition: detail.partition, attempts: detail.attempts, deadLetter: detail.deadLetter?.id))
        }
        router.post("/api/runs/:id/cancel") { _, context in
            let id = try context.parameters.require("id")
            guard let detail = try store.run(id) else { return ConsoleResponse.json(["error": "no run \(id)"], status: .notFound) }
            let line = try await actions.cancel(detail, by: "console api")
            return ConsoleResponse.json(["result": line], status: line.hasPrefix("error:") ? .conflict : .accepted)
        }
        router.post("/api/runs/:id/replay") { _, context in
            let id = try context.parameters.require("id")
            guard let detail = try store.run(id) else { return ConsoleResponse.json(["error": "no run \(id)"], status: .notFound) }
            guard let letter = detail.deadLetter else {
                return ConsoleResponse.json(
                    ["error": "\(id) has no dead letter: only dead-lettered runs can be replayed"], status: .conflict)
            }
            return ConsoleResponse.json(["results": try await actions.replay([letter])], status: .accepted)
        }
        router.get("/api/jobs") { _, _ in
            ConsoleResponse.json(
                try store.jobs().map { job in
                    JobAnswer(
                        declaration: job.declaration,
                        runners: job.runners.map { .init(runnerId: $0.runnerId, host: $0.host, version: $0.version) },
                        runs: job.runs, lastRunAt: job.lastRunAt)
                })
        }
        router.get("/api/sources") { _, _ in
            ConsoleResponse.json(
                try store.sources().map { row in
                    let s = row.source
                    return SourceAnswer(
                        key: s.key, sourceId: s.sourceId, channel: s.channel, active: s.active, url: s.url, hasSecret: s.hasSecret,
                        registered: s.registered, lastError: s.lastError, lastErrorAt: s.lastErrorAt, lastDelivery: row.lastDelivery,
                        updatedAt: s.updatedAt)
                })
        }
        router.get("/api/deliveries") { request, _ in
            let fields = FormFields(request.uri.query)
            let rows = try store.deliveries(refusedOnly: fields["refused"] != nil, sourceKey: fields["source"])
            return ConsoleResponse.json(rows.map(\.delivery))
        }
        router.get("/api/dlq") { _, _ in
            ConsoleResponse.json(
                try store.deadLetters().map { row in
                    DeadLetterAnswer(
                        id: row.id, eventKey: row.letter.original.keyString, jobId: row.letter.jobId, runId: row.letter.runId,
                        attempts: row.letter.attempts, reason: row.letter.reason, failedAt: row.letter.failedAt,
                        replayOf: row.letter.original.headerString(Replay.originalHeader))
                })
        }
        router.post("/api/dlq/replay") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            guard let ids = (try? JSON(parsing: Array(body.readableBytesView)))?["ids"]?.arrayValue?.compactMap(\.stringValue), !ids.isEmpty
            else {
                return ConsoleResponse.json(["error": "give {\"ids\": [\"<partition>:<offset>\", …]}"], status: .badRequest)
            }
            return ConsoleResponse.json(["results": try await actions.replay(try store.deadLetters(ids: ids))], status: .accepted)
        }
        router.get("/api/catalog") { _, _ in
            ConsoleResponse.json(
                actions.catalog.map {
                    CatalogAnswer(names: $0.names, source: $0.source, title: $0.title, icon: $0.icon, examples: $0.examples)
                })
        }
        router.post("/api/catalog/run") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            guard let json = try? JSON(parsing: Array(body.readableBytesView)), let source = json["source"]?.stringValue,
                let name = json["name"]?.stringValue, let payload = json["payload"]
            else {
                return ConsoleResponse.json(["error": "give {\"source\": …, \"name\": …, \"payload\": {…}}"], status: .badRequest)
            }
            do {
                let event = try await actions.runTest(source: source, name: name, payload: payload.jsonString)
                return ConsoleResponse.json(
                    ["eventId": event.id, "eventKey": event.key, "runs": "/api/runs?event=\(HTML.query(event.id))"], status: .accepted)
            } catch let error as ConsoleRequestError {
                return ConsoleResponse.json(["error": error.description], status: .badRequest)
            }
        }
    }
}
