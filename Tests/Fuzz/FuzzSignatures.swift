import Foundation

// libFuzzer's entry point for the signature-header parsers (Tests/Fuzz/fuzz.sh builds and runs it).
// The first byte picks a scheme (or FUZZ_SCHEME does); the rest is split at the first 0x00 into a header value and a body.
// Every parser must return or throw, never crash or hang; a random header must never verify.

/// The secret every scheme is checked with.
let fuzzSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
/// The scheme to fuzz alone (`FUZZ_SCHEME=0…10`), or nil to pick by the first byte.
let fixedScheme = ProcessInfo.processInfo.environment["FUZZ_SCHEME"].flatMap(Int.init)
/// A fixed "now" so timestamped schemes are deterministic.
let fuzzNow = Date(timeIntervalSince1970: 1_721_917_438)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSignatures(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let rest = Array(bytes.dropFirst())
    let split = rest.firstIndex(of: 0) ?? rest.count
    let header = String(decoding: rest[..<split], as: UTF8.self)
    let body = split < rest.count ? Array(rest[(split + 1)...]) : []
    let second = header.split(separator: "|", maxSplits: 1).map(String.init)
    let first = second.first ?? "", other = second.count > 1 ? second[1] : ""
    var accepted = false
    switch fixedScheme ?? Int(bytes[0] % 11) {
    case 0: accepted = (try? StripeSignature().verify(body: body, header: header, secret: fuzzSecret, now: fuzzNow)) != nil
    case 1: accepted = (try? GitHubSignature().verify(body: body, header: header, secret: fuzzSecret)) != nil
    case 2: accepted = (try? ShopifySignature().verify(body: body, signature: header, secret: fuzzSecret)) != nil
    case 3: accepted = (try? TypeformSignature().verify(body: body, signature: header, secret: fuzzSecret)) != nil
    case 4: accepted = (try? LinearSignature().verify(body: body, signature: header, secret: fuzzSecret, now: fuzzNow)) != nil
    case 5:
        accepted = (try? SlackSignature().verify(body: body, timestamp: first, signature: other, secret: fuzzSecret, now: fuzzNow)) != nil
    case 6:
        accepted =
            (try? StandardWebhookSignature().verify(
                body: body, id: first, timestamp: other, signature: header, secret: "whsec_" + Data(fuzzSecret.utf8).base64EncodedString(),
                now: fuzzNow)) != nil
    case 7:
        accepted =
            (try? DiscordSignature().verify(
                body: body, timestamp: first, signature: other, publicKey: String(repeating: "ab", count: 32), now: fuzzNow)) != nil
    case 8:
        let url = "https://hooks.example.com/sources/twilio.support?" + first
        accepted = (try? TwilioSignature().verify(url: url, body: body, signature: other, authToken: fuzzSecret)) != nil
        _ = SecretRedaction.redact(url)
    case 9:
        // A generic HMAC scheme whose settings come from the input too (as an operator's would).
        let pairs = first.split(separator: ",").map(String.init)
        if let settings = try? GenericPresetSettings.parse(pairs: pairs),
            let decoded = try? settings.decode(as: GenericPresetSettings.self),
            let scheme = try? GenericPresets.scheme(sourceId: GenericPresets.hmacId, settings: decoded) as? GenericHMACSignature
        {
            accepted =
                (try? scheme.verify(body: body, signature: other, timestamp: "1721917438", secret: fuzzSecret, now: fuzzNow)) != nil
        }
    default:
        _ = Hex.decode(header)
    }
    if accepted { fatalError("a random header verified: \(Array(bytes.prefix(64)))") }
    return 0
}
