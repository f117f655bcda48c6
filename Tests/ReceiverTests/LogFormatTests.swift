import Logging
import ServiceSupport
import Synchronization
import Testing
import Tributary

@Suite("LOG_FORMAT and the JSON log lines")
struct LogFormatTests {
    final class Lines: Sendable {
        let lines = Mutex<[[UInt8]]>([])
    }

    @Test("LOG_FORMAT=json: one JSON object per line with the level, logger, message, timestamp and every metadata key")
    func jsonLines() throws {
        let lines = Lines()
        let provider = Logger.MetadataProvider { [LogKey.traceId: "0af7651916cd43dd8448eb211c80319c", LogKey.spanId: "b7ad6b7169203331"] }
        var logger = Logger(label: "tributary.test") { label in
            JSONLogHandler(label: label, metadataProvider: provider) { bytes in lines.lines.withLock { $0.append(bytes) } }
        }
        logger[metadataKey: LogKey.sourceKey] = "stripe.webhook"
        logger.warning(
            "webhook rejected\nover two lines",
            metadata: [LogKey.outcome: "bad_signature", "list": .array(["a", "b"]), LogKey.spanId: "override"])
        logger.debug("below the level: not printed")
        let written = lines.lines.withLock { $0 }
        try #require(written.count == 1)
        let text = String(decoding: written[0], as: UTF8.self)
        #expect(text.hasSuffix("\n") && text.dropLast().firstIndex(of: "\n") == nil, "one line: \(text)")
        let json = try JSON(parsing: text)
        #expect(json["level"]?.stringValue == "warning")
        #expect(json["logger"]?.stringValue == "tributary.test")
        #expect(json["message"]?.stringValue == "webhook rejected\nover two lines")
        #expect(json["source.key"]?.stringValue == "stripe.webhook")
        #expect(json["outcome"]?.stringValue == "bad_signature")
        #expect(json["list"] == .array(["a", "b"]))
        #expect(json["trace_id"]?.stringValue == "0af7651916cd43dd8448eb211c80319c")
        #expect(json["span_id"]?.stringValue == "override", "the line's own metadata wins over the provider's")
        let timestamp = try #require(json["timestamp"]?.stringValue)
        #expect(RFC3339.date(from: timestamp) != nil, "\(timestamp)")
    }

    /// Collects what a stream log handler writes.
    final class Text: TextOutputStream, Sendable {
        let text = Mutex("")
        func write(_ string: String) { text.withLock { $0 += string } }
    }

    @Test("LOG_FORMAT=text: swift-log's stream format, line for line (but the timestamp), the latest metadata")
    func textLines() throws {
        let provider = Logger.MetadataProvider { [LogKey.traceId: "0af7651916cd43dd8448eb211c80319c"] }
        let ours = Text()
        let theirs = Text()
        var logger = Logger(label: "tributary.test") { TextLogHandler(label: $0, metadataProvider: provider, stream: ours) }
        var reference = Logger(label: "tributary.test") { StreamLogHandler(label: $0, stream: theirs, metadataProvider: provider) }
        for index in 0..<3 {
            logger[metadataKey: "hb.request.id"] = "\(index)"
            reference[metadataKey: "hb.request.id"] = "\(index)"
        }
        logger[metadataKey: LogKey.sourceKey] = "stripe.webhook"
        reference[metadataKey: LogKey.sourceKey] = "stripe.webhook"
        logger.warning("webhook rejected", metadata: [LogKey.outcome: "bad_signature"])
        reference.warning("webhook rejected", metadata: [LogKey.outcome: "bad_signature"])
        logger.debug("below the level: not printed")
        logger.logLevel = .debug
        logger.debug("now printed")
        reference.logLevel = .debug
        reference.debug("now printed")
        let printed = ours.text.withLock { $0 }
        let expected = theirs.text.withLock { $0 }
        #expect(printed.split(separator: "\n").count == 2, "\(printed)")
        #expect(
            printed.contains("hb.request.id=2 outcome=bad_signature source.key=stripe.webhook trace_id=0af7651916cd43dd8448eb211c80319c"),
            "\(printed)")
        // The same lines but for their timestamps (to the second, which may tick between the two).
        let withoutTimes = { (text: String) in
            text.split(separator: "\n").map { $0.split(separator: " ").dropFirst().joined(separator: " ") }
        }
        #expect(withoutTimes(printed) == withoutTimes(expected))
    }

    @Test("LOG_FORMAT: text (default) or json, any case; anything else names the variable")
    func parsing() throws {
        #expect(try ServiceEnvironment([:]).logFormat() == .text)
        #expect(try ServiceEnvironment(["LOG_FORMAT": "JSON"]).logFormat() == .json)
        #expect(try ServiceEnvironment(["LOG_FORMAT": "text"]).logFormat() == .text)
        #expect {
            try ServiceEnvironment(["LOG_FORMAT": "logfmt"]).logFormat()
        } throws: { error in
            (error as? ConfigurationError)?.variable == "LOG_FORMAT" && "\(error)".contains("LOG_FORMAT=logfmt is not one of text, json")
        }
    }
}
