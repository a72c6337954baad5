import PushSync
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Resident memory of this process, from `/proc` (Linux); 0 elsewhere.
public enum ProcessMemory {
    static func read(_ path: String) -> String {
        String(decoding: (try? PushFile.readAll(path: path, limit: 1 << 20)) ?? [], as: UTF8.self)
    }

    /// Current resident set size in bytes.
    public static func residentBytes() -> Int {
        let fields = read("/proc/self/statm").split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// CPU time of the whole process (user + system, all threads), in seconds.
    public static func cpuSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Peak resident set size (VmHWM) in bytes.
    public static func peakResidentBytes() -> Int {
        for line in read("/proc/self/status").split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return kb * 1024
        }
        return 0
    }
}
