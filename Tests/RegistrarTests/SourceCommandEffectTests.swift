import Foundation
import ServiceSupport
import Testing
import Tributary
@testable import TributaryRegistrar

/// The registrar's command queue and the effect of each source command, as values: no Kafka, no providers.
@Suite struct SourceCommandEffectTests {
    let sealer = try! SecretSealer(base64Key: SecretSealer.generateKey())
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func command(_ kind: CommandKind, _ target: String = "webhooks.resend", id: String) -> CommandRecord {
        CommandRecord(kind: kind, target: target, issuedBy: "test", id: id)
    }

    @Test func theQueueHoldsOnlyUnansweredCommandsOfHandledKindsInOrderOnceCaughtUp() {
        var queue = CommandQueue()
        queue.receive(.command(command(.setSecret, id: "a")))
        queue.receive(.command(command("rewind", "job-1", id: "r")))  // the runners' kind: never queued
        queue.receive(.command(command(.clearSecret, id: "b")))
        queue.receive(.command(command(.reregister, id: "c")))
        queue.receive(.result(command(.setSecret, id: "a").result(ok: true, message: "done", by: "old leader")))
        #expect(queue.next == nil, "nothing is applied before the topic was read to its end")
        queue.caughtUp()
        #expect(queue.next?.id == "b")
        #expect(queue.count == 2)
        queue.receive(.command(command(.clearSecret, id: "b")))  // a duplicate is not queued twice
        #expect(queue.count == 2)
        queue.applied("b")
        #expect(queue.next?.id == "c")
        queue.receive(.result(command(.clearSecret, id: "b").result(ok: true, message: "done", by: "me")))  // our own result
        #expect(queue.next?.id == "c")
        queue.applied("c")
        #expect(queue.next == nil)
    }

    @Test func setSecretUnsealsTheCommandAndSetsTheNewestState() throws {
        let existing = SourceState(
            key: "webhooks.resend", sourceId: "standardwebhooks", params: ["name": "resend"], active: true,
            registered: ["event": ["email.sent"]])
        let set = CommandRecord.setSecret(source: "webhooks.resend", sealedSecret: try sealer.seal("whsec_new"), issuedBy: "test")
        guard
            case .write(let state, let message) = SourceCommandEffect.of(set, entry: .state(existing), plan: nil, sealer: sealer, now: now)
        else {
            Issue.record("set-secret did not write")
            return
        }
        var expected = existing
        expected.secret = "whsec_new"
        expected.updatedAt = now
        #expect(state == expected)
        #expect(message == "secret set for webhooks.resend")
        expected.updatedAt = existing.updatedAt
        #expect(
            SourceCommandEffect.of(set, entry: .state(expected), plan: nil, sealer: sealer, now: now)
                == .unchanged("webhooks.resend already has this secret"))
    }

    @Test func setSecretCreatesAnUnknownSourceFromItsKeyOrItsDeclaration() throws {
        let set = CommandRecord.setSecret(source: "stripe.webhook", sealedSecret: try sealer.seal("whsec_1"), issuedBy: "test")
        guard case .write(let fromKey, _) = SourceCommandEffect.of(set, entry: nil, plan: nil, sealer: sealer, now: now) else {
            Issue.record("set-secret did not create the source")
            return
        }
        #expect(fromKey.sourceId == "stripe.webhook")
        #expect(fromKey.params == ["connect": false])
        #expect(fromKey.secret == "whsec_1")

        let declared = SourcePlan(
            key: "custom.key", sourceId: "standardwebhooks", version: "2", channel: .http, params: ["name": "custom"],
            jobs: ["job"], events: OptionChange(desired: ["e"], registered: []))
        let custom = CommandRecord.setSecret(source: "custom.key", sealedSecret: try sealer.seal("whsec_2"), issuedBy: "test")
        guard case .write(let fromPlan, _) = SourceCommandEffect.of(custom, entry: nil, plan: declared, sealer: sealer, now: now) else {
            Issue.record("set-secret did not create the declared source")
            return
        }
        #expect(fromPlan.sourceId == "standardwebhooks")
        #expect(fromPlan.version == "2")
        guard case .refuse(let reason) = SourceCommandEffect.of(custom, entry: nil, plan: nil, sealer: sealer, now: now) else {
            Issue.record("an undeclared unknown key was accepted")
            return
        }
        #expect(reason.contains("unknown source key custom.key"))
    }

    @Test func setSecretIsRefusedWhenTheCommandOrTheStateDoesNotUnseal() throws {
        let other = try SecretSealer(base64Key: SecretSealer.generateKey())
        let wrong = CommandRecord.setSecret(source: "webhooks.resend", sealedSecret: try other.seal("whsec_x"), issuedBy: "test")
        let state = SourceState(key: "webhooks.resend", sourceId: "standardwebhooks", active: true)
        for (command, entry) in [
            (wrong, SourceEntry.state(state)),
            (
                CommandRecord.setSecret(source: "webhooks.resend", sealedSecret: try sealer.seal("whsec_y"), issuedBy: "test"),
                SourceEntry.unreadable("cannot unseal secret (wrong key or tampered)")
            ),
        ] {
            guard case .refuse(let reason) = SourceCommandEffect.of(command, entry: entry, plan: nil, sealer: sealer, now: now) else {
                Issue.record("not refused: \(command) on \(entry)")
                continue
            }
            #expect(reason.contains("TRIBUTARY_SECRET_KEY"))
            #expect(reason.contains("nothing was changed"))
        }
        let empty = CommandRecord(kind: .setSecret, target: "webhooks.resend", issuedBy: "test")
        #expect(
            SourceCommandEffect.of(empty, entry: .state(state), plan: nil, sealer: sealer, now: now)
                == .refuse("set-secret for webhooks.resend carries no arguments.sealedSecret; nothing was changed"))
    }

    @Test func clearSecretAndReregisterNeedASource() {
        let withSecret = SourceState(key: "webhooks.resend", sourceId: "standardwebhooks", active: true, secret: "whsec_1")
        guard
            case .write(let cleared, _) = SourceCommandEffect.of(
                command(.clearSecret, id: "c"), entry: .state(withSecret), plan: nil, sealer: sealer, now: now)
        else {
            Issue.record("clear-secret did not write")
            return
        }
        #expect(cleared.secret == nil)
        guard case .refuse = SourceCommandEffect.of(command(.clearSecret, id: "c"), entry: nil, plan: nil, sealer: sealer, now: now) else {
            Issue.record("clear-secret of no source was accepted")
            return
        }
        #expect(
            SourceCommandEffect.of(command(.reregister, id: "r"), entry: .state(withSecret), plan: nil, sealer: sealer, now: now)
                == .reregister)
        guard case .refuse = SourceCommandEffect.of(command(.reregister, id: "r"), entry: nil, plan: nil, sealer: sealer, now: now) else {
            Issue.record("re-register of no source was accepted")
            return
        }
    }
    @Test func configureChecksAndKeepsAGenericSourcesSettings() throws {
        let settings: JSON = ["header": "X-Signature", "prefix": "sha256="]
        let configure = CommandRecord.configure(source: "hmac.acme", settings: settings, issuedBy: "test")
        // A source no job declares yet is created from its key, with the settings in its data.
        guard case .write(let created, let message) = SourceCommandEffect.of(configure, entry: nil, plan: nil, sealer: sealer, now: now)
        else {
            Issue.record("configure did not write")
            return
        }
        #expect(created.sourceId == "hmac" && created.data["settings"]?["header"] == "X-Signature" && created.secret == nil)
        #expect(message == "source hmac.acme created (hmac) with its settings")
        // The same settings again change nothing; a secret already set stays.
        var withSecret = created
        withSecret.secret = "s"
        #expect(
            SourceCommandEffect.of(configure, entry: .state(withSecret), plan: nil, sealer: sealer, now: now)
                == .unchanged("hmac.acme already has these settings"))
        let changed = CommandRecord.configure(source: "hmac.acme", settings: ["header": "X-Other"], issuedBy: "test")
        guard case .write(let updated, _) = SourceCommandEffect.of(changed, entry: .state(withSecret), plan: nil, sealer: sealer, now: now)
        else {
            Issue.record("configure did not write")
            return
        }
        #expect(updated.secret == "s" && updated.data["settings"]?["header"] == "X-Other")
    }

    @Test func configureRefusesBadSettingsAndSourcesWithoutSettings() {
        let cases: [(CommandRecord, String)] = [
            (
                .configure(source: "hmac.acme", settings: ["algorithm": "sha256"], issuedBy: "t"),
                "settings for hmac.acme: header is required; nothing was changed"
            ),
            (.configure(source: "hmac.acme", settings: ["header": "X", "colour": "red"], issuedBy: "t"), "unknown setting 'colour'"),
            (
                .configure(source: "stripe.webhook", settings: ["header": "X"], issuedBy: "t"),
                "source stripe.webhook (stripe.webhook) takes no settings"
            ),
            (.configure(source: "custom.key", settings: ["header": "X"], issuedBy: "t"), "unknown source key custom.key"),
            (CommandRecord(kind: .configure, target: "hmac.acme", issuedBy: "t"), "carries no arguments.settings object"),
        ]
        for (command, reason) in cases {
            let effect = SourceCommandEffect.of(command, entry: nil, plan: nil, sealer: sealer, now: now)
            guard case .refuse(let message) = effect else {
                Issue.record("\(command.target): \(effect) is not a refusal")
                continue
            }
            #expect(message.contains(reason), "\(message)")
        }
    }
}
