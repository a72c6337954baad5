#if canImport(Glibc)
import Glibc
#endif

/// Live progress: a bar redrawn in place on a terminal, otherwise a plain line to stderr every
/// few seconds (and one at the end of each phase). Called from one thread only.
final class ProgressDisplay {
    enum Mode {
        /// A one-line bar redrawn on stdout (a terminal).
        case bar
        /// Plain lines on stderr.
        case lines

        /// A bar when stdout is a terminal and it is not reserved for JSON; lines otherwise.
        static func choose(json: Bool) -> Mode { !json && isatty(1) == 1 ? .bar : .lines }
    }

    let mode: Mode
    let interval: Double
    private var lastLine = -Double.infinity
    private var lastPhase: DeliveryBenchmark.Progress.Phase?
    private var barDrawn = false

    init(mode: Mode, interval: Double) {
        self.mode = mode
        self.interval = interval
    }

    /// A message line (on stderr, clearing the bar first when one is drawn).
    func note(_ text: String) {
        if barDrawn { write(1, "\r\u{1B}[K"); barDrawn = false }
        printError(text)
    }

    func update(_ p: DeliveryBenchmark.Progress) {
        let phaseEnded = p.phase == .finished || (p.phase == .building && p.done == p.total)
        switch mode {
        case .bar:
            write(1, "\r" + barText(p) + "\u{1B}[K" + (phaseEnded ? "\n" : ""))
            barDrawn = !phaseEnded
        case .lines:
            let now = DeliveryBenchmark.now()
            if phaseEnded || lastPhase != p.phase || now - lastLine >= interval {
                lastLine = now
                printError(lineText(p))
            }
        }
        lastPhase = p.phase
    }

    private func rate(_ p: DeliveryBenchmark.Progress) -> Double { p.seconds > 0 ? Double(p.done) / p.seconds : 0 }

    private func eta(_ p: DeliveryBenchmark.Progress) -> String {
        let r = rate(p)
        guard r > 0, p.done < p.total else { return "0s" }
        let s = Double(p.total - p.done) / r
        return s >= 60 ? "\(Int(s) / 60)m\(Int(s) % 60)s" : "\(fmt(s, 0))s"
    }

    func barText(_ p: DeliveryBenchmark.Progress) -> String {
        let width = 30
        let fraction = p.total > 0 ? min(1, Double(p.done) / Double(p.total)) : 1
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let what = p.phase == .building ? "index" : "sent "
        return "\(what) [\(bar)] \(fmt(fraction * 100, 0).leftPadded(3))%  \(p.done)/\(p.total)  \(Int(rate(p)))/s  "
            + (p.phase == .finished || (p.phase == .building && p.done == p.total) ? "in \(fmt(p.seconds, 1))s" : "ETA \(eta(p))")
    }

    func lineText(_ p: DeliveryBenchmark.Progress) -> String {
        switch p.phase {
        case .building:
            return "progress: index \(p.done)/\(p.total) installations, \(Int(rate(p)))/s, \(fmt(p.seconds, 1))s"
        case .sending, .finished:
            let d = p.delivery
            return "progress: \(p.done)/\(p.total) notifications final (\(d.sent) sent, \(d.tokensDeleted) token_deleted, "
                + "\(d.failed) push_error), \(Int(rate(p)))/s, "
                + (p.phase == .finished ? "done in \(fmt(p.seconds, 1))s" : "ETA \(eta(p))")
        }
    }

    private func printError(_ text: String) { write(2, text + "\n") }

    private func write(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { _ = Glibc.write(fd, $0.baseAddress, $0.count) }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
