import Testing
import PushModel

/// AttributeName and AttributeValue.
@Suite struct AttributeValueTests {
    @Test func namesAreLowerCasedAndRestricted() throws {
        #expect(try AttributeName("Age").value == "age")
        #expect(throws: ValidationError(field: "attribute", reason: .invalidCharacters)) { try AttributeName("a-b") }
        #expect(throws: ValidationError(field: "attribute", reason: .tooLong(max: 30))) {
            try AttributeName(String(repeating: "a", count: 31))
        }
    }

    @Test func valuesKnowTheirTypeAndLimits() throws {
        #expect(AttributeValue.tags(["a"]).type == .tags)
        #expect(AttributeValue.null.type == nil)
        try AttributeValue.string(String(repeating: "s", count: 64)).validate(field: "values.s")
        #expect(throws: ValidationError(field: "values.s", reason: .tooLong(max: 64))) {
            try AttributeValue.string(String(repeating: "s", count: 65)).validate(field: "values.s")
        }
        #expect(throws: ValidationError.self) { try AttributeValue.double(.nan).validate(field: "values.d") }
        #expect(throws: ValidationError(field: "values.t", reason: .empty)) { try AttributeValue.tags([""]).validate(field: "values.t") }
    }
}
