import PushJSON

extension IndexBenchmark.Result {
    /// One JSON object (`pushengine bench --index-only --json`): the headline keys, then details
    /// and the baseline. Figures are rounded to three decimals; a non-finite one is `null`.
    public var json: String {
        func number(_ d: Double) -> Double { d.isFinite ? (d * 1000).rounded() / 1000 : .nan }
        func figures(_ name: String, _ f: IndexBenchmark.Figures, to w: inout JSONWriter) {
            w.beginObject(name)
            w.int("installations", Int64(f.installations))
            w.double("build_seconds", number(f.buildSeconds))
            w.double("build_cpu_seconds", number(f.buildCPUSeconds))
            w.double("build_per_second", number(f.buildPerSecond))
            w.double("generate_seconds", number(f.generateSeconds))
            w.double("generate_cpu_seconds", number(f.generateCPUSeconds))
            w.double("bytes_per_installation", number(f.bytesPerInstallation))
            w.double("attribute_write_seconds", number(f.attributeSeconds))
            w.double("attribute_bytes_per_user", number(f.attributeBytesPerUser))
            w.double("lookups_per_second", number(f.lookupsPerSecond))
            w.double("full_lookups_per_second", number(f.fullLookupsPerSecond))
            w.double("lookup_cpu_seconds", number(f.lookupCPUSeconds))
            w.double("batched_lookups_per_second", number(f.batchedLookupsPerSecond))
            w.double("batched_lookup_cpu_seconds", number(f.batchedLookupCPUSeconds))
            w.double("scan_seconds", number(f.scanSeconds))
            w.double("scan_cpu_seconds", number(f.scanCPUSeconds))
            w.int("scan_matches", Int64(f.scanMatches))
            w.double("scan_ns_per_installation", number(f.scanNanosecondsPerInstallation))
            w.double("target_scan_seconds", number(f.targetScanSeconds))
            w.double("target_scan_cpu_seconds", number(f.targetScanCPUSeconds))
            w.int("target_scan_matches", Int64(f.targetScanMatches))
            w.double("field_scan_seconds", number(f.fieldScanSeconds))
            w.int("field_scan_matches", Int64(f.fieldScanMatches))
            w.endObject()
        }
        let i = index
        var w = JSONWriter(capacity: 2048)
        w.beginObject()
        w.int("installations", Int64(options.installations))
        w.raw("seed", Array(String(options.seed).utf8))  // UInt64: may exceed Int64
        w.int("threads", Int64(options.threads))
        w.int("shards", Int64(shards))
        w.double("index_build_seconds", number(i.buildSeconds))
        w.double("build_per_second", number(i.buildPerSecond))
        w.double("bytes_per_installation", number(i.bytesPerInstallation))
        w.double("lookups_per_second", number(i.lookupsPerSecond))
        w.double("scan_seconds", number(i.scanSeconds))
        w.int("peak_rss_bytes", Int64(peakRSSBytes))
        w.double("dependent_read_pairs_per_second", number(dependentReadPairsPerSecond))
        figures("index", i, to: &w)
        if let baseline { figures("baseline", baseline, to: &w) } else { w.null("baseline") }
        w.endObject()
        return String(decoding: w.bytes, as: UTF8.self)
    }
}
