import PushIndex
public import PushModel
import Synchronization

/// The naive reference the index is measured against: `[String: Installation]` keyed by
/// the installation ID's text, a token dictionary and an attribute dictionary, all behind
/// one lock. Benchmark use only.
public final class DictionaryBaseline: Sendable {
    struct State: Sendable {
        var byID: [String: Installation] = [:]
        var byToken: [DeviceToken: String] = [:]
        var attributes: [CustomID: [AttributeName: AttributeValue]] = [:]
    }

    let state = Mutex(State())

    /// Creates an empty reference store.
    public init() {}

    /// Inserts or replaces an installation.
    public func upsert(_ i: Installation) {
        let key = i.id.description
        state.withLock { s in
            if let old = s.byID[key], let token = old.token { s.byToken[token] = nil }
            s.byID[key] = i
            if let token = i.token { s.byToken[token] = key }
        }
    }

    /// Merges attributes.
    public func setAttributes(_ values: [AttributeName: AttributeValue], for user: CustomID) {
        state.withLock { s in
            var current = s.attributes[user] ?? [:]
            for (k, v) in values { current[k] = v == .null ? nil : v }
            s.attributes[user] = current
        }
    }

    /// The installation holding a token.
    public func installation(forToken token: DeviceToken) -> Installation? {
        state.withLock { s in s.byToken[token].flatMap { s.byID[$0] } }
    }

    func scan(batchSize: Int, _ matches: (Installation, [CustomID: [AttributeName: AttributeValue]]) -> Bool,
              _ body: ([Installation]) -> Void) -> Int {
        var batches: [[Installation]] = []
        var total = 0
        state.withLock { s in
            var batch: [Installation] = []
            for i in s.byID.values where matches(i, s.attributes) {
                batch.append(i)
                if batch.count == batchSize { batches.append(batch); batch = [] }
            }
            if !batch.isEmpty { batches.append(batch) }
        }
        for b in batches { total += b.count; body(b) }
        return total
    }

    /// The benchmark's attribute scan.
    public func scanGoldOver30(batchSize: Int, _ body: ([Installation]) -> Void) -> Int {
        scan(batchSize: batchSize, { i, attributes in
            guard let user = i.customID, let values = attributes[user],
                  values[InstallationGenerator.tierName] == .string("gold"),
                  case .int(let age)? = values[InstallationGenerator.ageName] else { return false }
            return age > 30
        }, body)
    }

    /// The benchmark's field scan.
    public func scanFrenchOptedIn(batchSize: Int, _ body: ([Installation]) -> Void) -> Int {
        let fr = try! LanguageCode("fr")
        return scan(batchSize: batchSize, { i, _ in i.language == fr && i.pushOptIn }, body)
    }
}
