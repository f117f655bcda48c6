import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Tracing
import Tributary

/// One HTTP exchange with a provider API, retried on 429, 5xx and transport errors per a `RetryPolicy`.
/// Logs method, path and status only: never headers (credentials) or bodies (secrets).
struct ProviderHTTP: Sendable {
    /// A finished answer.
    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    var provider: String
    var httpClient: HTTPClient
    var retryPolicy: RetryPolicy
    var logger: Logger
    var timeout: Duration
    /// Turns an error answer's body into the provider's message.
    var errorMessage: @Sendable (_ status: Int, _ body: [UInt8]) -> String

    /// Sends the request, retrying as the policy says when `retry(status, headers)` agrees, and returns the
    /// 2xx answer; throws `ProviderAPIError` otherwise.
    func send(
        method: HTTPMethod, url: String, path: String, headers: HTTPHeaders, body: [UInt8]?,
        retryTransient: Bool = true,
        isRateLimited: @Sendable (Int, HTTPHeaders) -> Bool = { status, _ in status == 429 }
    ) async throws -> Response {
        // With a tracer installed (a registrar exporting traces), each call is a client span.
        guard !(InstrumentationSystem.tracer is NoOpTracer) else {
            return try await sendUntraced(
                method: method, url: url, path: path, headers: headers, body: body, retryTransient: retryTransient,
                isRateLimited: isRateLimited)
        }
        return try await withSpan("\(method.rawValue) \(path)", ofKind: .client) { span in
            span.attributes["http.request.method"] = method.rawValue
            span.attributes["url.path"] = path
            span.attributes["tributary.integration"] = provider.lowercased()
            let response = try await sendUntraced(
                method: method, url: url, path: path, headers: headers, body: body, retryTransient: retryTransient,
                isRateLimited: isRateLimited)
            span.attributes["http.response.status_code"] = response.status
            return response
        }
    }

    private func sendUntraced(
        method: HTTPMethod, url: String, path: String, headers: HTTPHeaders, body: [UInt8]?, retryTransient: Bool,
        isRateLimited: @Sendable (Int, HTTPHeaders) -> Bool
    ) async throws -> Response {
        let operation = "\(method.rawValue) \(path)"
        var attempt = 0
        while true {
            attempt += 1
            var request = HTTPClientRequest(url: url)
            request.method = method
            request.headers = headers
            if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
            let failure: ProviderAPIError
            let retriable: Bool
            var retryAfter: Duration?
            do {
                let response = try await httpClient.execute(
                    request,
                    timeout: .nanoseconds(timeout.nanoseconds))
                let collected = try await response.body.collect(upTo: 16 * 1024 * 1024)
                let bytes = Array(collected.readableBytesView)
                let status = Int(response.status.code)
                logger.debug(
                    "provider call",
                    metadata: ["provider": "\(provider)", "call": "\(operation)", "status": "\(status)", "attempt": "\(attempt)"])
                if (200..<300).contains(status) { return Response(status: status, headers: response.headers, body: bytes) }
                retryAfter = Self.retryAfter(response.headers)
                failure = ProviderAPIError(
                    provider: provider, operation: operation, status: status, message: errorMessage(status, bytes), retryAfter: retryAfter)
                retriable =
                    ((status >= 500 && retryTransient) || isRateLimited(status, response.headers))
                    && (retryAfter ?? .zero) <= retryPolicy.maxRetryAfter
            } catch {
                failure = ProviderAPIError(provider: provider, operation: operation, status: nil, message: "\(error)")
                retriable = retryTransient
            }
            guard retriable else { throw failure }
            guard attempt < retryPolicy.maxAttempts else { throw failure }
            let delay = retryPolicy.delay(afterAttempt: attempt, retryAfter: retryAfter)
            logger.notice(
                "provider call will be retried",
                metadata: [
                    "provider": "\(provider)", "call": "\(operation)", "status": "\(failure.status.map(String.init) ?? "none")",
                    "attempt": "\(attempt)", "delay": "\(delay)",
                ])
            try await Task.sleep(for: delay)
        }
    }

    /// `Retry-After` as seconds or an HTTP date.
    static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        guard let value = headers.first(name: "retry-after")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(value) { return Duration(seconds: max(0, seconds)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return Duration(seconds: max(0, date.timeIntervalSinceNow))
    }
}
