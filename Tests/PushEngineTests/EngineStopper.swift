import PushEngine

/// Shuts an engine down when a test leaves its scope, also by a thrown error: `defer` cannot
/// await, so the shutdown runs in a task of its own and ``later()`` returns at once.
struct EngineStopper {
    let engine: PushEngine
    init(_ engine: PushEngine) { self.engine = engine }
    func later() {
        let engine = self.engine
        Task { await engine.shutdown(timeout: .seconds(5)) }
    }
}
