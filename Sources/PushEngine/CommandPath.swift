import Delivery
import PushIndex
import PushModel
import PushSync

/// The one way an app's state changes: a command is validated, numbered, shown to the hook
/// (which may refuse it), then applied to the index, all under one lock per app, so sequence
/// order is application order. Delivery feedback (invalidated tokens) comes through here too.
///
/// The lock is held while the hook's `admit` and the index run, never while waiting for
/// durability; the index's own sharded locks are unchanged underneath.
final class CommandPath: DeliveryFeedback {
    let app: String
    let index: ShardedIndex
    let hook: (any CommandHook)?
    private let order = Locked<UInt64>(0)

    init(app: String, index: ShardedIndex, hook: (any CommandHook)?) {
        self.app = app
        self.index = index
        self.hook = hook
    }

    /// The last sequence number applied.
    var lastSequence: UInt64 { order.withLock { $0 } }

    /// Validates, numbers, admits and applies `command`; returns what it did and its number.
    /// Does not wait for durability (``apply(_:)`` does).
    func execute(_ command: AppCommand) throws(PushEngineError) -> (CommandOutcome, UInt64) {
        do { try command.validate() } catch { throw .validation(error) }
        // A bulk upsert is validated and hashed here, outside the lock, and loaded as prepared.
        var prepared: ShardedIndex.PreparedUpserts?
        if case .installation(.upsertMany(let all)) = command {
            do { prepared = try index.prepare(contentsOf: all) } catch { throw .validation(error) }
        }
        let (app, index, hook) = (self.app, self.index, self.hook)
        let batch = prepared
        let result: Result<(CommandOutcome, UInt64), PushEngineError> = order.withLock { last in
            let sequence = last &+ 1
            if let hook {
                do throws(CommandRefusal) {
                    try hook.admit(CommandRecord(app: app, sequence: sequence, command: command))
                } catch {
                    return .failure(.refused(error))
                }
            }
            last = sequence  // admitted: the number is used even if the index refuses below
            do throws(ValidationError) {
                if let batch { return .success((.upsertedMany(index.upsert(batch)), sequence)) }
                return .success((try CommandPath.run(command, on: index), sequence))
            } catch {
                // A check against state (an attribute retyped, …): replaying the record
                // reaches the same state and refuses it the same way.
                return .failure(.validation(error))
            }
        }
        return try result.get()
    }

    /// Applies and then waits until the hook says the record is durable.
    func apply(_ command: AppCommand) async throws(PushEngineError) -> CommandOutcome {
        let (outcome, sequence) = try execute(command)
        if let hook {
            do { try await hook.durable(through: sequence) } catch { throw .refused(error) }
        }
        return outcome
    }

    private static func run(_ command: AppCommand, on index: ShardedIndex) throws(ValidationError) -> CommandOutcome {
        var last: MutationOutcome?
        for mutation in command.mutations { last = try index.apply(mutation) }
        switch last {
        case .upserted(let o): return .upserted(o)
        case .tokenDeletion(let d): return .tokenRemoval(d)
        case .installationDeleted(let i): return .installationDeleted(i)
        case .attributesWritten(let n): return .attributesWritten(count: n)
        case .audience(let a): return .audience(a)
        case nil: preconditionFailure("a command without mutations")
        }
    }

    /// Delivery feedback, on event-loop threads: the token leaves through the command path
    /// (so a journal records it); nobody waits for its durability.
    func tokenInvalidated(_ token: DeviceToken, of installation: InstallationID, at invalidatedAt: Timestamp) -> Bool {
        guard let (outcome, _) = try? execute(.installation(.removeToken(token, installation: installation, invalidatedAt: invalidatedAt))) else {
            return false
        }
        return outcome == .tokenRemoval(.deleted)
    }
}
