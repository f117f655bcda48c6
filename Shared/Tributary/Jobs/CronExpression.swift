import Foundation

/// A standard 5-field cron expression (`minute hour day-of-month month day-of-week`), as Vixie cron
/// reads it: numbers, ranges (`1-5`), steps (`*/15`, `0-30/10`, `5/10`), lists (`1,15,30`), month
/// names (`JAN`–`DEC`) and day names (`SUN`–`SAT`, `0` and `7` are Sunday), case-insensitive, and the
/// macros `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`) and `@hourly`.
///
/// When both day-of-month and day-of-week are restricted (neither starts with `*`), a day matches
/// when **either** matches (`0 0 1 * MON` is the 1st of the month and every Monday); otherwise both
/// must match.
///
/// Times are wall-clock times in the schedule's time zone: each matching wall-clock minute fires at
/// most once. A time skipped by a daylight-saving change (02:30 when clocks jump from 02:00 to 03:00)
/// fires when the clocks have moved on (03:30); a time that occurs twice (clocks go back) fires at its
/// first occurrence only.
public struct CronExpression: Sendable, Hashable {
    /// The expression as written.
    public let text: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    /// 0 (Sunday) … 6 (Saturday).
    let daysOfWeek: Set<Int>
    let daysOfMonthRestricted: Bool
    let daysOfWeekRestricted: Bool

    private static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    private static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    private static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    /// Parses an expression; the error names the field that is wrong and why.
    public init(_ text: String) throws(CronExpressionError) {
        self.text = text
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let expanded = Self.macros[trimmed.lowercased()] ?? trimmed
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw CronExpressionError(
                expression: text, field: nil,
                reason: "expected 5 fields (minute hour day-of-month month day-of-week), found \(fields.count)")
        }
        minutes = try Self.parse(fields[0], field: "minute", range: 0...59, names: [], expression: text)
        hours = try Self.parse(fields[1], field: "hour", range: 0...23, names: [], expression: text)
        daysOfMonth = try Self.parse(fields[2], field: "day-of-month", range: 1...31, names: [], expression: text)
        months = try Self.parse(fields[3], field: "month", range: 1...12, names: Self.monthNames, nameBase: 1, expression: text)
        let weekdays = try Self.parse(fields[4], field: "day-of-week", range: 0...7, names: Self.dayNames, expression: text)
        daysOfWeek = Set(weekdays.map { $0 % 7 })
        daysOfMonthRestricted = !fields[2].hasPrefix("*")
        daysOfWeekRestricted = !fields[4].hasPrefix("*")
    }

    private static func parse(
        _ field: String, field name: String, range: ClosedRange<Int>, names: [String], nameBase: Int = 0, expression: String
    ) throws(CronExpressionError) -> Set<Int> {
        func fail(_ reason: String) -> CronExpressionError { CronExpressionError(expression: expression, field: name, reason: reason) }
        func value(_ token: String) throws(CronExpressionError) -> Int {
            if let index = names.firstIndex(of: token.uppercased()) { return index + nameBase }
            guard let number = Int(token), !token.isEmpty, token.allSatisfy(\.isASCII) else {
                throw fail("\"\(token)\" is not a number" + (names.isEmpty ? "" : " or a name (\(names.first!)…\(names.last!))"))
            }
            guard range.contains(number) else { throw fail("\(number) is out of range \(range.lowerBound)-\(range.upperBound)") }
            return number
        }
        var result = Set<Int>()
        for item in field.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard !item.isEmpty else { throw fail("empty list item in \"\(field)\"") }
            let parts = item.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count <= 2 else { throw fail("\"\(item)\" has more than one step") }
            var step = 1
            if parts.count == 2 {
                guard let s = Int(parts[1]), s > 0 else { throw fail("step \"\(parts[1])\" is not a positive number") }
                step = s
            }
            let lower: Int
            let upper: Int
            if parts[0] == "*" {
                (lower, upper) = (range.lowerBound, range.upperBound)
            } else if let dash = parts[0].firstIndex(of: "-") {
                lower = try value(String(parts[0][..<dash]))
                upper = try value(String(parts[0][parts[0].index(after: dash)...]))
                guard lower <= upper else { throw fail("range \(parts[0]) runs backwards") }
            } else {
                lower = try value(parts[0])
                upper = parts.count == 2 ? range.upperBound : lower  // `5/10`: from 5 to the end, every 10
            }
            result.formUnion(stride(from: lower, through: upper, by: step))
        }
        return result
    }

    /// Whether a wall-clock day matches (the day-of-month / day-of-week rule).
    func dayMatches(day: Int, weekday: Int) -> Bool {
        let dom = daysOfMonth.contains(day)
        let dow = daysOfWeek.contains(weekday)
        if daysOfMonthRestricted && daysOfWeekRestricted { return dom || dow }
        return dom && dow
    }

    /// The first time strictly after `date` that the expression matches in `timeZone`, or nil when it
    /// matches nothing in the next 8 years (e.g. `0 0 30 2 *`).
    public func next(after date: Date, in timeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var wall = WallTime(calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date))
        for _ in 0..<64 {
            guard let found = nextWall(after: wall) else { return nil }
            var components = DateComponents()
            (components.year, components.month, components.day) = (found.year, found.month, found.day)
            (components.hour, components.minute, components.second) = (found.hour, found.minute, 0)
            // A skipped wall-clock time maps forward; a repeated one maps to its first occurrence.
            if let instant = calendar.date(from: components), instant > date { return instant }
            wall = found
        }
        return nil
    }

    /// The next matching wall-clock minute after `wall`.
    private func nextWall(after wall: WallTime) -> WallTime? {
        var t = wall
        t.advanceMinute()
        let limit = wall.year + 8
        while t.year <= limit {
            if !months.contains(t.month) {
                t.nextMonth()
                continue
            }
            if t.day > WallTime.daysIn(year: t.year, month: t.month) {
                t.nextMonth()
                continue
            }
            if !dayMatches(day: t.day, weekday: t.weekday) {
                t.nextDay()
                continue
            }
            if !hours.contains(t.hour) {
                t.nextHour()
                continue
            }
            if !minutes.contains(t.minute) {
                t.advanceMinute()
                continue
            }
            return t
        }
        return nil
    }
}

/// A wall-clock minute, with no time zone: the arithmetic of the proleptic Gregorian calendar.
struct WallTime: Hashable {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int

    init(_ c: DateComponents) {
        year = c.year ?? 1970; month = c.month ?? 1; day = c.day ?? 1; hour = c.hour ?? 0; minute = c.minute ?? 0
    }

    static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// 0 (Sunday) … 6 (Saturday), from the days since 1970-01-01 (a Thursday).
    var weekday: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return ((days % 7) + 11) % 7
    }

    mutating func advanceMinute() {
        minute += 1
        if minute == 60 { nextHour() }
    }

    mutating func nextHour() {
        minute = 0
        hour += 1
        if hour == 24 { nextDay() }
    }

    mutating func nextDay() {
        minute = 0; hour = 0
        day += 1
        if day > Self.daysIn(year: year, month: month) { nextMonth() }
    }

    mutating func nextMonth() {
        minute = 0; hour = 0; day = 1
        month += 1
        if month == 13 { month = 1; year += 1 }
    }
}

/// An invalid cron expression: which field is wrong and why.
public struct CronExpressionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The expression as written.
    public var expression: String
    /// The field (`minute`, `hour`, `day-of-month`, `month`, `day-of-week`), nil when the shape is wrong.
    public var field: String?
    /// What is wrong.
    public var reason: String

    public var description: String {
        "cron expression \"\(expression)\": " + (field.map { "\($0): " } ?? "") + reason
    }
}
