// The in-flight slot table: one slot per target between submission and final event, with its
// wire state (serial, on the wire, send time) in a parallel array.
extension GatewaySender {
    struct Slot {
        var target: DeliveryTarget
        var job: DeliveryJob
        var attempt: Int
        var firstSent: UInt64
        var credentialRetried: Bool
        var generation: UInt64
        /// The message variant (language) the target gets, fixed at its first attempt.
        var variant: Int = 0
    }

    /// A slot's wire state, kept apart from the slot in a plain array: every completion reads
    /// it, and reading fields through `[Slot?]` copies the whole slot.
    struct Wire {
        /// Grows with each submission; the wire tag carries it, so a completion for an earlier
        /// submission (one the watchdog already gave up on) is recognised as stale.
        var serial: UInt32 = 0
        /// A request for this slot is with the transport.
        var onTheWire = false
        /// When the current request was handed to the transport (monotonic ns).
        var sentAt: UInt64 = 0
    }

    struct SlotTable {
        var slots: [Slot?] = []
        /// `wire[i]` belongs to `slots[i]`.
        var wire: [Wire] = []
        var free: [Int] = []
        var used = 0
        /// The most slots ever used at once (the high-water mark of `used`).
        var peak = 0

        /// Inserts a slot whose first request is about to be handed to the transport.
        mutating func insert(_ slot: consuming Slot, sentAt: UInt64) -> Int {
            used += 1
            peak = max(peak, used)
            if let i = free.popLast() {
                slots[i] = slot
                wire[i].serial &+= 1
                wire[i].onTheWire = true
                wire[i].sentAt = sentAt
                return i
            }
            slots.append(slot)
            wire.append(Wire(serial: 1, onTheWire: true, sentAt: sentAt))
            return slots.count - 1
        }

        /// Moves the slot out (no copy) and frees its place.
        mutating func remove(_ i: Int) -> Slot? {
            guard i < slots.count, let s = slots[i].take() else { return nil }
            wire[i].onTheWire = false
            free.append(i)
            used -= 1
            return s
        }
    }

    static func wireTag(_ slot: UInt64, _ serial: UInt32) -> UInt64 { slot << 32 | UInt64(serial) }
}
