import ArgumentParser
import Foundation
import ServiceSupport
import Tributary

/// `tributary audit`: the audit trail on `<p>.audit`, oldest first: who asked for which state-changing
/// action, when, on what, and how it ended.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Show the audit trail: who changed what, when, and how it ended.",
        discussion: """
            Every state-changing command is recorded: set-secret, clear-secret, re-register and rotate-keys by the \
            registrar's leader when it applies them; rewind, replay, cancel and erase by the tool that carried them \
            out (and a command nobody answered, as unanswered). No entry holds a secret.
            """)
    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Only entries about this target (a source key, job id, run id or event key).") var target: String?
    @Option(help: "Only entries of this action, e.g. set-secret, replay, erase.") var action: String?
    @Option(help: "Only entries of this actor (user@host, or a prefix of it).") var actor: String?

    func run() async throws {
        let entries = try await AuditTrail.entries(configuration: try await cluster.kafka(), topics: cluster.topics, logger: toolLogger())
            .filter { entry in
                (target == nil || entry.target == target) && (action == nil || entry.action == action)
                    && (actor == nil || entry.actor.hasPrefix(actor!))
            }
        if output.json {
            for entry in entries { print(String(decoding: try entry.record().value ?? [], as: UTF8.self)) }
            return
        }
        if entries.isEmpty { note("no audit entries\(target == nil && action == nil && actor == nil ? "" : " match")") }
        printTable(
            ["WHEN", "WHO", "ACTION", "TARGET", "OUTCOME", "MESSAGE"],
            entries.map { [RFC3339.string(from: $0.at), $0.actor, $0.action, $0.target, $0.outcome.rawValue, $0.message] })
    }
}

/// Records an action the tool carried out itself (or a command nobody answered) on `<p>.audit`, as
/// done by ``CommandClient/issuer()``. When the entry cannot be written the action still happened: the
/// error says so.
func audit(
    _ action: String, target: String, outcome: AuditRecord.Outcome, message: String, commandId: String? = nil, details: JSON? = nil,
    cluster: ClusterOptions
) async throws {
    let entry = AuditRecord(
        actor: CommandClient.issuer(), action: action, target: target, outcome: outcome, message: message, commandId: commandId,
        details: details)
    do {
        try await AuditTrail.publish(entry, configuration: try cluster.configuration(), topics: cluster.topics, logger: toolLogger())
    } catch {
        throw ToolError(
            "\(action) \(target): \(message); but its audit entry could not be written to \(cluster.topics.audit.name): \(error)")
    }
}
