public import PushModel

/// A targeting expression over installation fields, custom attributes and audiences.
///
/// Attribute conditions read the attributes of the installation's custom ID; an
/// installation without a custom ID, or a user without that attribute, fails every
/// condition except through `not`. `notEquals` also needs the attribute to exist.
public indirect enum Segment: Hashable, Sendable {
    /// Every installation.
    case all
    /// Installations of one platform.
    case platform(Platform)
    /// Installations that accept (true) or refuse (false) notifications.
    case pushOptIn(Bool)
    /// Installations that currently have a push token.
    case hasToken
    /// Installations whose device language is this one.
    case language(LanguageCode)
    /// Installations whose device region is this one.
    case region(RegionCode)
    /// A condition on one custom attribute of the installation's user.
    case attribute(AttributeName, AttributeCondition)
    /// Installations last seen strictly before this moment (second precision).
    case lastSeenBefore(Timestamp)
    /// Installations last seen strictly after this moment (second precision).
    case lastSeenAfter(Timestamp)
    /// Installations listed in an audience: by custom ID, advertising ID or installation ID,
    /// depending on the audience's kind.
    case inAudience(AudienceName)
    /// All of the expressions (true when empty).
    case and([Segment])
    /// Any of the expressions (false when empty).
    case or([Segment])
    /// The negation.
    case not(Segment)

    /// Installations not listed in an audience.
    public static func notInAudience(_ name: AudienceName) -> Segment { .not(.inAudience(name)) }
}

/// A test on a custom attribute's value.
public enum AttributeCondition: Hashable, Sendable {
    /// Equal to the value (numbers compare numerically: an int attribute equals 3.0).
    case equals(AttributeValue)
    /// Present and different from the value.
    case notEquals(AttributeValue)
    /// Strictly less (numbers, dates, strings by bytes).
    case lessThan(AttributeValue)
    /// Strictly greater (numbers, dates, strings by bytes).
    case greaterThan(AttributeValue)
    /// Equal to one of the values.
    case isIn([AttributeValue])
    /// The attribute is set.
    case exists
    /// A tag-set attribute contains this tag.
    case contains(String)
}

/// A typed literal ready to compare with stored entries.
enum Literal: Sendable {
    case integer(Int64)  // int, date (ms), bool (0/1)
    case real(Double)
    case bytes([UInt8])
}

/// An attribute test resolved against the registry.
struct AttributeTest: Sendable {
    enum Kind: Sendable {
        case exists
        case equals(Literal)
        case notEquals(Literal)
        case less(Literal)
        case greater(Literal)
        case oneOf([Literal])
        case tag([UInt8])
    }
    let code: UInt16
    let kind: Kind
}

/// A test on a custom record, evaluated once per user per scan.
enum RecordAtom: Sendable {
    case attribute(AttributeTest)
    case customAudience(KeySet)
}

/// A segment compiled to postfix code over a bit stack, evaluated per row without
/// allocation or reference counting: instructions are plain values.
struct CompiledSegment: Sendable {
    /// One instruction: `op` with up to two operands.
    struct Instr: Sendable {
        var op: Op
        var a: UInt32 = 0
        var b: UInt32 = 0
    }

    enum Op: UInt8, Sendable {
        case constant           // a: 0 or 1
        case flags              // a: mask, b: value
        case hasToken
        case language           // a: packed code
        case region             // a: packed code
        case lastSeenBefore     // a: seconds
        case lastSeenAfter      // a: seconds
        case recordBit          // a: record term (row code), b: unused
        case atom               // a: record atom (term code only)
        case installationAudience  // a: audience slot
        case advertisingAudience   // a: audience slot
        case and                // pops two
        case or                 // pops two
        case not
    }

    /// The row program.
    var code: [Instr] = []
    /// Tests on a user's custom record (attributes, custom-ID audiences).
    var recordAtoms: [RecordAtom] = []
    /// Maximal sub-expressions made only of record atoms: evaluated once per user in phase
    /// one, so the row loop reads one bit per term instead of one per atom.
    var terms: [[Instr]] = []
    /// Each term's value for an installation without a custom record (all atoms false).
    var termDefaults: UInt64 = 0
    var audiences: [KeySet] = []

    /// Evaluates a term's code over the atom results of one record.
    static func evaluate(term code: [Instr], atoms: UInt32) -> Bool {
        code.withUnsafeBufferPointer { evaluate(term: $0, atoms: atoms) }
    }

    /// Evaluates a term's code over the atom results of one record.
    @inline(__always)
    static func evaluate(term code: UnsafeBufferPointer<Instr>, atoms: UInt32) -> Bool {
        var stack: UInt64 = 0
        for instr in code {
            switch instr.op {
            case .constant: stack = stack << 1 | UInt64(instr.a & 1)
            case .atom: stack = stack << 1 | UInt64(atoms >> instr.a & 1)
            case .and: stack = (stack >> 2) << 1 | (stack & 3 == 3 ? 1 : 0)
            case .or: stack = (stack >> 2) << 1 | (stack & 3 != 0 ? 1 : 0)
            case .not: stack ^= 1
            default: preconditionFailure("row instruction in a record term")
            }
        }
        return stack & 1 != 0
    }

    static let maxDepth = 64
    static let maxRecordAtoms = 32
    static let maxTerms = 64
}

extension ShardedIndex {
    /// Resolves names, types and audiences of a segment. Throws a `ValidationError` naming
    /// the offending part (unknown audience, wrong literal type, too deep).
    func compile(_ segment: Segment) throws(ValidationError) -> CompiledSegment {
        let registry = self.registry.withLock { $0 }
        let audienceSets = audienceStore.withLock { $0.sets }
        var out = CompiledSegment()
        var sink: [CompiledSegment.Instr] = []
        var inTerm = false
        var depth = 0
        var maxDepth = 0
        func push(_ op: CompiledSegment.Op, _ a: UInt32 = 0, _ b: UInt32 = 0) {
            sink.append(.init(op: op, a: a, b: b))
            depth += 1
            maxDepth = max(maxDepth, depth)
        }
        func recordOnly(_ s: Segment) -> Bool {
            switch s {
            case .attribute: return true
            case .inAudience(let name): return audienceSets[name]?.kind == .customIDs
            case .and(let parts), .or(let parts): return !parts.isEmpty && parts.allSatisfy(recordOnly)
            case .not(let inner): return recordOnly(inner)
            default: return false
            }
        }
        func emit(_ s: Segment) throws(ValidationError) {
            if !inTerm && recordOnly(s) {
                guard out.terms.count < CompiledSegment.maxTerms else {
                    throw ValidationError(field: "segment", reason: .tooLong(max: CompiledSegment.maxTerms))
                }
                let saved = sink
                sink = []
                inTerm = true
                try emit(s)
                inTerm = false
                let term = sink
                sink = saved
                out.terms.append(term)
                if CompiledSegment.evaluate(term: term, atoms: 0) { out.termDefaults |= 1 << UInt64(out.terms.count - 1) }
                depth -= 1
                push(.recordBit, UInt32(out.terms.count - 1))
                return
            }
            switch s {
            case .all: push(.constant, 1)
            case .platform(let p): push(.flags, UInt32(Row.android), p == .android ? UInt32(Row.android) : 0)
            case .pushOptIn(let b): push(.flags, UInt32(Row.optIn), b ? UInt32(Row.optIn) : 0)
            case .hasToken: push(.hasToken)
            case .language(let l): push(.language, UInt32(l.packed))
            case .region(let r): push(.region, UInt32(r.packed))
            case .lastSeenBefore(let t):
                // lastSeen < t  ⇔  lastSeen < ceil(t) in whole seconds.
                let ceilSeconds = t.secondsSince1970 + (t.millisecondsSince1970 % 1000 == 0 ? 0 : 1)
                push(.lastSeenBefore, UInt32(clamping: ceilSeconds))
            case .lastSeenAfter(let t): push(.lastSeenAfter, UInt32(clamping: t.secondsSince1970))
            case .attribute(let name, let condition):
                guard let (code, type) = registry.lookup(name) else {
                    push(.constant, 0)  // never written: no user has it
                    return
                }
                let test = try Self.resolve(condition, code: code, type: type, field: "segment.attribute.\(name.value)")
                guard out.recordAtoms.count < CompiledSegment.maxRecordAtoms else {
                    throw ValidationError(field: "segment", reason: .tooLong(max: CompiledSegment.maxRecordAtoms))
                }
                out.recordAtoms.append(.attribute(test))
                push(.atom, UInt32(out.recordAtoms.count - 1))
            case .inAudience(let name):
                guard let entry = audienceSets[name] else {
                    throw ValidationError(field: "segment.audience", reason: .notFound(name.value))
                }
                switch entry.kind {
                case .customIDs:
                    guard out.recordAtoms.count < CompiledSegment.maxRecordAtoms else {
                        throw ValidationError(field: "segment", reason: .tooLong(max: CompiledSegment.maxRecordAtoms))
                    }
                    out.recordAtoms.append(.customAudience(entry.keys))
                    push(.atom, UInt32(out.recordAtoms.count - 1))
                case .installationIDs:
                    out.audiences.append(entry.keys)
                    push(.installationAudience, UInt32(out.audiences.count - 1))
                case .advertisingIDs:
                    out.audiences.append(entry.keys)
                    push(.advertisingAudience, UInt32(out.audiences.count - 1))
                }
            case .and(let parts), .or(let parts):
                guard !parts.isEmpty else {
                    if case .and = s { push(.constant, 1) } else { push(.constant, 0) }
                    return
                }
                let isAnd: Bool
                if case .and = s { isAnd = true } else { isAnd = false }
                // Fold left, two values at a time: the stack grows by one per nesting level only.
                for (i, p) in parts.enumerated() {
                    try emit(p)
                    if i > 0 {
                        sink.append(.init(op: isAnd ? .and : .or))
                        depth -= 1
                    }
                }
            case .not(let inner):
                try emit(inner)
                sink.append(.init(op: .not))
            }
            guard maxDepth <= CompiledSegment.maxDepth else {
                throw ValidationError(field: "segment", reason: .tooLong(max: CompiledSegment.maxDepth))
            }
        }
        try emit(segment)
        out.code = sink
        return out
    }

    static func literal(_ value: AttributeValue, for type: AttributeType, field: String) throws(ValidationError) -> Literal {
        switch (type, value) {
        case (.int, .int(let v)): return .integer(v)
        case (.int, .double(let v)), (.double, .double(let v)): return .real(v)
        case (.double, .int(let v)): return .real(Double(v))
        case (.date, .date(let t)): return .integer(t.millisecondsSince1970)
        case (.bool, .bool(let b)): return .integer(b ? 1 : 0)
        case (.string, .string(let s)): return .bytes(Array(s.utf8))
        default:
            throw ValidationError(field: field, reason: .wrongType(expected: type.rawValue, actual: value.type?.rawValue ?? "null"))
        }
    }

    static func resolve(_ condition: AttributeCondition, code: UInt16, type: AttributeType, field: String) throws(ValidationError) -> AttributeTest {
        switch condition {
        case .exists:
            return AttributeTest(code: code, kind: .exists)
        case .contains(let tag):
            guard type == .tags else { throw ValidationError(field: field, reason: .wrongType(expected: "tags", actual: type.rawValue)) }
            return AttributeTest(code: code, kind: .tag(Array(tag.utf8)))
        case .equals(let v), .notEquals(let v), .lessThan(let v), .greaterThan(let v):
            guard type != .tags else {
                throw ValidationError(field: field, reason: .wrongType(expected: "contains or exists for tags", actual: "comparison"))
            }
            let lit = try literal(v, for: type, field: field)
            switch condition {
            case .equals: return AttributeTest(code: code, kind: .equals(lit))
            case .notEquals: return AttributeTest(code: code, kind: .notEquals(lit))
            default:
                guard type != .bool else {
                    throw ValidationError(field: field, reason: .wrongType(expected: "ordered type", actual: "bool"))
                }
                if case .lessThan = condition { return AttributeTest(code: code, kind: .less(lit)) }
                return AttributeTest(code: code, kind: .greater(lit))
            }
        case .isIn(let values):
            guard type != .tags else {
                throw ValidationError(field: field, reason: .wrongType(expected: "contains or exists for tags", actual: "in"))
            }
            var lits: [Literal] = []
            for v in values { lits.append(try literal(v, for: type, field: field)) }
            return AttributeTest(code: code, kind: .oneOf(lits))
        }
    }
}

/// A literal as phase one compares it: plain values, no references.
struct FlatLiteral: Sendable {
    enum Kind: UInt8, Sendable { case integer, real, bytes }
    var kind: Kind
    var integer: Int64 = 0
    var real: Double = 0
    /// For `bytes`: range in `FlatTests.bytes`, and the short-string payload when ≤ 7 bytes.
    var start: Int32 = 0
    var count: Int32 = 0
    var packed: UInt64 = 0
}

/// An attribute test as phase one runs it.
struct FlatTest: Sendable {
    enum Op: UInt8, Sendable { case exists, equals, notEquals, less, greater, oneOf, tag }
    var code: UInt16
    var op: Op
    /// The literal (`oneOf`: literals `first..<first + count` of `FlatTests.literals`).
    var literal: FlatLiteral
    var first: Int32 = 0
    var listCount: Int32 = 0
}

/// Every attribute test of a scan, flattened: the record loop touches no reference counts.
struct FlatTests: Sendable {
    var tests: [FlatTest] = []
    var literals: [FlatLiteral] = []
    var bytes: [UInt8] = []

    mutating func flatten(_ lit: Literal) -> FlatLiteral {
        switch lit {
        case .integer(let v): return FlatLiteral(kind: .integer, integer: v)
        case .real(let v): return FlatLiteral(kind: .real, real: v)
        case .bytes(let b):
            let start = Int32(bytes.count)
            bytes += b
            return FlatLiteral(kind: .bytes, start: start, count: Int32(b.count), packed: b.count <= 7 ? packShortString(b) : 0)
        }
    }

    mutating func add(_ test: AttributeTest) {
        var flat = FlatTest(code: test.code, op: .exists, literal: FlatLiteral(kind: .integer))
        switch test.kind {
        case .exists: flat.op = .exists
        case .equals(let l): flat.op = .equals; flat.literal = flatten(l)
        case .notEquals(let l): flat.op = .notEquals; flat.literal = flatten(l)
        case .less(let l): flat.op = .less; flat.literal = flatten(l)
        case .greater(let l): flat.op = .greater; flat.literal = flatten(l)
        case .tag(let t): flat.op = .tag; flat.literal = flatten(.bytes(t))
        case .oneOf(let list):
            flat.op = .oneOf
            flat.first = Int32(literals.count)
            flat.listCount = Int32(list.count)
            for l in list { literals.append(flatten(l)) }
        }
        tests.append(flat)
    }
}

@inline(__always)
private func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let n = min(a.count, b.count)
    var i = 0
    while i < n {
        if a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
        i += 1
    }
    return a.count < b.count ? -1 : (a.count > b.count ? 1 : 0)
}

extension KeyShard {
    /// Three-way comparison of a stored entry with a literal; nil when they cannot compare.
    @inline(__always)
    func compare(_ e: AttributeEntry, _ lit: FlatLiteral, _ bytes: UnsafeRawBufferPointer) -> Int? {
        switch (e.type, lit.kind) {
        case (.int, .integer), (.date, .integer), (.bool, .integer):
            let a = Int64(bitPattern: e.payload)
            return a < lit.integer ? -1 : (a > lit.integer ? 1 : 0)
        case (.int, .real):
            let a = Double(Int64(bitPattern: e.payload))
            return a < lit.real ? -1 : (a > lit.real ? 1 : 0)
        case (.double, .real):
            let a = Double(bitPattern: e.payload)
            return a < lit.real ? -1 : (a > lit.real ? 1 : 0)
        case (.shortString, .bytes):
            let wanted = UnsafeRawBufferPointer(rebasing: bytes[Int(lit.start)..<Int(lit.start + lit.count)])
            return withShortString(e.payload) { compareBytes($0, wanted) }
        case (.string, .bytes):
            let wanted = UnsafeRawBufferPointer(rebasing: bytes[Int(lit.start)..<Int(lit.start + lit.count)])
            return arena.with(UInt32(truncatingIfNeeded: e.payload >> 16), Int(e.payload & 0xFFFF)) { compareBytes($0, wanted) }
        default:
            return nil
        }
    }

    /// Whether a stored entry equals a literal (short strings compare as one word).
    @inline(__always)
    func equals(_ e: AttributeEntry, _ lit: FlatLiteral, _ bytes: UnsafeRawBufferPointer) -> Bool {
        if e.type == .shortString && lit.kind == .bytes {
            return lit.count <= 7 && e.payload == lit.packed
        }
        return compare(e, lit, bytes) == 0
    }

    /// Evaluates one attribute test on record `r`.
    @inline(__always)
    func evaluate(_ test: FlatTest, record r: Int, literals: UnsafeBufferPointer<FlatLiteral>, bytes: UnsafeRawBufferPointer) -> Bool {
        let rec = records[r]
        let found: AttributeEntry? = attributes.withUnsafeBufferPointer { entries in
            var i = Int(rec.attributeStart)
            let end = i + Int(rec.attributeCount)
            while i < end {
                if entries[i].name == test.code { return entries[i] }
                i += 1
            }
            return nil
        }
        guard let e = found else { return false }
        switch test.op {
        case .exists: return true
        case .equals: return equals(e, test.literal, bytes)
        case .notEquals: return compare(e, test.literal, bytes).map { $0 != 0 } ?? false
        case .less: return compare(e, test.literal, bytes) == -1
        case .greater: return compare(e, test.literal, bytes) == 1
        case .oneOf:
            for j in Int(test.first)..<Int(test.first + test.listCount) where equals(e, literals[j], bytes) { return true }
            return false
        case .tag:
            guard e.type == .tags else { return false }
            let wanted = UnsafeRawBufferPointer(rebasing: bytes[Int(test.literal.start)..<Int(test.literal.start + test.literal.count)])
            var hit = false
            forEachTag(e) { t in if !hit && compareBytes(t, wanted) == 0 { hit = true } }
            return hit
        }
    }
}
