public import Delivery

extension SendRun {
    /// Waits for the end, at most `limit`: a send that hangs then fails the test's assertions
    /// instead of hanging the run. Returns the progress at that point.
    public func finished(within limit: Duration) async -> DeliveryProgress {
        await withTaskGroup(of: DeliveryProgress?.self) { group in
            group.addTask { try? await self.finished() }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? self.progress
        }
    }
}
