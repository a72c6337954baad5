import Benchmark

// Placeholder until the area's issue fills it in; keeps the package building.
let benchmarks: @Sendable () -> Void = {
    Benchmark("IndexBenchmarks.placeholder", configuration: .init(metrics: [.mallocCountTotal], maxIterations: 10)) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(benchmark.scaledIterations.count) }
    }
}
