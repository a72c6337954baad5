import Foundation
import HummingbirdTesting
import PushModel
import PushService
import Testing

@Suite("pushengine serve, end to end over loopback")
struct PushServiceTests {
    static let ios = "/1.0/\(TestService.iosKey)/installations"
    static let send = "/1.1/\(TestService.iosKey)/transactional/send"

    static func sendBody(_ recipients: String, group: String = "welcome") -> String {
        #"{"group_id":"\#(group)","recipients":\#(recipients),"message":{"title":"Hi","body":"Hello"}}"#
    }

    @Test func transactionalReachesExactlyTheResolvedTokensAndWritesTheEvents() async throws {
        try await TestService.withService { service, client in
            let registered = try await client.call(.post, Self.ios, json: """
            [{"install_id":"i-a","custom_id":"u1","token":"\(apnsToken("a1"))","optin":true},
             {"install_id":"i-b","custom_id":"u1","token":"\(apnsToken("b2"))","optin":true},
             {"install_id":"i-c","custom_id":"u2","token":"\(apnsToken("c3"))","optin":true,
              "advertising_id":"6F9619FF-8B86-D011-B42D-00C04FC964FF"},
             {"install_id":"i-d","token":"\(apnsToken("d4"))","optin":true}]
            """)
            #expect(registered.status == 200)
            #expect(registered.body["created"] as? Int == 4)

            let cases: [(String, [String])] = [
                (#"{"custom_ids":["u1","nobody"]}"#, [apnsToken("a1"), apnsToken("b2")]),
                (#"{"install_ids":["i-d"]}"#, [apnsToken("d4")]),
                (#"{"tokens":["\#(apnsToken("c3"))"]}"#, [apnsToken("c3")]),
                (#"{"advertising_ids":["6F9619FF-8B86-D011-B42D-00C04FC964FF"]}"#, [apnsToken("c3")]),
            ]
            var sendTokens: [String] = []
            for (recipients, expected) in cases {
                let before = service.receivedTokens().count
                let answer = try await client.call(.post, Self.send, json: Self.sendBody(recipients))
                #expect(answer.status == 201)
                let token = try #require(answer.body["token"] as? String)
                sendTokens.append(token)
                let progress = try await service.finish(token)
                #expect(progress.sent == expected.count)
                #expect(Array(service.receivedTokens().dropFirst(before)).sorted() == expected.sorted(), "\(recipients)")
            }
            let lines = try service.eventLines()
            #expect(lines.filter { $0.contains(";push_optin;;;") }.count == 4)
            let first = lines.filter { $0.contains(";push_sent;transactional;\(sendTokens[0]);welcome") }
            #expect(first.count == 2)
            #expect(first.contains { $0.hasPrefix("u1;i-a;") } && first.contains { $0.hasPrefix("u1;i-b;") })
            #expect(lines.contains { $0.hasPrefix(";i-d;") && $0.hasSuffix(";push_sent;transactional;\(sendTokens[1]);welcome") })
        }
    }

    @Test func androidInstallationsGoThroughFCM() async throws {
        try await TestService.withService { service, client in
            let registered = try await client.call(.post, "/1.0/\(TestService.androidKey)/installations",
                                                   json: #"[{"install_id":"droid-1","custom_id":"u9","token":"fcm-token-1","optin":true}]"#)
            #expect(registered.status == 200)
            let answer = try await client.call(.post, "/1.1/\(TestService.androidKey)/transactional/send",
                                               json: Self.sendBody(#"{"custom_ids":["u9"]}"#))
            #expect(answer.status == 201)
            let progress = try await service.finish(try #require(answer.body["token"] as? String), apiKey: TestService.androidKey)
            #expect(progress.sent == 1)
            #expect(service.receivedTokens() == ["fcm-token-1"])
        }
    }

    @Test func unregisteredTokenIsDeletedAndSkippedNextTime() async throws {
        try await TestService.withService { service, client in
            // 64 hex digits starting with "dead": the scenario answers 410 Unregistered.
            let dead = "dead" + String(repeating: "00", count: 30)
            _ = try await client.call(.post, Self.ios, json: #"[{"install_id":"gone","custom_id":"u5","token":"\#(dead)","optin":true}]"#)
            let first = try await client.call(.post, Self.send, json: Self.sendBody(#"{"custom_ids":["u5"]}"#))
            let progress = try await service.finish(try #require(first.body["token"] as? String))
            #expect(progress.tokensDeleted == 1)
            let view = try await client.call(.get, Self.ios + "/gone")
            #expect(view.status == 200)
            #expect(view.body["token"] is NSNull)
            #expect(try service.eventLines().contains { $0.hasPrefix("u5;gone;") && $0.hasSuffix(";token_deleted;;;") })

            let received = service.receivedTokens().count
            let second = try await client.call(.post, Self.send, json: Self.sendBody(#"{"custom_ids":["u5"]}"#))
            #expect(second.status == 201)
            let again = try await service.finish(try #require(second.body["token"] as? String))
            #expect(again.sent == 0)
            #expect(service.receivedTokens().count == received)
        }
    }

    @Test func optedOutInstallationIsNotSent() async throws {
        try await TestService.withService { service, client in
            _ = try await client.call(.post, Self.ios, json: #"[{"install_id":"quiet","custom_id":"u7","token":"\#(apnsToken("77"))","optin":true}]"#)
            _ = try await client.call(.post, Self.ios, json: #"[{"install_id":"quiet","optin":false}]"#)
            let answer = try await client.call(.post, Self.send, json: Self.sendBody(#"{"custom_ids":["u7"]}"#))
            #expect(answer.status == 201)
            let progress = try await service.finish(try #require(answer.body["token"] as? String))
            #expect(progress.sent == 0)
            #expect(service.receivedTokens().isEmpty)
            let lines = try service.eventLines()
            #expect(lines.contains { $0.hasPrefix("u7;quiet;") && $0.hasSuffix(";push_optout;;;") })
        }
    }

    @Test func appsAreIsolated() async throws {
        try await TestService.withService { _, client in
            _ = try await client.call(.post, Self.ios, json: #"[{"install_id":"mine","token":"\#(apnsToken("11"))","optin":true}]"#)
            let other = "/1.0/\(TestService.otherKey)/installations/mine"
            #expect(try await client.call(.get, other, restKey: TestService.otherRestKey).status == 404)
            #expect(try await client.call(.get, other, restKey: TestService.restKey).status == 401)
            #expect(try await client.call(.get, Self.ios + "/mine", restKey: TestService.otherRestKey).status == 401)
            #expect(try await client.call(.get, Self.ios + "/mine").status == 200)
            #expect(try await client.call(.delete, Self.ios + "/mine").status == 200)
            #expect(try await client.call(.get, Self.ios + "/mine").status == 404)
        }
    }

    @Test func everyErrorClassHasItsCatalogueEntry() async throws {
        try await TestService.withService { _, client in
            func expectError(_ answer: (status: Int, body: [String: Any]), _ status: Int, _ code: String, _ number: Int,
                             mentioning: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
                #expect(answer.status == status, sourceLocation: sourceLocation)
                #expect(answer.body["error_code"] as? String == code, sourceLocation: sourceLocation)
                #expect(answer.body["code"] as? Int == number, sourceLocation: sourceLocation)
                let message = answer.body["error_message"] as? String ?? ""
                if let mentioning { #expect(message.contains(mentioning), "\(message)", sourceLocation: sourceLocation) }
                #expect(!message.contains(TestService.restKey) && !message.contains(TestService.iosKey), sourceLocation: sourceLocation)
            }
            let valid = Self.sendBody(#"{"custom_ids":["u1"]}"#)
            expectError(try await client.call(.post, Self.send, json: valid, restKey: nil), 401, "AUTHENTICATION_INVALID", 10)
            expectError(try await client.call(.post, Self.send, json: valid, restKey: "wrong"), 401, "AUTHENTICATION_INVALID", 10)
            expectError(try await client.call(.post, "/1.1/NO_SUCH_KEY/transactional/send", json: valid), 401, "AUTHENTICATION_INVALID", 10)
            expectError(try await client.call(.get, "/1.1/\(TestService.iosKey)/nothing-here"), 404, "ROUTE_NOT_FOUND", 20)
            expectError(try await client.call(.get, Self.send), 404, "ROUTE_NOT_FOUND", 20)
            expectError(try await client.call(.post, Self.send, json: Self.sendBody(#"{"custom_ids":["u1"]}"#, group: "bad group")),
                        400, "INVALID_PARAMETER", 30, mentioning: "group_id")
            expectError(try await client.call(.post, Self.send, json: #"{"group_id":"g","message":{"body":"x"}}"#),
                        400, "INVALID_PARAMETER", 30, mentioning: "recipients")
            expectError(try await client.call(.post, Self.send, json: Self.sendBody(#"{"tokens":["zz"]}"#)),
                        400, "INVALID_PARAMETER", 30, mentioning: "recipients.tokens[0]")
            expectError(try await client.call(.post, Self.send, json: Self.sendBody(#"{"custom_idz":["u1"]}"#)),
                        400, "INVALID_PARAMETER", 30, mentioning: "recipients.custom_idz")
            expectError(try await client.call(.post, Self.send, json: "{not json"), 400, "INVALID_PARAMETER", 30, mentioning: "body")
            expectError(try await client.call(.post, Self.ios, json: #"[{"install_id":"x","token":"nothex"}]"#),
                        400, "INVALID_PARAMETER", 30, mentioning: "[0].token")
            let huge = "[" + Array(repeating: #"{"install_id":"x"}"#, count: 5000).joined(separator: ",") + "]"
            expectError(try await client.call(.post, Self.ios, json: huge), 413, "BODY_TOO_LARGE", 31)
            var statuses: [Int] = []
            for _ in 0..<4 {
                statuses.append(try await client.call(.get, "/1.0/\(TestService.limitedKey)/installations/none").status)
            }
            #expect(statuses.contains(429))
            // The process stays up after all of that.
            #expect(try await client.call(.get, "/healthz", restKey: nil).status == 200)
        }
    }

    @Test func healthReadinessMetricsAndTheContract() async throws {
        try await TestService.withService { _, client in
            #expect(try await client.call(.get, "/readyz", restKey: nil).status == 200)
            _ = try await client.call(.post, Self.ios, json: #"[{"install_id":"m","token":"\#(apnsToken("12"))","optin":true}]"#)
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains(#"pushengine_http_requests_total{route="/1.0/{apiKey}/installations",method="POST",status="200"} 1"#))
            #expect(metrics.contains(#"pushengine_installations{app="Test",platform="IOS"} 1"#))
            let spec = try await client.execute(uri: "/openapi.yaml", method: .get) { String(buffer: $0.body) }
            #expect(spec.hasPrefix("openapi: 3.1"))
        }
    }

    @Test(arguments: [
        (#"{"apps":[{"name":"A","rest_key":"R","ios":{"api_key":"K","apns":{"topik":"x","topic":"t"}}}]}"#, "apps[0].ios.apns.topik"),
        (#"{"apps":[{"name":"A","rest_key":"R","ios":{"api_key":"K","apns":{"topic":"t","p8_file":"/nonexistent.p8","key_id":"K","team_id":"T"}}}]}"#,
         "apps[0].ios.apns.p8_file"),
        (#"{"apps":[{"name":"A","rest_key":"R","android":{"api_key":"K","fcm":{"origin":"production"}}}]}"#,
         "apps[0].android.fcm.service_account_file"),
        (#"{"apps":[{"name":"A","rest_key":"R","ios":{"api_key":"K","apns":{"topic":"t"}}},{"name":"B","rest_key":"R","ios":{"api_key":"K","apns":{"topic":"t"}}}]}"#,
         "apps[1].ios.api_key"),
        (#"{"apps":[{"name":"A","ios":{"api_key":"K","apns":{"topic":"t"}}}]}"#, "apps[0].rest_key"),
        (#"{"prot":1,"apps":[]}"#, "prot"),
    ])
    func configErrorsNameTheField(json: String, field: String) throws {
        #expect {
            try ServeConfiguration.decode(Array(json.utf8))
        } throws: { error in
            "\(error)".contains(field) && !"\(error)".contains("\"K\"")
        }
    }

    @Test func theEmbeddedDefaultAndTheExampleFileAgree() throws {
        let example = try ServeConfiguration.load(contentsOf: Self.repositoryRoot + "/scripts/serve-example.json")
        #expect(example == ServeConfiguration.demo)
    }

    @Test func theServedContractIsDocsOpenAPI() throws {
        let file = try String(contentsOfFile: Self.repositoryRoot + "/docs/openapi.yaml", encoding: .utf8)
        #expect(file == OpenAPIDocument.yaml)
    }

    static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
}

@Suite("pushengine serve, shutdown")
struct PushServiceShutdownTests {
    @Test func shutdownWithSendsInFlightLosesNothing() async throws {
        let count = 300
        let (service, token) = try await TestService.withService(keepingFiles: true) { service, client in
            let installations = (0..<count).map { i in
                #"{"install_id":"s-\#(i)","custom_id":"su-\#(i)","token":"\#(String(format: "%064x", i + 1))","optin":true}"#
            }
            #expect(try await client.call(.post, PushServiceTests.ios, json: "[" + installations.joined(separator: ",") + "]").status == 200)
            let ids = (0..<count).map { #""su-\#($0)""# }.joined(separator: ",")
            let answer = try await client.call(.post, PushServiceTests.send, json: PushServiceTests.sendBody(#"{"custom_ids":[\#(ids)]}"#))
            #expect(answer.status == 201)
            return (service, try #require(answer.body["token"] as? String))
        }
        defer { try? FileManager.default.removeItem(atPath: service.directory) }
        // withService closed the server right after the 201: the send was in flight.
        let lines = try service.eventLines(flush: false).filter { $0.contains(";push_sent;transactional;\(token);welcome") }
        #expect(lines.count == count)
        #expect(Set(service.receivedTokens()).count == count)
    }
}

@Suite("pushengine serve, installation attributes")
struct PushServiceAttributeTests {
    @Test func attributesAreWrittenForTheUserAndNeedACustomID() async throws {
        try await TestService.withService { service, client in
            let ok = try await client.call(.post, PushServiceTests.ios, json: """
            [{"install_id":"att","custom_id":"ua","token":"\(apnsToken("aa"))","attributes":{"plan":"gold","age":42,"tags":["a","b"]}}]
            """)
            #expect(ok.status == 200)
            let app = try service.server.engine.app(apiKey: TestService.iosKey)
            let attributes = app.attributes(for: try .init("ua"))
            #expect(attributes.count == 3)
            let refused = try await client.call(.post, PushServiceTests.ios, json: #"[{"install_id":"anon","attributes":{"plan":"x"}}]"#)
            #expect(refused.status == 400)
            #expect((refused.body["error_message"] as? String ?? "").contains("[0].attributes"))
            #expect(app.installation(try .init("anon")) == nil)
        }
    }
}
