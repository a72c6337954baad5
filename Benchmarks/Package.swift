// swift-tools-version:6.1
// Micro-benchmarks (ordo-one/benchmark): allocations and instructions per operation.
// End-to-end throughput is measured by scripts/bench-*.sh against a reference in the same run.
import PackageDescription

let package = Package(
    name: "PushEngineBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "PushEngine", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "IndexBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "PushIndex", package: "PushEngine"),
                .product(name: "PushModel", package: "PushEngine"),
            ],
            path: "Benchmarks/IndexBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "EventLogBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "EventLog", package: "PushEngine"),
                .product(name: "PushModel", package: "PushEngine"),
            ],
            path: "Benchmarks/EventLogBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "TransportBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "HTTP2Transport", package: "PushEngine"),
            ],
            path: "Benchmarks/TransportBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
