import Testing
@testable import PushIndex
