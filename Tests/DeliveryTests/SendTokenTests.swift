import Delivery
import Testing

struct SendTokenTests {
    @Test func randomTokensAre32LowerHexDigitsAndDistinct() throws {
        let tokens = (0..<2_000).map { _ in SendToken.random().description }
        #expect(Set(tokens).count == tokens.count)
        #expect(tokens.allSatisfy { $0.utf8.count == 32 && $0.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) } })
        // Every digit position varies (a digit taken from the wrong bits would stay constant).
        for position in 0..<32 {
            let digits = Set(tokens.map { Array($0.utf8)[position] })
            #expect(digits.count > 8, "position \(position)")
        }
        for t in tokens.prefix(20) { #expect(try SendToken(t).description == t) }
    }
}
