import Foundation

// libFuzzer's entry point for Tributary's JSON parser (Tests/Fuzz/fuzz.sh builds and runs it): any
// bytes parse or throw, never crash or hang; what parses prints as JSON that parses to the same value.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let value = try? JSON(parsing: bytes) else { return 0 }
    let printed = value.encoded()
    guard let again = try? JSON(parsing: printed) else { fatalError("printed JSON does not parse: \(value.jsonString)") }
    if again != value { fatalError("the round trip changed \(value.jsonString) into \(again.jsonString)") }
    return 0
}
