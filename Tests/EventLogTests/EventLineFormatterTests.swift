import Testing
@testable import EventLog

/// Every example line of the reference (batch-integrations.txt), byte for byte.
@Suite struct EventLineFormatterTests {
    let user = Reference.user

    @Test func pushRawEventsMatchTheReferenceExample() {
        let records: [EventRecord] = [
            .push(.sent, at: at("2017-07-24T00:00:00"), user: user, source: Reference.campaign),
            .push(.opened, at: at("2017-07-24T09:00:00"), user: user, source: Reference.campaign),
            .push(.error, at: at("2017-07-24T09:00:00"), user: user, source: Reference.campaign),
            .push(.sent, at: at("2017-07-24T09:00:00"), user: user, source: Reference.transactional),
            .push(.error, at: at("2017-07-24T09:00:00"), user: user, source: Reference.transactional),
            .push(.opened, at: at("2017-07-24T09:00:00"), user: user, source: Reference.transactional),
            .subscription(.optIn, at: at("2017-07-24T09:00:00"), user: user),
            .subscription(.tokenDeleted, at: at("2017-07-24T11:00:00"), user: user),
            .subscription(.optOut, at: at("2017-07-24T10:00:00"), user: user),
        ]
        let expected = """
        CUSTOM_USER_ID;BATCH_INSTALLATION_ID;2017-07-24T00:00:00;push_sent;campaign;CAMPAIGN_TOKEN;
        CUSTOM_USER_ID;BATCH_INSTALLATION_ID;2017-07-24T09:00:00;push_opened;campaign;CAMPAIGN_TOKEN;
        CUSTOM_USER_ID;BATCH_INSTALLATION_ID;2017-07-24T09:00:00;push_error;campaign;CAMPAIGN_TOKEN;
        CUSTOM_USER_ID;BATCH_INSTALLATION_ID;2017-07-24T09:00:00;push_sent;transactional;TRANSACTIONAL_TOKEN;GROUP-ID
        CUSTOM_USER_ID;BATCH_INSTALLATION_ID;2017-07-24T09:00:00;push_error;transactional;TRANSACTIONAL_TOKEN;GROUP-ID
        CUSTOM_USER_ID;BATCH_INSTALLATION_ID;2017-07-24T09:00:00;push_opened;transactional;TRANSACTIONAL_TOKEN;GROUP-ID
        CUSTOM_USER_ID;BATCH_INSTALLATION_ID;2017-07-24T09:00:00;push_optin;;;
        CUSTOM_USER_ID;BATCH_INSTALLATION_ID;2017-07-24T11:00:00;token_deleted;;;
        CUSTOM_USER_ID;BATCH_INSTALLATION_ID;2017-07-24T10:00:00;push_optout;;;

        """
        #expect(Array(formatted(records).utf8) == Array(expected.utf8))
    }

    @Test func inAppEventsMatchTheReferenceExample() {
        let campaign: LogField = "CAMPAIGN_TOKEN"
        let time = at("2017-07-24T09:00:00")
        let records: [EventRecord] = [
            .inApp(.supplied, at: time, user: user, campaign: campaign),
            .inApp(.shown, at: time, user: user, campaign: campaign),
            .inApp(.clicked(position: 0, action: "batch.CustomAction"), at: time, user: user, campaign: campaign),
            .inApp(.clicked(position: 1, action: "batch.deeplink"), at: time, user: user, campaign: campaign),
            .inApp(.clicked(position: 1, action: "batch.dismiss"), at: time, user: user, campaign: campaign),
            .inApp(.closed, at: time, user: user, campaign: campaign),
        ]
        let expected = """
        user_id;identifier;date_event;event_type;event_var_1;event_var_2;event_var_3
        CUSTOM_USER_ID;BATCH_INSTALLATION_ID;2017-07-24T09:00:00;inapp_supplied;CAMPAIGN_TOKEN;;
        CUSTOM_USER_ID;BATCH_INSTALLATION_ID;2017-07-24T09:00:00;inapp_shown;CAMPAIGN_TOKEN;;
        CUSTOM_USER_ID;BATCH_INSTALLATION_ID;2017-07-24T09:00:00;inapp_clicked;CAMPAIGN_TOKEN;0;batch.CustomAction
        CUSTOM_USER_ID;BATCH_INSTALLATION_ID;2017-07-24T09:00:00;inapp_clicked;CAMPAIGN_TOKEN;1;batch.deeplink
        CUSTOM_USER_ID;BATCH_INSTALLATION_ID;2017-07-24T09:00:00;inapp_clicked;CAMPAIGN_TOKEN;1;batch.dismiss
        CUSTOM_USER_ID;BATCH_INSTALLATION_ID;2017-07-24T09:00:00;inapp_closed;CAMPAIGN_TOKEN;;

        """
        #expect(Array((ExportKind.inAppEvents.header! + formatted(records)).utf8) == Array(expected.utf8))
    }

    @Test func userbaseMatchesTheReferenceExample() {
        let rows: [(LogField, LogField, Bool)] = [
            ("CUSTOM_USER_ID1", "ADVERTISING_ID1", true), ("CUSTOM_USER_ID1", "ADVERTISING_ID2", true),
            ("CUSTOM_USER_ID3", "ADVERTISING_ID3", false), ("CUSTOM_USER_ID4", "ADVERTISING_ID4", true),
            ("CUSTOM_USER_ID5", "ADVERTISING_ID5", false), (.empty, "ADVERTISING_ID6", false),
        ]
        let buffer = LineBuffer(capacity: 16)
        for (customID, advertisingID, optIn) in rows {
            EventLineFormatter.appendUserbase(customID: customID, advertisingID: advertisingID, optIn: optIn, to: buffer)
        }
        let expected = """
        CUSTOM_USER_ID1;ADVERTISING_ID1;True
        CUSTOM_USER_ID1;ADVERTISING_ID2;True
        CUSTOM_USER_ID3;ADVERTISING_ID3;False
        CUSTOM_USER_ID4;ADVERTISING_ID4;True
        CUSTOM_USER_ID5;ADVERTISING_ID5;False
        ;ADVERTISING_ID6;False

        """
        #expect(buffer.bytes == Array(expected.utf8))
    }

    @Test(arguments: [(IdentifierColumn.installationID, "BATCH_INSTALLATION_ID"), (.advertisingID, "ADVERTISING_ID")])
    func identifierColumnFollowsTheAppsChoice(column: IdentifierColumn, expected: String) {
        let line = formatted([.subscription(.optIn, at: at("2017-07-24T09:00:00"), user: user)], identifier: column)
        #expect(line == "CUSTOM_USER_ID;\(expected);2017-07-24T09:00:00;push_optin;;;\n")
    }

    @Test func anonymousUsersAndLargeCTAPositionsAndEveryClockValue() {
        let anonymous = EventUser(installationID: "I")
        #expect(formatted([.subscription(.optOut, at: at("1970-01-01T23:59:59"), user: anonymous)])
            == ";I;1970-01-01T23:59:59;push_optout;;;\n")
        #expect(formatted([.inApp(.clicked(position: 4_294_967_295, action: "a"), at: at("9999-12-31T00:00:01"), user: anonymous, campaign: "C")])
            == ";I;9999-12-31T00:00:01;inapp_clicked;C;4294967295;a\n")
        for second in stride(from: 0, to: 86_400, by: 7) {
            let time = EventTime(unchecked: 1_500_854_400 + Int64(second))
            let line = formatted([.subscription(.optIn, at: time, user: anonymous)])
            #expect(line == ";I;\(time);push_optin;;;\n")
        }
    }
}
