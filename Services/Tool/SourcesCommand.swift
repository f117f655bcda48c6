import ArgumentParser
import Foundation
import TributaryKafka
import ServiceSupport
import Tributary
import TributaryIntegrations

/// `tributary sources`: the webhook sources on `<p>.sources` and their registration state; `set-secret`,
/// `clear-secret` and `reregister` send commands to the registrar's leader and wait for its answer.
struct SourcesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sources", abstract: "Show webhook sources; set or clear a source's signing secret; re-register a source.",
        discussion: "Changes are commands to the registrar's leader (the only writer of the sources topic), which answers each.",
        subcommands: [List.self, SetSecret.self, ClearSecret.self, Configure.self, Reregister.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List sources (the default).")
        @OptionGroup var cluster: ClusterOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let table = try await readTable(cluster.topics.sources.name, configuration: try await cluster.kafka())
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
                Sends a set-secret command (the secret sealed with TRIBUTARY_SECRET_KEY) to the registrar's leader, \
                the only writer of the sources topic, and waits for its answer. Creates the source if it does not \
                exist: \(SourcesCommand.keyForms). Refused, changing nothing, when TRIBUTARY_SECRET_KEY is not \
                the key the registrar uses.
                """)
        @OptionGroup var cluster: ClusterOptions
        @OptionGroup var wait: CommandWaitOptions
        @Argument(help: "The source key, e.g. stripe.webhook.") var key: String
        @Argument(help: "The signing secret (whsec_...).") var secret: String

        func run() async throws {
            let sealer = try cluster.sealer(required: true)!
            let configuration = try await cluster.kafka()
            // Refuse here what the registrar would refuse, where the tool can tell.
            let sources = try await readTable(cluster.topics.sources.name, configuration: configuration)
            if let value = sources[key] {
                do {
                    _ = try SourceState(record: WireRecord(key: Array(key.utf8), value: value), sealer: sealer)
                } catch is SecretSealer.Failure {
                    throw ToolError(
                        """
                        the secret of \(key) on \(cluster.topics.sources.name) does not unseal with this TRIBUTARY_SECRET_KEY: \
                        it is not the key the registrar and the receiver use. Nothing was changed.
                        """)
                } catch {
                    throw ToolError("the state of \(key) on \(cluster.topics.sources.name) cannot be read (\(error)). Nothing was changed.")
                }
            } else {
                do {
                    _ = try SourceKeys.newState(forKey: key)
                } catch {
                    let declared = try await readTable(cluster.topics.triggers.name, configuration: configuration).values.contains {
                        (try? TriggerDeclaration(record: WireRecord(key: nil, value: $0)))?.source?.key == key
                    }
                    if !declared { throw ToolError("\(error). Nothing was changed.") }
                }
            }
            let command = CommandRecord.setSecret(source: key, sealedSecret: try sealer.seal(secret), issuedBy: CommandClient.issuer())
            try await send(command, cluster: cluster, wait: wait)
        }
    }

    struct ClearSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "clear-secret",
            abstract: "Remove the signing secret of a source (its webhooks are refused until a secret is set again).",
            discussion: "Sends a clear-secret command to the registrar's leader and waits for its answer.")
        @OptionGroup var cluster: ClusterOptions
        @OptionGroup var wait: CommandWaitOptions
        @Argument(help: "The source key, e.g. webhooks.resend.") var key: String

        func run() async throws {
            try await send(.clearSecret(source: key, issuedBy: CommandClient.issuer()), cluster: cluster, wait: wait)
        }
    }

    struct Configure: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "configure",
            abstract: "Set how a generic source (hmac.<name>, shared-secret.<name>, url-token.<name>) checks its deliveries.",
            discussion: """
                Sends a configure command to the registrar's leader, which checks the settings and keeps them on the \
                source (created if it does not exist), and waits for its answer. Settings (name=value): \
                \(GenericPresetSettings.names.joined(separator: ", ")); e.g. `hmac.acme header=X-Signature \
                algorithm=sha256 encoding=hex prefix=sha256=`, or with `signed=timestamp.body timestampHeader=X-Timestamp \
                tolerance=300`. The secret itself is set with set-secret.
                """)
        @OptionGroup var cluster: ClusterOptions
        @OptionGroup var wait: CommandWaitOptions
        @Argument(help: "The source key, e.g. hmac.acme.") var key: String
        @Argument(help: "Settings as name=value.") var settings: [String] = []

        func run() async throws {
            let parsed: JSON
            do { parsed = try GenericPresetSettings.parse(pairs: settings) } catch { throw ToolError("\(error). Nothing was changed.") }
            try await send(.configure(source: key, settings: parsed, issuedBy: CommandClient.issuer()), cluster: cluster, wait: wait)
        }
    }

    struct Reregister: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reregister",
            abstract: "Register a source with its provider now: check and repair its webhook (a polling source is polled now).",
            discussion: "Sends a re-register command to the registrar's leader and waits for the registration's outcome.")
        @OptionGroup var cluster: ClusterOptions
        @OptionGroup var wait: CommandWaitOptions
        @Argument(help: "The source key, e.g. stripe.webhook.") var key: String

        func run() async throws {
            try await send(.reregister(source: key, issuedBy: CommandClient.issuer()), cluster: cluster, wait: wait)
        }
    }
}

/// How long a command waits for its answer.
struct CommandWaitOptions: ParsableArguments {
    @Option(help: "Seconds to wait for the registrar leader's answer.") var timeout: Double = 5

    var duration: Duration { Duration(seconds: max(0.1, timeout)) }
}

/// Sends a source command to the registrar's leader, prints its answer, and fails when it was refused
/// or nobody answered in time.
func send(_ command: CommandRecord, cluster: ClusterOptions, wait: CommandWaitOptions) async throws {
    let client = try CommandClient(configuration: try await cluster.kafka(), topics: cluster.topics, logger: toolLogger())
    let result: CommandResult
    do {
        result = try await client.send(command, timeout: wait.duration)
        await client.shutdown()
    } catch let timeout as CommandTimeout {
        await client.shutdown()
        throw ToolError(
            """
            no registrar leader answered within \(timeout.timeout) (is a registrar running? `registrar`, or `tributary dev`). \
            The \(command.kind) command \(command.id) stays on \(client.topic) for a day: the next leader applies it.
            """)
    } catch {
        await client.shutdown()
        throw error
    }
    guard result.ok else { throw ToolError("\(result.message) (answered by \(result.by))") }
    print(result.message)
}

extension SourcesCommand {
    /// The source keys `set-secret` may create, by provider (from ``Providers/all``): e.g. `stripe.webhook`
    /// and `stripe.webhook.connect` are Stripe, `webhooks.<name>` is Standard Webhooks, `owner/repo` is GitHub.
    static var keyForms: String {
        let parts = Providers.descriptors.filter { !$0.sourceKeys.isEmpty }.map { provider in
            let forms = provider.sourceKeys.map { "`\($0.form)`" }
            let list = forms.count > 1 ? forms.dropLast().joined(separator: ", ") + " and " + forms.last! : forms[0]
            return "\(list) \(forms.count > 1 ? "are" : "is") \(provider.name)"
        }
        return parts.joined(separator: ", ")
    }
}
