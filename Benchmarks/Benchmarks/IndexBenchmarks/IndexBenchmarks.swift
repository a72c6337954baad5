import Benchmark
import PushIndex
import PushModel

// Allocations and time per operation on a 100,000-installation index built from the
// deterministic generator. Throughput at 10M installations against a dictionary baseline is
// measured by `pushengine bench --index-only` (see PERFORMANCE.md).
let benchmarks: @Sendable () -> Void = {
    let size = 100_000
    let generator = InstallationGenerator(seed: 7)
    let index = ShardedIndex(configuration: .init(rowShards: 64, keyShards: 64, expectedInstallations: size))
    for i in 0..<size { _ = try! index.upsert(generator.installation(i)) }
    for i in 0..<size {
        if let user = generator.customID(i) { _ = try! index.setAttributes(generator.attributes(i), for: user) }
    }
    let tokens = (0..<4_096).map { generator.token($0 * 24 % size) }
    let ids = (0..<4_096).map { generator.installation($0 * 24 % size).id }
    let updates = (0..<4_096).map { i -> Installation in
        var installation = generator.installation(i * 24 % size)
        installation.lastSeenAt = Timestamp(secondsSince1970: 1_800_000_000)
        return installation
    }
    let configuration = Benchmark.Configuration(
        metrics: [.mallocCountTotal, .wallClock, .throughput], maxDuration: .seconds(2), maxIterations: 1_000_000)

    Benchmark("Index.tokenLookup.installationID", configuration: configuration) { benchmark in
        for i in benchmark.scaledIterations { blackHole(index.installationID(forToken: tokens[i & 4_095])) }
    }

    Benchmark("Index.tokenLookup.installation", configuration: configuration) { benchmark in
        for i in benchmark.scaledIterations { blackHole(index.installation(forToken: tokens[i & 4_095])) }
    }

    Benchmark("Index.idLookup", configuration: configuration) { benchmark in
        for i in benchmark.scaledIterations { blackHole(index.installation(ids[i & 4_095])) }
    }

    Benchmark("Index.upsert.existing", configuration: configuration) { benchmark in
        for i in benchmark.scaledIterations { blackHole(try! index.upsert(updates[i & 4_095])) }
    }

    // The bulk path on existing installations, 512 a call (as the 10M build uses it): time
    // and mallocs per call; divide by 512 for one installation.
    let bulk = Array(updates[0..<512])
    Benchmark("Index.upsert.existing.bulk512", configuration: .init(
        metrics: [.mallocCountTotal, .wallClock, .throughput], maxDuration: .seconds(2), maxIterations: 10_000)) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try! index.upsert(contentsOf: bulk)) }
    }

    Benchmark("Index.tokenLookup.batch4096", configuration: .init(
        metrics: [.mallocCountTotal, .wallClock, .throughput], maxDuration: .seconds(2), maxIterations: 10_000)) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(index.installationIDs(forTokens: tokens)) }
    }

    let segment = Segment.and([
        .attribute(InstallationGenerator.tierName, .equals(.string("gold"))),
        .attribute(InstallationGenerator.ageName, .greaterThan(.int(30))),
        .pushOptIn(true),
    ])
    Benchmark("Index.count.twoAttributes", configuration: .init(
        metrics: [.mallocCountTotal, .wallClock], maxDuration: .seconds(2), maxIterations: 200)) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try! index.count(matching: segment, parallelism: 1)) }
    }

    // The delivery scan: every matching installation with a token, as TargetRecords.
    Benchmark("Index.scanTargets.twoAttributes", configuration: .init(
        metrics: [.mallocCountTotal, .wallClock], maxDuration: .seconds(2), maxIterations: 200)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! index.scanTargets(segment, batchSize: 1024, parallelism: 1) { batch in batch.count > 0 })
        }
    }
}
