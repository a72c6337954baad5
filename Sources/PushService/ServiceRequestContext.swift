public import Foundation
public import Hummingbird

/// The request context of the REST API: Hummingbird's basic one, answering JSON with sorted keys
/// (stable output for people reading curl answers and for diffs).
public struct ServiceRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
    }

    public var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
