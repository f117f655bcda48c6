extension JSON {
    /// Where, in the JSON text `bytes`, the value at `path` (object keys from the top) is: its bytes
    /// can then be kept as they came instead of being written again from a parsed tree (a webhook
    /// handler's payload that is a part of the body). Nil when the path is not there, when a key on
    /// it appears twice in its object (which value a parser keeps is its own choice), or when the
    /// text is not well-formed JSON on the way. Skipped values are scanned, not built.
    public static func valueRange(of path: [String], in bytes: [UInt8]) -> Range<Int>? {
        bytes.withUnsafeBufferPointer { buffer in
            var scanner = JSONValueScanner(bytes: buffer)
            return scanner.find(path[...])
        }
    }
}

/// A forward scanner over JSON text that finds a key path's value and skips everything else.
private struct JSONValueScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func find(_ path: ArraySlice<String>) -> Range<Int>? {
        skipSpace()
        guard let key = path.first else {
            let start = index
            guard skipValue(depth: 0) else { return nil }
            return start..<index
        }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        var found: Range<Int>?
        var matches = 0
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { return nil }
        while true {
            skipSpace()
            // A key with an escape could spell the one sought: leave such text to the parser's tree.
            guard let name = string(), !name.contains(UInt8(ascii: "\\")) else { return nil }
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            skipSpace()
            if name.elementsEqual(key.utf8) {
                matches += 1
                let valueStart = index
                found = find(path.dropFirst())
                // Whatever the inner search found, go on from the end of this member's value.
                index = valueStart
                guard skipValue(depth: 0) else { return nil }
            } else {
                guard skipValue(depth: 0) else { return nil }
            }
            skipSpace()
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "}") else { return nil }
            index += 1
            return matches == 1 ? found : nil
        }
    }

    mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// A string's raw bytes between its quotes (escapes left as they are), the index past it.
    mutating func string() -> UnsafeBufferPointer<UInt8>? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        let start = index + 1
        var position = start
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "\\"): position += 2
            case UInt8(ascii: "\""):
                index = position + 1
                return UnsafeBufferPointer(rebasing: bytes[start..<position])
            default: position += 1
            }
        }
        return nil
    }

    mutating func skipValue(depth: Int) -> Bool {
        guard depth < 512, index < bytes.count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            return string() != nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = bytes[index] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let isObject = close == UInt8(ascii: "}")
            index += 1
            skipSpace()
            if index < bytes.count, bytes[index] == close {
                index += 1
                return true
            }
            while true {
                skipSpace()
                if isObject {
                    guard string() != nil else { return false }
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return false }
                    index += 1
                    skipSpace()
                }
                guard skipValue(depth: depth + 1) else { return false }
                skipSpace()
                guard index < bytes.count else { return false }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == close else { return false }
                index += 1
                return true
            }
        default:
            // A number or a literal: up to the next delimiter.
            let start = index
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09: return index > start
                default: index += 1
                }
            }
            return index > start
        }
    }
}
