#if canImport(Glibc)
import Glibc
#endif
import Dispatch

// Process-level helpers shared by the subcommands: signals and unbuffered output.

/// Blocks until SIGINT or SIGTERM. Nonisolated on purpose: the dispatch handlers run on a
/// background queue and must not inherit main-actor isolation.
func waitForTerminationSignal() {
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    signal(SIGPIPE, SIG_IGN)
    let received = DispatchSemaphore(value: 0)
    let queue = DispatchQueue(label: "pushengine.gateway.signals")
    let sources = [SIGINT, SIGTERM].map { number in
        let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
        source.setEventHandler { received.signal() }
        source.resume()
        return source
    }
    received.wait()
    for source in sources { source.cancel() }
}

/// Writes a line to stdout immediately (scripts wait for `listening on`).
func printLine(_ text: String) {
    let line = Array((text + "\n").utf8)
    line.withUnsafeBytes { _ = write(1, $0.baseAddress, $0.count) }
}

func printError(_ text: String) {
    let line = Array((text + "\n").utf8)
    line.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
}

/// Runs async work from a synchronous command and waits for it on the calling (main) thread.
/// The root command stays synchronous: an async main runs Dispatch's main loop, under which
/// valgrind (scripts/callgrind-per-notification.sh) crashes. The work runs on Swift's
/// cooperative pool; the main thread only waits.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let done = DispatchSemaphore(value: 0)
    // Written by the task before it signals, read after the wait: the semaphore orders them.
    nonisolated(unsafe) var outcome: Result<T, any Error>?
    Task {
        do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
        done.signal()
    }
    done.wait()
    return try outcome!.get()
}
