public import Gateways
public import PushIndex
public import PushModel
import Synchronization
import HTTP2Transport

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
    /// Where targeting runs (shared by every app of an engine).
    public let workers: SendWorkers
    /// Where invalidated tokens go (the app's command path; the index itself when nil).
    let feedback: any DeliveryFeedback

    /// Creates a dispatcher.
    /// - Parameter feedback: receives invalidated tokens; nil removes them from `index` directly.
    public init(index: ShardedIndex, senders: [Platform: GatewaySender], sink: any DeliveryEventSink,
                workers: SendWorkers, feedback: (any DeliveryFeedback)? = nil, scanBatchSize: Int = 512, scanParallelism: Int = 2) {
        self.index = index
        self.senders = senders
        self.sink = sink
        self.workers = workers
        self.feedback = feedback ?? index
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
            jobs[platform] = sender.makeJob(source: source, template: template, sink: sink, feedback: feedback,
                                            sendRatePerMinute: sendRatePerMinute)
        }
        guard !jobs.isEmpty else { throw ValidationError(field: "messages", reason: .empty) }
        return SendRun(source: source, jobs: jobs)
    }

    /// Starts a campaign: scans `segment` on a campaign worker (``SendWorkers``) and sends to every matching
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
        workers.runCampaign {
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
    /// advertising IDs through the index (each installation once) on a transactional worker
    /// (``SendWorkers``), then sends.
    /// Recipients that resolve to no opted-in installation with a token are counted as `skipped`.
    /// - Throws: `ValidationError` when there are no recipients or a platform has no sender.
    public func sendTransactional(_ token: SendToken, groupID: GroupID, recipients: Recipients,
                                  templates: [Platform: any GatewaySendTemplate]) throws(ValidationError) -> SendRun {
        guard recipients.count > 0 else { throw ValidationError(field: "recipients", reason: .empty) }
        let run = try makeRun(.transactional(token, groupID), templates, sendRatePerMinute: nil)
        let (index, senders) = (self.index, self.senders)
        workers.runTransactional {
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
