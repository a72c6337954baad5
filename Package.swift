// swift-tools-version:6.1
// PushEngine: an in-memory, high-throughput push delivery engine (APNs / FCM over HTTP/2).
// Layers and their dependency direction: docs/ARCHITECTURE.md.
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "PushEngine",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "pushengine", targets: ["pushengine"]),
        .library(name: "HTTP2Transport", targets: ["HTTP2Transport"]),
        .library(name: "PushCrypto", targets: ["PushCrypto"]),
        .library(name: "PushSync", targets: ["PushSync"]),
        .library(name: "PushModel", targets: ["PushModel"]),
        .library(name: "PushJSON", targets: ["PushJSON"]),
        .library(name: "PushIndex", targets: ["PushIndex"]),
        .library(name: "EventLog", targets: ["EventLog"]),
        .library(name: "Gateways", targets: ["Gateways"]),
        .library(name: "Delivery", targets: ["Delivery"]),
        .library(name: "MockGateway", targets: ["MockGateway"]),
        .library(name: "Replay", targets: ["Replay"]),
        .library(name: "PushEngine", targets: ["PushEngine"]),
        .library(name: "PushService", targets: ["PushService"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // The REST control plane only (issue 12); the data plane stays on HTTP2Transport.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // Layer 0: C. Only layer 1 imports these: HTTP2Transport (nghttp2, OpenSSL TLS) and
        // PushCrypto (OpenSSL crypto). Everything above layer 1 is pure Swift.
        .systemLibrary(
            name: "CNGHTTP2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(
            name: "CPushShims",
            dependencies: ["CNGHTTP2", "COpenSSL"]
        ),

        // Layer 1.
        .target(name: "PushSync", swiftSettings: strict),
        .target(
            name: "HTTP2Transport",
            dependencies: [
                "PushSync",
                "CNGHTTP2", "COpenSSL", "CPushShims",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "PushCrypto",
            dependencies: ["COpenSSL", "CPushShims", "PushSync"],
            swiftSettings: strict
        ),
        .target(name: "PushModel", swiftSettings: strict),
        // The one JSON reader and writer of the data plane (codecs, mock gateway, bench).
        .target(name: "PushJSON", swiftSettings: strict),

        // Layer 2.
        .target(name: "PushIndex", dependencies: ["PushModel", "PushSync"], swiftSettings: strict),
        .target(name: "EventLog", dependencies: ["PushJSON", "PushModel", "PushSync"], swiftSettings: strict),

        // Gateways uses HTTP2Transport only for its public request/header-block types.
        .target(name: "Gateways", dependencies: ["HTTP2Transport", "PushCrypto", "PushJSON", "PushModel", "PushSync"], swiftSettings: strict),

        // Layer 3.
        .target(
            name: "Delivery",
            dependencies: [
                "Gateways", "HTTP2Transport", "PushModel", "PushIndex", "EventLog", "PushSync",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "MockGateway",
            dependencies: [
                "HTTP2Transport", "PushCrypto", "PushJSON", "PushModel", "PushSync",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // Event logs of earlier runs turned into mock-gateway scenarios (record/replay).
        .target(name: "Replay", dependencies: ["MockGateway"], swiftSettings: strict),

        // Layer 4: the embeddable facade.
        .target(
            name: "PushEngine",
            dependencies: [
                "Delivery", "Gateways", "HTTP2Transport", "PushCrypto", "PushModel", "PushIndex", "EventLog", "PushSync",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // Layer 4.5: benchmark drivers (index, delivery, fan-out bench), not a product.
        .target(
            name: "PushBench",
            dependencies: [
                "PushEngine", "Delivery", "Gateways", "HTTP2Transport", "MockGateway", "PushCrypto", "PushIndex", "PushJSON", "PushModel",
                "PushSync", "EventLog",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // Layer 5: the engine as a service: a Batch-shaped REST API on Hummingbird 2 (control
        // plane only), config file, embedded mock gateway, metrics. `pushengine serve` runs it.
        .target(
            name: "PushService",
            dependencies: [
                "PushEngine", "Delivery", "Gateways", "HTTP2Transport", "MockGateway", "PushCrypto", "PushIndex", "PushModel",
                "EventLog",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // Layer 5: the thin executable.
        .executableTarget(
            name: "pushengine",
            dependencies: [
                "HTTP2Transport", "PushCrypto", "PushModel", "PushJSON", "PushSync", "EventLog", "MockGateway", "Replay", "PushBench",
                "PushService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // Helpers shared by more than one test target (certificates, processes, temporary paths,
        // loopback handlers, delivery test data); not a product.
        .target(
            name: "PushTestSupport",
            dependencies: ["Delivery", "HTTP2Transport", "MockGateway", "PushCrypto", "PushIndex", "PushJSON", "PushModel", "PushSync"],
            swiftSettings: strict
        ),

        .testTarget(name: "HTTP2TransportTests", dependencies: ["HTTP2Transport", "PushSync", "PushTestSupport"], swiftSettings: strict),
        .testTarget(name: "PushCryptoTests", dependencies: ["PushCrypto", "HTTP2Transport", "PushTestSupport"], swiftSettings: strict),
        .testTarget(name: "PushJSONTests", dependencies: ["PushJSON"], swiftSettings: strict),
        .testTarget(name: "PushModelTests", dependencies: ["PushModel"], swiftSettings: strict),
        .testTarget(name: "PushIndexTests", dependencies: ["PushIndex", "PushModel", "PushSync"], swiftSettings: strict),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog", "PushModel"], swiftSettings: strict),
        .testTarget(name: "GatewaysTests", dependencies: ["Gateways", "HTTP2Transport", "PushCrypto", "PushJSON", "PushModel"], swiftSettings: strict),
        .testTarget(
            name: "DeliveryTests",
            dependencies: ["Delivery", "EventLog", "Gateways", "HTTP2Transport", "MockGateway", "PushCrypto", "PushIndex", "PushJSON",
                           "PushModel", "PushSync", "PushTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(name: "ReplayTests", dependencies: ["Replay", "MockGateway", "HTTP2Transport", "PushJSON"], swiftSettings: strict),
        .testTarget(
            name: "MockGatewayTests",
            dependencies: ["MockGateway", "HTTP2Transport", "PushCrypto", "PushJSON", "PushModel", "PushSync", "PushTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PushEngineTests",
            dependencies: ["PushEngine", "Delivery", "EventLog", "Gateways", "HTTP2Transport", "MockGateway", "PushCrypto", "PushIndex",
                           "PushModel", "PushTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PushServiceTests",
            dependencies: ["PushService", "PushEngine", "Delivery", "EventLog", "MockGateway", "PushModel",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "HTTPTypes", package: "swift-http-types"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
    ]
)
