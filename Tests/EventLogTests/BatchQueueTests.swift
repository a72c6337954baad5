import Testing
@testable import EventLog

@Suite struct BatchQueueTests {
    func batch(_ count: Int) -> EventBatch {
        let record = EventRecord.subscription(.optIn, at: at("2017-07-24T09:00:00"), user: Reference.user)
        return EventBatch(app: Reference.app, platform: .iOS, records: Array(repeating: record, count: count))
    }

    @Test func boundsRecordsNotBatchesAndAdmitsAnOversizedBatchWhenEmpty() throws {
        let queue = BatchQueue(capacity: 10)
        #expect(try queue.tryPush(batch(25)), "an oversized batch goes through an empty queue")
        #expect(try queue.tryPush(batch(1)) == false)
        let work = queue.take(timeout: .zero)
        #expect(work.batches.map(\.records.count) == [25])
        #expect(try queue.tryPush(batch(6)))
        #expect(try queue.tryPush(batch(4)))
        #expect(try queue.tryPush(batch(1)) == false)
        #expect(queue.queuedRecordCount == 10)
    }

    @Test func refusalAndShutdownAreTypedErrors() throws {
        let queue = BatchQueue(capacity: 10)
        queue.setRefusal(.diskFull(path: "/spool/x"))
        #expect(throws: EventLogError.notAccepting(cause: .diskFull(path: "/spool/x"))) { try queue.push(batch(1)) }
        queue.setRefusal(nil)
        try queue.push(batch(1))
        queue.requestShutdown()
        #expect(throws: EventLogError.shutDown) { try queue.push(batch(1)) }
        let work = queue.take(timeout: .zero)
        #expect(work.shutdown)
        #expect(work.batches.count == 1, "what was accepted before shutdown is still handed to the writer")
    }

    @Test func takeReturnsAfterItsTimeoutWhenIdle() {
        let queue = BatchQueue(capacity: 1)
        let work = queue.take(timeout: .milliseconds(1))
        #expect(work.batches.isEmpty)
        #expect(!work.shutdown)
    }
}
