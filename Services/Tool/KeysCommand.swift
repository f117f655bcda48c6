import ArgumentParser
import Foundation
import ServiceSupport
import Tributary

/// `tributary keys`: which key seals each source's secret, and `rotate`, which asks the registrar's
/// leader to re-seal every source state with its current `TRIBUTARY_SECRET_KEY`.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Show which key seals each source's secret; re-seal them all with the newest key.",
        discussion: """
            Secrets are sealed with TRIBUTARY_SECRET_KEY; the keys in TRIBUTARY_SECRET_KEY_PREVIOUS (comma-separated) \
            only unseal. To rotate: put the new key in TRIBUTARY_SECRET_KEY and the old one in \
            TRIBUTARY_SECRET_KEY_PREVIOUS for the receiver, the registrar and the tool, restart them, run \
            `tributary keys rotate`, then remove the old key. See docs/wire-formats.md.
            """,
        subcommands: [Status.self, Rotate.self], defaultSubcommand: Status.self)

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "The tool's keys and, for each source with a secret, the key that sealed it (the default).")
        @OptionGroup var cluster: ClusterOptions

        func run() async throws {
            let sealer = try cluster.sealer(required: false)
            if let sealer {
                print("current key \(sealer.currentKeyId) (TRIBUTARY_SECRET_KEY)")
                for id in sealer.keyIds.dropFirst() { print("previous key \(id) (TRIBUTARY_SECRET_KEY_PREVIOUS)") }
            } else {
                note("TRIBUTARY_SECRET_KEY is not set: the keys that sealed the secrets are shown, not whether they unseal")
            }
            let table = try await readTable(cluster.topics.sources.name, configuration: try await cluster.kafka())
            var rows: [[String]] = []
            for key in table.keys.sorted() {
                guard let sealed = SourceState.sealedSecret(inValue: table[key]!) else { continue }
                let id = SecretSealer.keyId(of: sealed)
                rows.append([key, id ?? "legacy (no key id)", Self.status(of: sealed, keyId: id, sealer: sealer)])
            }
            if rows.isEmpty { note("no source has a secret") }
            printTable(["SOURCE", "SEALED WITH", "STATUS"], rows)
        }

        /// What a sealed secret means for a rotation, given the tool's keys.
        static func status(of sealed: String, keyId: String?, sealer: SecretSealer?) -> String {
            guard let sealer else { return "-" }
            do { _ = try sealer.unseal(sealed) } catch { return "UNREADABLE: \(error)" }
            if keyId == sealer.currentKeyId { return "current" }
            return "unseals; `tributary keys rotate` re-seals it with \(sealer.currentKeyId)"
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate", abstract: "Re-seal every source's secret with the registrar's current key.",
            discussion: """
                Sends a rotate-keys command to the registrar's leader (the only writer of the sources topic) and \
                waits for its answer. With TRIBUTARY_SECRET_KEY set, the registrar refuses, changing nothing, unless \
                it seals with that same key. Fails when some source state cannot be read (sealed only with a key \
                no longer configured): those are named and left alone.
                """)
        @OptionGroup var cluster: ClusterOptions
        @OptionGroup var wait: CommandWaitOptions

        func run() async throws {
            let sealer = try cluster.sealer(required: false)
            let result = try await send(
                .rotateKeys(expectingKeyId: sealer?.currentKeyId, issuedBy: CommandClient.issuer()), cluster: cluster, wait: wait)
            if let unreadable = result.details?["unreadable"]?.objectValue, !unreadable.isEmpty {
                throw ToolError(
                    "\(unreadable.count) source state\(unreadable.count == 1 ? "" : "s") cannot be read: \(unreadable.keys.sorted().joined(separator: ", "))"
                )
            }
        }
    }
}
