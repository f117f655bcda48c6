// The receiver benchmark's two helpers:
//
//   ReceiverBench setup <bootstrap> <prefix> <secret-key-base64> <out-dir>
//       writes a stripe.webhook source state (secret sealed) to <prefix>.sources, and a signed
//       Stripe price.created body and its Stripe-Signature header to <out-dir>/body.json and
//       <out-dir>/signature for wrk.
//   ReceiverBench rate <url> <requests-per-second> <seconds> <out-dir>
//       open-loop load at a fixed rate (requests start on schedule whatever the latency), then
//       prints p50, p99 and max latency and the status counts.
import AsyncHTTPClient
import Foundation
import TributaryKafka
import NIOCore
import ServiceSupport
import Tributary
import TributaryIntegrations

let arguments = CommandLine.arguments
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

switch arguments.count > 1 ? arguments[1] : "" {
case "setup":
    guard arguments.count == 6 else { fail("usage: ReceiverBench setup bootstrap prefix key out-dir") }
    let sealer = try SecretSealer(base64Key: arguments[4])
    let secret = "whsec_benchmarksecret"
    let state = SourceState(
        key: "stripe.webhook", sourceId: "stripe.webhook", params: ["connect": false], active: true, secret: secret)
    let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: arguments[2]))
    try await producer.send(KafkaProducerMessage(topic: "\(arguments[3]).sources", record: try state.record(sealer: sealer)))
    await producer.shutdown()
    let now = Int(Date().timeIntervalSince1970)
    // A realistic ~1 KB Stripe event.
    let body = Array(
        """
        {"id":"evt_1PbenchmarkAbCdEf","object":"event","api_version":"2024-06-20","created":\(now),"data":{"object":{"id":"price_1PbenchAbCdEfGh","object":"price","active":true,"billing_scheme":"per_unit","created":\(now),"currency":"usd","custom_unit_amount":null,"livemode":false,"lookup_key":null,"metadata":{"plan":"pro","team":"growth"},"nickname":"Pro monthly","product":"prod_QbenchAbCdEf","recurring":{"aggregate_usage":null,"interval":"month","interval_count":1,"meter":null,"trial_period_days":null,"usage_type":"licensed"},"tax_behavior":"exclusive","tiers_mode":null,"transform_quantity":null,"type":"recurring","unit_amount":2900,"unit_amount_decimal":"2900"}},"livemode":false,"pending_webhooks":1,"request":{"id":"req_benchAbCdEfGh","idempotency_key":"7f1c2b3a-benchmark-0000-0000-000000000000"},"type":"price.created"}
        """.utf8)
    let signature = StripeSignature.header(body: body, secrets: [secret], timestamp: Int64(now))
    try Data(body).write(to: URL(fileURLWithPath: arguments[5] + "/body.json"))
    try Data(signature.utf8).write(to: URL(fileURLWithPath: arguments[5] + "/signature"))
case "rate":
    guard arguments.count == 6, let rate = Double(arguments[3]), let seconds = Double(arguments[4]) else {
        fail("usage: ReceiverBench rate url rps seconds dir")
    }
    let url = arguments[2]
    let body = try Data(contentsOf: URL(fileURLWithPath: arguments[5] + "/body.json"))
    let signature = try String(contentsOfFile: arguments[5] + "/signature", encoding: .utf8)
    let total = Int(rate * seconds)
    let interval = Duration.seconds(1 / rate)
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    let start = ContinuousClock.now
    let results = await withTaskGroup(of: (Duration, Int).self) { group in
        for index in 0..<total {
            let due = start + interval * index
            try? await Task.sleep(until: due, clock: .continuous)
            group.addTask {
                var request = HTTPClientRequest(url: url)
                request.method = .POST
                request.headers.add(name: "Stripe-Signature", value: signature)
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: body))
                // Latency counts from when the request was due, so a slow server cannot hide queueing.
                do {
                    let response = try await client.execute(request, timeout: .seconds(30))
                    _ = try await response.body.collect(upTo: 1 << 20)
                    return (ContinuousClock.now - due, Int(response.status.code))
                } catch {
                    return (ContinuousClock.now - due, 0)
                }
            }
        }
        var results: [(Duration, Int)] = []
        for await result in group { results.append(result) }
        return results
    }
    try await client.shutdown()
    let latencies = results.map(\.0).sorted()
    func percentile(_ p: Double) -> String {
        let value = latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        return String(format: "%.2f ms", value.milliseconds)
    }
    let statuses = Dictionary(grouping: results.map(\.1), by: { $0 }).mapValues(\.count)
    print(
        "fixed rate \(Int(rate))/s for \(Int(seconds)) s: p50 \(percentile(0.5)), p99 \(percentile(0.99)), max \(percentile(1.0)); statuses \(statuses.sorted { $0.key < $1.key })"
    )
default:
    fail("usage: ReceiverBench setup|rate ...")
}
