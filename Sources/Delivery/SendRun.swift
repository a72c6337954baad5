public import PushModel
import Synchronization

/// Who a transactional notification is for; every list may be empty but not all of them.
public struct Recipients: Sendable, Hashable {
    /// Push tokens.
    public var tokens: [DeviceToken]
    /// Custom IDs (every installation of each user).
    public var customIDs: [CustomID]
    /// Installation IDs.
    public var installationIDs: [InstallationID]
    /// Advertising IDs (every installation carrying each).
    public var advertisingIDs: [AdvertisingID]

    /// Creates a recipient list.
    public init(tokens: [DeviceToken] = [], customIDs: [CustomID] = [], installationIDs: [InstallationID] = [],
                advertisingIDs: [AdvertisingID] = []) {
        self.tokens = tokens
        self.customIDs = customIDs
        self.installationIDs = installationIDs
        self.advertisingIDs = advertisingIDs
    }

    /// Number of recipients given.
    public var count: Int { tokens.count + customIDs.count + installationIDs.count + advertisingIDs.count }
}

/// A running send: one ``DeliveryJob`` per platform, seen as one.
public final class SendRun: Sendable {
    /// The send's source (campaign or transactional, with its token).
    public let source: DeliverySource
    /// The jobs, by platform.
    public let jobs: [Platform: DeliveryJob]
    private let skipped = Atomic<Int>(0)
    private let scanned = Atomic<Int>(0)
    private let targetingError = Mutex<ValidationError?>(nil)

    init(source: DeliverySource, jobs: [Platform: DeliveryJob]) {
        self.source = source
        self.jobs = jobs
    }

    /// Progress summed over platforms.
    public var progress: DeliveryProgress {
        var total = DeliveryProgress.zero
        total.targetingFinished = true
        for job in jobs.values {
            let p = job.progress
            total.targeted += p.targeted
            total.sent += p.sent
            total.failed += p.failed
            total.tokensDeleted += p.tokensDeleted
            total.targetingFinished = total.targetingFinished && p.targetingFinished
            total.cancelled = total.cancelled || p.cancelled
        }
        total.skipped = skipped.load(ordering: .relaxed)
        return total
    }

    /// Request latency percentiles so far, merged over platforms and event loops: for each
    /// target whose final attempt was answered, the time from handing that request to the
    /// transport to its response.
    public func latencySummary() -> LatencySummary {
        var total = LatencyLane()
        for job in jobs.values { total.merge(job.latency.merged) }
        return total.summary
    }

    /// Stops targeting on every platform (see ``DeliveryJob/cancel()``).
    public func cancel() {
        for job in jobs.values { job.cancel() }
    }

    /// Waits until every targeted installation has its final event.
    /// - Throws: `CancellationError` when the waiting task is cancelled (the send goes on;
    ///   ``cancel()`` stops it).
    public func finished() async throws -> DeliveryProgress {
        for job in jobs.values { _ = try await job.finished() }
        return progress
    }

    /// Whether every targeted installation has its final event.
    public var isFinished: Bool { progress.isFinished }

    /// The progress every `interval` until the send is finished; the last element is the
    /// final progress. Ends early when the consuming task is cancelled.
    public func progressUpdates(every interval: Duration = .seconds(1)) -> AsyncStream<DeliveryProgress> {
        AsyncStream { continuation in
            let task = Task {
                while !Task.isCancelled {
                    let now = self.progress
                    if now.isFinished {
                        continuation.yield(now)
                        break
                    }
                    continuation.yield(now)
                    try? await Task.sleep(for: interval)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Installations the targeting scan has yielded so far (a campaign's scan stops early once
    /// the send is cancelled, so after a cancel this stays well below the segment's size).
    public var scannedCount: Int { scanned.load(ordering: .relaxed) }

    /// Whether every platform's job was cancelled.
    public var isCancelled: Bool { jobs.values.allSatisfy(\.isCancelled) }

    func addSkipped(_ n: Int) { if n > 0 { skipped.add(n, ordering: .relaxed) } }

    func addScanned(_ n: Int) { scanned.add(n, ordering: .relaxed) }

    func endTargeting() {
        for job in jobs.values { job.update { $0.targetingFinished = true } }
    }
}

