import Testing
@testable import MockGateway
