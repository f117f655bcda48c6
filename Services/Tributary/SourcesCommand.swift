import ArgumentParser
import Foundation
import Kafka
import ServiceSupport
import Tributary

/// `tributary sources`: the webhook sources on `<p>.sources` and their registration state.
struct SourcesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sources", abstract: "Show webhook sources, or set a source's signing secret.",
        subcommands: [List.self, SetSecret.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List sources (the default).")
        @OptionGroup var cluster: ClusterOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let table = try await readTable(cluster.topics.sources.name, configuration: try cluster.kafka())
            var rows: [[String]] = []
            for key in table.keys.sorted() {
                guard let state = try? JSON(parsing: table[key]!) else { continue }
                if output.json {
                    // The sealed secret stays sealed; everything else as stored.
                    print(state.jsonString)
                    continue
                }
                let events = state["registered"]?["event"]?.arrayValue?.compactMap(\.stringValue) ?? []
                let failure = state["lastError"].flatMap { error -> String? in
                    guard let message = error["message"]?.stringValue else { return nil }
                    let attempts = error["attempts"]?.numberValue.map { " (\(Int($0)) attempts)" } ?? ""
                    return message + attempts
                }
                rows.append([
                    key, state["sourceId"]?.stringValue ?? "?", state["active"]?.boolValue == true ? "yes" : "no",
                    state["sealedSecret"]?.stringValue == nil ? "no" : "yes",
                    events.isEmpty ? "-" : events.joined(separator: ","), failure ?? "-",
                ])
            }
            if !output.json {
                if rows.isEmpty { note("no sources yet: the registrar creates them from the runners' triggers") }
                printTable(["KEY", "SOURCE", "ACTIVE", "SECRET", "EVENTS", "LAST ERROR"], rows)
            }
        }
    }

    struct SetSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-secret",
            abstract: "Set the signing secret of a source, e.g. the one `stripe listen --forward-to` prints.",
            discussion: """
                Creates the source if it does not exist: `stripe.webhook` and `stripe.webhook.connect` are Stripe, \
                `webhooks.<name>` is a Standard Webhooks sender, `owner/repo` or an organisation is GitHub.
                """)
        @OptionGroup var cluster: ClusterOptions
        @Argument(help: "The source key, e.g. stripe.webhook.") var key: String
        @Argument(help: "The signing secret (whsec_...).") var secret: String

        func run() async throws {
            let sealer = try cluster.sealer(required: true)!
            let configuration = try cluster.kafka()
            let topic = cluster.topics.sources.name
            let table = try await readTable(topic, configuration: configuration)
            var state: SourceState
            if let value = table[key] {
                state = try SourceState(record: WireRecord(key: Array(key.utf8), value: value), sealer: sealer)
            } else {
                state = try Self.newSource(key)
                note("source \(key) is new (\(state.sourceId))")
            }
            state.secret = secret
            state.updatedAt = Date()
            let producer = try KafkaProducer(configuration: configuration, logger: toolLogger())
            try await producer.send(KafkaProducerMessage(topic: topic, record: try state.record(sealer: sealer)))
            await producer.shutdown()
            print("secret set for \(key)")
        }

        static func newSource(_ key: String) throws -> SourceState {
            if key == "stripe.webhook" || key == "stripe.webhook.connect" {
                return SourceState(key: key, sourceId: "stripe.webhook", params: ["connect": .bool(key.hasSuffix(".connect"))], active: true)
            }
            if key.hasPrefix("webhooks.") {
                return SourceState(key: key, sourceId: "standardwebhooks", params: ["name": .string(String(key.dropFirst("webhooks.".count)))], active: true)
            }
            let parts = key.split(separator: "/")
            if parts.count == 2 {
                return SourceState(key: key, sourceId: "github.webhook", params: ["owner": .string(String(parts[0])), "repository": .string(String(parts[1]))], active: true)
            }
            throw ToolError("unknown source key \(key): use stripe.webhook, stripe.webhook.connect, webhooks.<name> or owner/repo")
        }
    }
}
