// The Swift Kafka client's benchmark: the same three workloads as ceiling/kafka_ceiling.c.
//
//   KafkaBench <bootstrap> <topic> produce-batch|produce-single|consume <count>
//
// produce-batch awaits sendAll batches of 10,000 records.
import Foundation
import TributaryKafka
import Logging

let arguments = CommandLine.arguments
guard arguments.count >= 5, let count = Int(arguments[4]) else {
    FileHandle.standardError.write(Data("usage: KafkaBench bootstrap topic mode count\n".utf8))
    exit(2)
}
let (bootstrap, topic, mode) = (arguments[1], arguments[2], arguments[3])
let configuration = KafkaConfiguration(bootstrapServers: bootstrap)
var quiet = Logger(label: "bench")
quiet.logLevel = .error

func report(_ mode: String, _ count: Int, since start: ContinuousClock.Instant) {
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print("\(mode) \(count) records in \(String(format: "%.3f", seconds)) s = \(Int(Double(count) / seconds)) records/s")
}

switch mode {
case "produce-batch", "produce-single":
    let producer = try KafkaProducer(configuration: configuration, logger: quiet)
    let value = [UInt8](repeating: UInt8(ascii: "x"), count: 1024)
    try await producer.send(KafkaProducerMessage(topic: topic, key: nil, value: value))  // warm up
    let start = ContinuousClock.now
    if mode == "produce-single" {
        for index in 0..<count {
            try await producer.send(KafkaProducerMessage(topic: topic, key: "k\(index)", value: value))
        }
    } else {
        let batchSize = 10_000
        for first in stride(from: 0, to: count, by: batchSize) {
            let batch = (first..<min(count, first + batchSize)).map {
                KafkaProducerMessage(topic: topic, key: "k\($0)", value: value)
            }
            _ = try await producer.sendAll(batch)
        }
    }
    report(mode, count, since: start)
    await producer.shutdown()
case "consume":
    let reader = try KafkaTopicReader(configuration: configuration, topic: topic, logger: quiet)
    // Off the main actor, as a service's consuming task would be.
    let (received, start) = await Task.detached {
        var received = 0
        var start = ContinuousClock.now
        for await event in reader {
            guard case .message = event else { continue }
            if received == 0 { start = ContinuousClock.now }
            received += 1
            if received == count { break }
        }
        return (received, start)
    }.value
    report(mode, received, since: start)
    await reader.close()
default:
    FileHandle.standardError.write(Data("unknown mode \(mode)\n".utf8))
    exit(2)
}
