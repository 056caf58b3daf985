use super::*;

fn at(seconds: i64) -> Time {
    Time(Timestamp::from_second(seconds).unwrap())
}

/// The status after applying `body` to `status`, as the API server would
/// merge the tenant's fields.
fn applied(body: &Value) -> WhatsAppAccountStatus {
    serde_json::from_value(body["status"].clone()).unwrap()
}

fn connected() -> Session {
    Session::Connected {
        jid: "447700900123:1@s.whatsapp.net".into(),
        push_name: "Toko".into(),
    }
}

fn condition<'a>(status: &'a WhatsAppAccountStatus, type_: &str) -> &'a Condition {
    status.conditions.iter().find(|c| c.type_ == type_).unwrap()
}

#[test]
fn awaiting_pairing_says_not_paired() {
    let s = applied(&desired(&Session::AwaitingPairing, None, &at(1)));
    assert_eq!(condition(&s, "Paired").status, "False");
    assert_eq!(condition(&s, "Connected").status, "False");
    assert_eq!((s.jid, s.paired_at), (None, None));
}

#[test]
fn pairing_then_disconnect_then_reconnect_keeps_times_right() {
    let first = applied(&desired(&connected(), None, &at(10)));
    assert_eq!(first.paired_at, Some(at(10)));
    assert_eq!(first.last_connected_at, Some(at(10)));
    assert_eq!(first.push_name.as_deref(), Some("Toko"));

    let dropped = applied(&desired(&Session::Disconnected, Some(&first), &at(20)));
    assert_eq!(condition(&dropped, "Paired").status, "True");
    assert_eq!(
        condition(&dropped, "Paired").last_transition_time,
        at(10),
        "still paired since 10"
    );
    assert_eq!(
        condition(&dropped, "Connected").last_transition_time,
        at(20)
    );
    assert_eq!(dropped.paired_at, Some(at(10)));
    assert_eq!(dropped.last_connected_at, Some(at(10)));
    assert_eq!(dropped.jid, first.jid);

    let back = applied(&desired(&connected(), Some(&dropped), &at(30)));
    assert_eq!(back.paired_at, Some(at(10)));
    assert_eq!(back.last_connected_at, Some(at(30)));
}

#[test]
fn the_same_session_twice_is_the_same_status() {
    let first = desired(&connected(), None, &at(10));
    let again = desired(&connected(), Some(&applied(&first)), &at(99));
    assert_eq!(first, again);
}

#[test]
fn logged_out_and_banned_carry_their_reason() {
    let paired = applied(&desired(&connected(), None, &at(1)));
    for (session, why) in [
        (Session::LoggedOut, reason::LOGGED_OUT),
        (Session::Banned, reason::BANNED),
    ] {
        let s = applied(&desired(&session, Some(&paired), &at(2)));
        let p = condition(&s, "Paired");
        assert_eq!((p.status.as_str(), p.reason.as_str()), ("False", why));
        assert_eq!((s.jid, s.paired_at), (None, None));
    }
}

#[test]
fn only_tenant_fields_are_sent() {
    let body = desired(&connected(), None, &at(1));
    let status = body["status"].as_object().unwrap();
    for field in status.keys() {
        assert!(
            [
                "conditions",
                "jid",
                "pushName",
                "pairedAt",
                "lastConnectedAt"
            ]
            .contains(&field.as_str()),
            "{field}"
        );
    }
    let types: Vec<_> = status["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["Paired", "Connected"]);
}

#[test]
fn a_reconnect_without_identity_keeps_the_reported_one() {
    let first = applied(&desired(&connected(), None, &at(1)));
    let dropped = applied(&desired(&Session::Disconnected, Some(&first), &at(2)));
    let anonymous = Session::Connected {
        jid: String::new(),
        push_name: String::new(),
    };
    let back = applied(&desired(&anonymous, Some(&dropped), &at(3)));
    assert_eq!(back.jid, first.jid);
    assert_eq!(back.push_name, first.push_name);
}
