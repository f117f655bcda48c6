import Foundation
import TributaryKafka
import TestSupport
import Testing
import Tributary
import TributaryIntegrations

/// The whole system as separate processes: `tributary broker`, the fake Stripe API, the registrar,
/// the receiver and two runners, each started from its built executable.
@Suite("system: every service as its own process", .serialized, .tags(.processes), .notInFastRun)
struct SystemTests {
    static let prefix = "sys"
    static let stripeKey = "sk_test_system"

    @Test("registration, a signed webhook to one run, a forgery refused, a duplicate run once, a runner killed in a burst")
    func wholeStory() async throws {
        let broker = try ServiceProcess("broker", "tributary", ["broker", "--topic-prefix", Self.prefix, "--partitions", "4"])
        let bootstrap = try await broker.firstLine()
        let fake = try ServiceProcess("fake-providers", "fake-providers", ["--stripe-key", Self.stripeKey])
        let fakeBase = try await fake.firstLine()
        let receiverPort = try freePort()
        let publicURL = "http://127.0.0.1:\(receiverPort)"
        let secretKey = SecretSealer.generateKey()
        let common = [
            "KAFKA_BROKERS": bootstrap, "TRIBUTARY_TOPIC_PREFIX": Self.prefix, "TRIBUTARY_SECRET_KEY": secretKey,
        ]
        let registrar = try ServiceProcess(
            "registrar", "registrar",
            environment: common.merging([
                "PUBLIC_URL": publicURL, "STRIPE_API_KEY": Self.stripeKey, "STRIPE_API_BASE": fakeBase,
                "REGISTRAR_ADMIN_PORT": "0", "REGISTRAR_RESYNC_INTERVAL": "5s",
            ]) { _, new in new })
        let receiver = try ServiceProcess(
            "receiver", "receiver",
            environment: common.merging([
                "RECEIVER_HOST": "127.0.0.1", "RECEIVER_PORT": "\(receiverPort)",
            ]) { _, new in new })
        var runners = [
            try ServiceProcess("runner-1", "runner", environment: common.merging(["RUNNER_ADMIN_PORT": "0"]) { _, new in new }),
            try ServiceProcess("runner-2", "runner", environment: common.merging(["RUNNER_ADMIN_PORT": "0"]) { _, new in new }),
        ]
        defer {
            for process in [registrar, receiver, fake, broker] + runners { process.terminate() }
        }

        // 1. The registrar creates exactly one Stripe endpoint for the receiver's URL with price.created.
        var secret = ""
        try await eventually("the registrar created the Stripe endpoint", timeout: .seconds(90)) {
            guard let endpoints = try? await Self.stripeEndpoints(fakeBase), endpoints.count == 1 else { return false }
            let endpoint = endpoints[0]
            guard endpoint["url"]?.stringValue == "\(publicURL)/sources/stripe.webhook",
                endpoint["enabled_events"]?.arrayValue?.contains(.string("price.created")) == true,
                let found = endpoint["secret"]?.stringValue
            else { return false }
            secret = found
            return true
        }

        // 2. A price.created signed with the secret the fake handed out: 200, then one succeeded run.
        try await eventually("the receiver is ready", timeout: .seconds(60)) {
            (try? await HTTP.get("\(publicURL)/readyz").status) == 200
        }
        let first = Self.priceCreated(id: "evt_system_1", secret: secret)
        try await eventually("the receiver accepts the signed delivery (once it has the source)") {
            try await HTTP.post("\(publicURL)/sources/stripe.webhook", body: first.body, headers: first.headers) == 200
        }
        try await eventually("stripe-on-price succeeded for evt_system_1 with its log line", timeout: .seconds(60)) {
            let runs = try Self.runsFromTool(bootstrap)
            return runs.contains { run in
                run["jobId"]?.stringValue == "stripe-on-price" && run["eventId"]?.stringValue == "evt_system_1"
                    && run["status"]?.stringValue == "succeeded"
                    && (run["logs"]?.arrayValue ?? []).contains { $0["message"]?.stringValue == "price created!" }
            }
        }

        // 3. A forged signature: 401 and no run.
        let forged = Self.priceCreated(id: "evt_forged", secret: "whsec_not_the_secret")
        #expect(try await HTTP.post("\(publicURL)/sources/stripe.webhook", body: forged.body, headers: forged.headers) == 401)

        // 4. The same delivery twice: both accepted, one run.
        let duplicate = Self.priceCreated(id: "evt_duplicate", secret: secret)
        #expect(try await HTTP.post("\(publicURL)/sources/stripe.webhook", body: duplicate.body, headers: duplicate.headers) == 200)
        #expect(try await HTTP.post("\(publicURL)/sources/stripe.webhook", body: duplicate.body, headers: duplicate.headers) == 200)
        try await eventually("evt_duplicate ran", timeout: .seconds(60)) {
            try await Self.runRecords(bootstrap).contains { $0.eventId == "evt_duplicate" && $0.status == .succeeded }
        }
        let afterDuplicate = try await Self.runRecords(bootstrap)
        // Every record of a run carries its start (a started record may have been replaced by the final
        // one in the runner's queue); a second run would start anew.
        let starts = Set(afterDuplicate.filter { $0.eventId == "evt_duplicate" }.map(\.startedAt))
        #expect(starts.count == 1, "evt_duplicate started \(starts.count) times")
        #expect(!afterDuplicate.contains { $0.eventId == "evt_forged" }, "a forged delivery ran")

        // 5. A burst, with one runner killed (SIGKILL) in the middle: exactly one succeeded run per event.
        let burst = (0..<200).map { Self.priceCreated(id: "evt_burst_\($0)", secret: secret) }
        try await withThrowingTaskGroup(of: Int.self) { group in
            for (index, delivery) in burst.enumerated() {
                if index == 80 { runners[0].kill() }
                group.addTask {
                    // A provider retries until it gets a 2xx.
                    for _ in 0..<20 {
                        if try await HTTP.post("\(publicURL)/sources/stripe.webhook", body: delivery.body, headers: delivery.headers) == 200
                        {
                            return 200
                        }
                        try await Task.sleep(for: .milliseconds(200))
                    }
                    return 0
                }
                if index % 20 == 19 { try await Task.sleep(for: .milliseconds(50)) }
            }
            for try await status in group { #expect(status == 200) }
        }
        #expect(!runners[0].isRunning)
        try await eventually("every burst event has a succeeded run", timeout: .seconds(120)) {
            let succeeded = Set(try await Self.runRecords(bootstrap).filter { $0.status == .succeeded }.map(\.eventId))
            return (0..<200).allSatisfy { succeeded.contains("evt_burst_\($0)") }
        }
        let records = try await Self.runRecords(bootstrap)
        for index in 0..<200 {
            let succeeded = records.filter { $0.eventId == "evt_burst_\(index)" && $0.status == .succeeded }
            #expect(succeeded.count == 1, "evt_burst_\(index) succeeded \(succeeded.count) times")
        }
        runners.removeAll()
    }

    /// A Stripe `price.created` delivery signed with `secret`.
    static func priceCreated(id: String, secret: String) -> (body: [UInt8], headers: [(String, String)]) {
        let now = Int(Date().timeIntervalSince1970)
        let body = Array(
            """
            {"id":"\(id)","object":"event","api_version":"2024-06-20","created":\(now),"livemode":false,"type":"price.created","data":{"object":{"id":"price_\(id)","object":"price","currency":"usd","unit_amount":500,"active":true,"type":"one_time","product":"prod_1","livemode":false,"created":\(now)}}}
            """.utf8)
        return (body, [("Stripe-Signature", StripeSignature.header(body: body, secrets: [secret], timestamp: Int64(now)))])
    }

    static func stripeEndpoints(_ base: String) async throws -> [JSON] {
        let (status, body) = try await HTTP.get("\(base)/_fake/stripe/endpoints")
        guard status == 200 else { return [] }
        let json = try JSON(parsing: body)
        return json["data"]?.arrayValue ?? json.arrayValue ?? []
    }

    /// `tributary runs --json`: one JSON object per run, its latest state.
    static func runsFromTool(_ bootstrap: String) throws -> [JSON] {
        try runToCompletion("tributary", ["runs", "--json", "--brokers", bootstrap, "--topic-prefix", prefix])
            .split(separator: "\n").compactMap { try? JSON(parsing: String($0)) }
    }

    /// Every run record on `<p>.runs`, in order (not folded: a run that started twice shows twice).
    static func runRecords(_ bootstrap: String, prefix: String = prefix) async throws -> [RunRecord] {
        let reader = try KafkaTopicReader(configuration: KafkaConfiguration(bootstrapServers: bootstrap), topic: "\(prefix).runs")
        var records: [RunRecord] = []
        for await event in reader {
            switch event {
            case .message(let message):
                if let value = message.value, let run = try? RunRecord(record: WireRecord(key: message.key, value: value)) {
                    records.append(run)
                }
            case .caughtUp:
                await reader.close()
                return records
            }
        }
        return records
    }
}
