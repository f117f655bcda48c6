import Foundation
import Testing
import Tributary

/// The 5-field cron parser and `next(after:)` in a time zone, and interval schedules.
@Suite struct CronExpressionTests {
    static let utc = TimeZone(identifier: "UTC")!
    static let berlin = TimeZone(identifier: "Europe/Berlin")!
    static let newYork = TimeZone(identifier: "America/New_York")!

    static func at(_ text: String) -> Date { RFC3339.date(from: text)! }

    static func next(_ expression: String, after: String, in zone: TimeZone = utc) throws -> String? {
        let cron = try CronExpression(expression)
        return cron.next(after: at(after), in: zone).map(RFC3339.string(from:))
    }

    /// The first `count` ticks after `after`.
    static func sequence(_ expression: String, after: String, count: Int, in zone: TimeZone = utc) throws -> [String] {
        let cron = try CronExpression(expression)
        var result: [String] = []
        var t = at(after)
        for _ in 0..<count {
            guard let next = cron.next(after: t, in: zone) else { break }
            result.append(RFC3339.string(from: next))
            t = next
        }
        return result
    }

    @Test func weekdaysAtNineSkipTheWeekend() throws {
        // 2026-12-04 is a Friday.
        let ticks = try Self.sequence("0 9 * * 1-5", after: "2026-12-04T08:00:00Z", count: 3)
        #expect(ticks == ["2026-12-04T09:00:00Z", "2026-12-07T09:00:00Z", "2026-12-08T09:00:00Z"])
    }

    @Test func stepsListsRangesAndNames() throws {
        let every15 = try Self.sequence("*/15 * * * *", after: "2026-12-01T10:07:30Z", count: 3)
        #expect(every15 == ["2026-12-01T10:15:00Z", "2026-12-01T10:30:00Z", "2026-12-01T10:45:00Z"])
        let list = try Self.sequence("5,10-12 3 * * *", after: "2026-12-01T00:00:00Z", count: 5)
        #expect(
            list == [
                "2026-12-01T03:05:00Z", "2026-12-01T03:10:00Z", "2026-12-01T03:11:00Z", "2026-12-01T03:12:00Z", "2026-12-02T03:05:00Z",
            ])
        let named = try Self.sequence("0 0 1 jan,JUL *", after: "2026-12-01T00:00:00Z", count: 2)
        #expect(named == ["2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z"])
        let days = try Self.sequence("30 12 * * MON-WED", after: "2026-12-04T00:00:00Z", count: 3)
        #expect(days == ["2026-12-07T12:30:00Z", "2026-12-08T12:30:00Z", "2026-12-09T12:30:00Z"])
        let fromFiveEveryTwenty = try Self.sequence("5/20 0 * * *", after: "2026-12-01T00:00:00Z", count: 4)
        #expect(fromFiveEveryTwenty == ["2026-12-01T00:05:00Z", "2026-12-01T00:25:00Z", "2026-12-01T00:45:00Z", "2026-12-02T00:05:00Z"])
        let sunday = try Self.next("0 0 * * 7", after: "2026-12-01T00:00:00Z")
        #expect(sunday == "2026-12-06T00:00:00Z")
        let hourly = try Self.next("@hourly", after: "2026-12-01T10:00:00Z")
        #expect(hourly == "2026-12-01T11:00:00Z")
    }

    @Test func dayOfMonthAndDayOfWeekBothRestrictedMatchEither() throws {
        // The 1st of the month or any Monday (Vixie cron's rule); 2026-12-01 is a Tuesday.
        let either = try Self.sequence("0 0 1 * MON", after: "2026-11-30T12:00:00Z", count: 4)
        #expect(either == ["2026-12-01T00:00:00Z", "2026-12-07T00:00:00Z", "2026-12-14T00:00:00Z", "2026-12-21T00:00:00Z"])
        // A `*` day-of-week leaves day-of-month alone: only the 13th.
        let thirteenth = try Self.sequence("0 0 13 * *", after: "2026-12-01T00:00:00Z", count: 2)
        #expect(thirteenth == ["2026-12-13T00:00:00Z", "2027-01-13T00:00:00Z"])
        // `*/2` counts as unrestricted (it starts with `*`): Fridays that are also odd days.
        let oddFridays = try Self.sequence("0 0 */2 * FRI", after: "2026-12-01T00:00:00Z", count: 2)
        #expect(oddFridays == ["2026-12-11T00:00:00Z", "2026-12-25T00:00:00Z"])
        // The 31st only in months that have one; February 29th only in leap years.
        let leap = try Self.next("0 0 29 2 *", after: "2026-03-01T00:00:00Z")
        #expect(leap == "2028-02-29T00:00:00Z")
    }

    @Test func anImpossibleExpressionHasNoNextTick() throws {
        let never = try Self.next("0 0 30 2 *", after: "2026-01-01T00:00:00Z")
        #expect(never == nil)
    }

    @Test func timeZonesAndDaylightSavingTime() throws {
        // 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
        let winter = try Self.next("0 9 * * *", after: "2026-12-01T00:00:00Z", in: Self.berlin)
        #expect(winter == "2026-12-01T08:00:00Z")
        let summer = try Self.next("0 9 * * *", after: "2026-07-01T00:00:00Z", in: Self.berlin)
        #expect(summer == "2026-07-01T07:00:00Z")
        // Spring forward in New York (2026-03-08, 02:00 → 03:00): 02:30 does not exist that day; it
        // fires once, when the clocks have moved on, and at 02:30 again the next day.
        let spring = try Self.sequence("30 2 * * *", after: "2026-03-07T12:00:00Z", count: 3, in: Self.newYork)
        #expect(spring.count == 3)
        #expect(spring.first == "2026-03-08T07:30:00Z")  // 03:30 EDT
        #expect(spring.dropFirst().first == "2026-03-09T06:30:00Z")  // 02:30 EDT
        // Fall back (2026-11-01, 02:00 → 01:00): 01:30 happens twice; it fires at the first only.
        let fall = try Self.sequence("30 1 * * *", after: "2026-10-31T12:00:00Z", count: 2, in: Self.newYork)
        #expect(fall == ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"])
        // Every hour across the fall-back day: no wall-clock hour fires twice, and every tick is later than the last.
        let hours = try Self.sequence("0 * * * *", after: "2026-11-01T03:30:00Z", count: 6, in: Self.newYork)
        let instants = hours.map(Self.at)
        #expect(zip(instants, instants.dropFirst()).allSatisfy { $0 < $1 })
        #expect(Set(hours).count == 6)
    }

    @Test(arguments: [
        ("0 9 * *", nil as String?, "expected 5 fields"),
        ("60 * * * *", "minute", "60 is out of range 0-59"),
        ("0 24 * * *", "hour", "24 is out of range 0-23"),
        ("0 0 0 * *", "day-of-month", "0 is out of range 1-31"),
        ("0 0 * 13 *", "month", "13 is out of range 1-12"),
        ("0 0 * FOO *", "month", "\"FOO\" is not a number"),
        ("0 0 * * 8", "day-of-week", "8 is out of range 0-7"),
        ("0 0 * * FRI-MON", "day-of-week", "runs backwards"),
        ("*/0 * * * *", "minute", "step \"0\" is not a positive number"),
        ("1,,2 * * * *", "minute", "empty list item"),
    ])
    func invalidExpressionsNameTheField(_ expression: String, _ field: String?, _ reason: String) {
        var caught: CronExpressionError?
        do { _ = try CronExpression(expression) } catch { caught = error }
        let error = caught
        #expect(error?.field == field)
        let described = error?.description ?? ""
        #expect(described.contains(reason), "\(described)")
    }

    @Test func anInvalidCronTriggerIsRefusedWhenDeclared() {
        let job = Job(id: "bad", name: "Bad", version: "1", trigger: .cron("0 25 * * *")) { _, _, _ in }
        var message = ""
        do { _ = try job.declaration() } catch { message = "\(error)" }
        #expect(message.contains("hour: 25 is out of range 0-23"), "\(message)")
    }

    @Test func intervalsAreAlignedToTheEpoch() throws {
        let every5 = Schedule.interval(.minutes(5))
        let next = every5.next(after: Self.at("2026-12-01T10:07:30Z")).map(RFC3339.string(from:))
        #expect(next == "2026-12-01T10:10:00Z")
        let exactly = every5.next(after: Self.at("2026-12-01T10:10:00Z")).map(RFC3339.string(from:))
        #expect(exactly == "2026-12-01T10:15:00Z")
        let second = Schedule.interval(.seconds(1)).next(after: Self.at("2026-12-01T10:00:00.250Z")).map(RFC3339.string(from:))
        #expect(second == "2026-12-01T10:00:01Z")
        #expect(throws: ScheduleError.self) { try Schedule.interval(.milliseconds(500)).validate() }
        #expect(throws: ScheduleError.self) { try Schedule.interval(.seconds(5), catchUp: -1).validate() }
        #expect(every5.description == "every 5m")
    }

    @Test func aScheduleTravelsInItsDeclarationAndOldDeclarationsHaveNone() throws {
        let job = Job(
            id: "digest", name: "Digest", version: "1", trigger: .cron("0 9 * * 1-5", timeZone: Self.berlin, catchUp: 3)
        ) { _, _, _ in }
        let declaration = try job.declaration()
        let read = try TriggerDeclaration(record: try declaration.record())
        #expect(read.schedule == .cron("0 9 * * 1-5", timeZone: Self.berlin, catchUp: 3))
        #expect(read.events == ["tributary.schedule.tick"])
        #expect(read.eventSource == "tributary.schedule")
        let old = #"{"v":1,"jobId":"j","jobName":"J","version":"1","eventSource":"s","events":["e"],"filter":{}}"#
        let older = try TriggerDeclaration(record: WireRecord(key: Array("j".utf8), value: Array(old.utf8)))
        #expect(older.schedule == nil)
    }

    @Test func aTickTriggersOnlyItsOwnJob() throws {
        let mine = Job(id: "mine", name: "Mine", version: "1", trigger: .interval(.minutes(5))) { _, _, _ in }
        let other = Job(id: "other", name: "Other", version: "1", trigger: .interval(.minutes(5))) { _, _, _ in }
        let at = Self.at("2026-12-01T10:10:00Z")
        let tick = ScheduledTick(jobId: "mine", scheduledAt: at, previousScheduledAt: Self.at("2026-12-01T10:05:00Z"))
        let event = tick.event
        #expect(event.id == "mine@2026-12-01T10:10:00Z")
        #expect(event.timestamp == at)
        #expect(mine.matches(event))
        #expect(!other.matches(event))
        let declared = try mine.declaration()
        #expect(declared.matches(event))
        let otherDeclared = try other.declaration()
        #expect(!otherDeclared.matches(event))
        // The run id is deterministic: the same tick emitted twice runs once.
        let context = RunContext(job: mine, event: event, attempt: 1)
        #expect(context.runId == RunContext.runId(eventKey: "tributary.schedule/mine@2026-12-01T10:10:00Z", jobId: "mine"))
        #expect(context.event.timestamp == at)
        // Through the wire and back, the payload parses as the tick.
        let decoded = try CloudEvent.decode(CloudEvent.encode(event))
        let parsed = try ScheduledTick.specification.parse(decoded.payload)
        #expect(parsed == tick)
    }
}
