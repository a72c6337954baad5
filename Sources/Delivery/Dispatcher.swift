public import Gateways
public import PushIndex
public import PushModel
import Synchronization
import HTTP2Transport

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
    public func finished() async -> DeliveryProgress {
        for job in jobs.values { _ = await job.finished() }
        return progress
    }

    /// Blocks until finished or `timeout`; returns the progress.
    public func waitUntilFinished(timeout: Duration) -> DeliveryProgress {
        let deadline = monotonicNanoseconds() &+ timeout.wholeNanoseconds
        for job in jobs.values {
            let left = deadline > monotonicNanoseconds() ? deadline - monotonicNanoseconds() : 0
            _ = job.waitUntilFinished(timeout: .nanoseconds(Int64(clamping: left)))
        }
        return progress
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

/// Turns sends into streams of targets for the gateway senders of one app.
///
/// A campaign is a segment scan of the index: installations that match, have a token and opted
/// in are streamed in batches to the sender of their platform; each sender's window blocks the
/// scan threads when full, so memory depends on the window, never on the campaign size.
/// A transactional send resolves its recipients through the index first.
public final class Dispatcher: Sendable {
    /// The app's installations.
    public let index: ShardedIndex
    /// One sender per platform the app can reach.
    public let senders: [Platform: GatewaySender]
    /// Where final events go.
    public let sink: any DeliveryEventSink
    /// Installations per scan batch.
    public let scanBatchSize: Int
    /// Scan threads.
    public let scanParallelism: Int

    /// Creates a dispatcher.
    public init(index: ShardedIndex, senders: [Platform: GatewaySender], sink: any DeliveryEventSink,
                scanBatchSize: Int = 512, scanParallelism: Int = 2) {
        self.index = index
        self.senders = senders
        self.sink = sink
        self.scanBatchSize = max(1, scanBatchSize)
        self.scanParallelism = max(1, scanParallelism)
    }

    private func makeRun(_ source: DeliverySource, _ templates: [Platform: any GatewaySendTemplate],
                         sendRatePerMinute: Int?) throws(ValidationError) -> SendRun {
        var jobs: [Platform: DeliveryJob] = [:]
        for (platform, template) in templates {
            guard let sender = senders[platform] else {
                throw ValidationError(field: "platform", reason: .inconsistent("the app has no \(platform.rawValue) gateway configured"))
            }
            jobs[platform] = sender.makeJob(source: source, template: template, sink: sink, feedback: index,
                                            sendRatePerMinute: sendRatePerMinute)
        }
        guard !jobs.isEmpty else { throw ValidationError(field: "messages", reason: .empty) }
        return SendRun(source: source, jobs: jobs)
    }

    /// Starts a campaign: scans `segment` on background threads and sends to every matching
    /// installation with a token that opted in, on the platforms `templates` covers.
    /// - Throws: `ValidationError` before anything is sent when the segment names an unknown
    ///   audience or mistypes an attribute, or a platform has no sender.
    public func launchCampaign(_ token: SendToken, segment: Segment, templates: [Platform: any GatewaySendTemplate],
                               sendRatePerMinute: Int? = nil) throws(ValidationError) -> SendRun {
        let run = try makeRun(.campaign(token), templates, sendRatePerMinute: sendRatePerMinute)
        let target = Segment.and([segment, .hasToken, .pushOptIn(true)])
        _ = try index.count(matching: target, parallelism: 1)  // validates the segment before anything starts
        let senders = self.senders
        let (batchSize, parallelism, index) = (scanBatchSize, scanParallelism, self.index)
        startThread {
            do {
                // The slim scan: only what a request and its event need, and it stops at the
                // next batch once the run is cancelled.
                try index.scanTargets(target, batchSize: batchSize, parallelism: parallelism) { batch in
                    run.addScanned(batch.count)
                    return Dispatcher.route(batch, run: run, senders: senders)
                }
            } catch {
                run.cancel()  // the segment was validated above; only a concurrent audience deletion gets here
            }
            run.endTargeting()
        }
        return run
    }

    /// Routes scanned records to their platform's job, skipping cancelled jobs and opted-out
    /// installations. Returns false once the run is cancelled (the scan stops).
    static func route(_ batch: [TargetRecord], run: SendRun, senders: [Platform: GatewaySender]) -> Bool {
        var iOS: [DeliveryTarget] = [], android: [DeliveryTarget] = []
        let (iOSJob, androidJob) = (run.jobs[.iOS], run.jobs[.android])
        if iOSJob != nil { iOS.reserveCapacity(batch.count) }
        var skipped = 0
        for record in batch {
            guard record.pushOptIn else { skipped += 1; continue }
            switch record.platform {
            case .iOS where iOSJob != nil: iOS.append(DeliveryTarget(record))
            case .android where androidJob != nil: android.append(DeliveryTarget(record))
            default: skipped += 1
            }
        }
        run.addSkipped(skipped)
        if let job = iOSJob, let sender = senders[.iOS], !iOS.isEmpty, !job.isCancelled { sender.submit(iOS, to: job) }
        if let job = androidJob, let sender = senders[.android], !android.isEmpty, !job.isCancelled { sender.submit(android, to: job) }
        return !run.isCancelled
    }

    /// Routes resolved installations to their platform's job, skipping cancelled jobs.
    static func route(_ batch: [Installation], run: SendRun, senders: [Platform: GatewaySender]) {
        var byPlatform: [Platform: [DeliveryTarget]] = [:]
        var skipped = 0
        for installation in batch {
            guard run.jobs[installation.platform] != nil, installation.pushOptIn, let t = DeliveryTarget(installation) else {
                skipped += 1
                continue
            }
            byPlatform[installation.platform, default: []].append(t)
        }
        run.addSkipped(skipped)
        for (platform, targets) in byPlatform {
            guard let job = run.jobs[platform], let sender = senders[platform], !job.isCancelled else { continue }
            sender.submit(targets, to: job)
        }
    }

    /// Sends a transactional notification: resolves tokens, custom IDs, installation IDs and
    /// advertising IDs through the index (each installation once), then sends on a background thread.
    /// Recipients that resolve to no opted-in installation with a token are counted as `skipped`.
    /// - Throws: `ValidationError` when there are no recipients or a platform has no sender.
    public func sendTransactional(_ token: SendToken, groupID: GroupID, recipients: Recipients,
                                  templates: [Platform: any GatewaySendTemplate]) throws(ValidationError) -> SendRun {
        guard recipients.count > 0 else { throw ValidationError(field: "recipients", reason: .empty) }
        let run = try makeRun(.transactional(token, groupID), templates, sendRatePerMinute: nil)
        let (index, senders) = (self.index, self.senders)
        startThread {
            var seen = Set<InstallationID>()
            var resolved: [Installation] = []
            var unresolved = 0
            let ids = index.installationIDs(forTokens: recipients.tokens)
            for id in ids {
                guard let id, let i = index.installation(id) else { unresolved += 1; continue }
                if seen.insert(i.id).inserted { resolved.append(i) }
            }
            for customID in recipients.customIDs {
                let found = index.installations(forCustomID: customID)
                if found.isEmpty { unresolved += 1 }
                for i in found where seen.insert(i.id).inserted { resolved.append(i) }
            }
            for id in recipients.installationIDs {
                guard let i = index.installation(id) else { unresolved += 1; continue }
                if seen.insert(i.id).inserted { resolved.append(i) }
            }
            for advertisingID in recipients.advertisingIDs {
                let found = index.installations(forAdvertisingID: advertisingID)
                if found.isEmpty { unresolved += 1 }
                for i in found where seen.insert(i.id).inserted { resolved.append(i) }
            }
            run.addSkipped(unresolved)
            var start = 0
            while start < resolved.count {
                let end = min(resolved.count, start + 512)
                Dispatcher.route(Array(resolved[start..<end]), run: run, senders: senders)
                start = end
            }
            run.endTargeting()
        }
        return run
    }
}
