#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Happens-before annotations for ThreadSanitizer, active only when the process runs under
/// it (the runtime's entry points are looked up once; in normal builds they are absent and
/// each annotation is one predictable branch).
enum ThreadSanitizer {
    typealias Annotation = @convention(c) (UnsafeRawPointer?) -> Void

    private static let entryPoints: (acquire: Annotation, release: Annotation)? = {
        guard let acquire = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__tsan_acquire"),
              let release = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__tsan_release") else { return nil }
        return (unsafeBitCast(acquire, to: Annotation.self), unsafeBitCast(release, to: Annotation.self))
    }()

    /// Marks the start of a critical section guarded by `lock`.
    @inline(__always)
    static func acquire(_ lock: AnyObject) {
        if let entryPoints { entryPoints.acquire(UnsafeRawPointer(Unmanaged.passUnretained(lock).toOpaque())) }
    }

    /// Marks the end of a critical section guarded by `lock`.
    @inline(__always)
    static func release(_ lock: AnyObject) {
        if let entryPoints { entryPoints.release(UnsafeRawPointer(Unmanaged.passUnretained(lock).toOpaque())) }
    }
}
