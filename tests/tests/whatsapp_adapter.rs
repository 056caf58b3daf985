//! The production WhatsApp adapter (whatsapp-rust) against the scenario
//! server: a device paired by the old bot, imported into a session store,
//! connects, logs in and runs the product's group calls; each exchange
//! checks the stanza the adapter sent and what it made of the answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use tempfile::TempDir;
use tenant_bot::import::session::{fixture, session};
use tenant_bot::tenant::status::Session;
use tenant_bot::whatsapp::adapter::{Adapter, Connection};
use tenant_bot::whatsapp::{
    Error, Event, MemberFailure, MemberOutcome, Membership, Setting, WhatsApp,
};
use tests::fake_telegram::FakeTelegram;
use tests::owner;
use tests::whatsapp_server::{
    Account, Expect, Node, NodeContent, Phone, Reply, ScenarioServer, attr, children, pairing_ref,
};
use whatsapp_rust::NodeBuilder;

/// The fixture device's LID, as the server tells it at login.
const LID: &str = "123456789012345:12@lid";
/// The fixture device: user and device number.
const USER: u64 = 6_281_200_000_100;
const DEVICE: u32 = 12;
/// A WhatsApp Web version, so no connect fetches the current one.
const VERSION: (u32, u32, u32) = (2, 3000, 1_023_000_000);

/// A server, and the adapter of a paired device connected to it.
struct Linked {
    server: ScenarioServer,
    adapter: Arc<Adapter>,
    /// The adapter's events since before it connected.
    events: tokio::sync::broadcast::Receiver<Event>,
    _dir: TempDir,
}

/// A server, and the adapter of a paired device, not connected.
async fn opened() -> Linked {
    let server = ScenarioServer::start(Account { lid: LID.into() }).await;
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.db");
    fixture::old_store(&old, |_| {});
    let store = dir.path().join("whatsmeow-7100-6281200000100.db");
    session(&old, &store, None).await.unwrap();
    let adapter = Adapter::open_with(
        &store,
        Connection {
            server: Some(server.url()),
            version: Some(VERSION),
        },
    )
    .await
    .unwrap();
    let events = adapter.events();
    Linked {
        server,
        adapter: Arc::new(adapter),
        events,
        _dir: dir,
    }
}

/// A server, and the adapter of a paired device told to connect, not yet
/// connected.
async fn connecting() -> Linked {
    let linked = opened().await;
    linked.adapter.connect().await.unwrap();
    linked
}

/// A server, and the adapter of a paired device connected to it.
async fn linked() -> Linked {
    let mut linked = connecting().await;
    next_event(&mut linked.events, |e| *e == Event::Connected).await;
    linked
}

impl Linked {
    /// The session answers a call: the group list, empty.
    async fn serves(&self) {
        self.server.expect(
            Expect::iq("w:g2", "get").child("participating"),
            Reply::Result(vec![node("groups").build()]),
        );
        assert_eq!(self.adapter.groups().await.unwrap(), vec![]);
    }

    /// Every scripted exchange happened, and nothing else.
    fn all_taken(&self) {
        assert_eq!(self.server.unexpected(), Vec::<String>::new());
        assert_eq!(self.server.waiting(), Vec::<String>::new());
    }
}

const GROUP: &str = "120363000000000001@g.us";

/// The `jid` attributes of `node`'s `<participant>` children.
fn participants(node: &Node) -> Vec<String> {
    children(node)
        .iter()
        .filter(|c| c.tag == "participant")
        .filter_map(|c| attr(c, "jid"))
        .collect()
}

fn node(tag: &'static str) -> NodeBuilder {
    NodeBuilder::new(tag)
}

/// A `<group>` as the participating list gives it: `admin` is the
/// device's own number as a superadmin, `member` a plain member.
fn group(id: &str, subject: &str, admin: bool) -> Node {
    let own = node("participant")
        .attr("jid", format!("{USER}@s.whatsapp.net"))
        .attr("type", if admin { "superadmin" } else { "member" })
        .build();
    let other = node("participant")
        .attr("jid", "6281299990001@s.whatsapp.net")
        .build();
    node("group")
        .attr("id", id)
        .attr("subject", subject)
        .attr("creation", "1700000000")
        .children([own, other])
        .build()
}

#[tokio::test]
async fn a_paired_device_logs_in_as_itself() {
    let linked = linked().await;
    linked.server.logged_in(1).await;
    assert_eq!(linked.server.logins(), [(USER, DEVICE)]);
    assert!(linked.adapter.is_paired().await);
    assert_eq!(linked.server.unexpected(), Vec::<String>::new());
}

#[tokio::test]
async fn the_group_list_and_its_errors() {
    let linked = linked().await;
    let server = &linked.server;
    let asked = server.expect(
        Expect::iq("w:g2", "get")
            .attr("to", "g.us")
            .child("participating"),
        Reply::Result(vec![
            node("groups")
                .children([
                    group("120363000000000001", "Toko Budi", true),
                    group("120363000000000002", "Arisan", false),
                ])
                .build(),
        ]),
    );
    let groups = linked.adapter.groups().await.unwrap();
    let request = asked.request().await;
    let participating = request.get_optional_child("participating").unwrap();
    assert!(participating.get_optional_child("participants").is_some());

    assert_eq!(groups.len(), 2);
    let shop = groups.iter().find(|g| g.name == "Toko Budi").unwrap();
    assert_eq!(shop.jid, "120363000000000001@g.us");
    assert!(shop.is_admin);
    assert_eq!(shop.admins, [USER.to_string()]);
    assert_eq!(shop.members.len(), 2);
    let club = groups.iter().find(|g| g.name == "Arisan").unwrap();
    assert!(!club.is_admin);

    // Rate limited, with and without a backoff from the server.
    server.expect(
        Expect::iq("w:g2", "get").child("participating"),
        Reply::rate_limited(42),
    );
    assert_eq!(
        linked.adapter.groups().await.unwrap_err(),
        Error::RateLimited {
            retry_after: Duration::from_secs(42)
        }
    );
    server.expect(
        Expect::iq("w:g2", "get").child("participating"),
        Reply::error(401, "not-authorized"),
    );
    assert_eq!(linked.adapter.groups().await.unwrap_err(), Error::NotAdmin);
    linked.all_taken();
}

#[tokio::test]
async fn creating_a_group() {
    let linked = linked().await;
    let asked = linked.server.expect(
        Expect::iq("w:g2", "set").attr("to", "g.us").child("create"),
        Reply::Result(vec![group("120363000000000009", "Kue 1", true)]),
    );
    let created = linked
        .adapter
        .create_group("Kue 1", &["6281299990001".to_owned()])
        .await
        .unwrap();
    let request = asked.request().await;
    let create = request.get_optional_child("create").unwrap();
    assert_eq!(attr(create, "subject").as_deref(), Some("Kue 1"));
    assert_eq!(participants(create), ["6281299990001@s.whatsapp.net"]);
    assert_eq!(created.jid, "120363000000000009@g.us");
    assert_eq!(created.name, "Kue 1");
    assert!(created.is_admin);

    // No backoff from the server: the adapter waits its default.
    linked.server.expect(
        Expect::iq("w:g2", "set").child("create"),
        Reply::error(429, "rate-overlimit"),
    );
    assert_eq!(
        linked.adapter.create_group("Kue 2", &[]).await.unwrap_err(),
        Error::RateLimited {
            retry_after: Duration::from_secs(300)
        }
    );
    linked.all_taken();
}

#[tokio::test]
async fn invite_links_read_and_reset() {
    let linked = linked().await;
    let invite = || node("invite").attr("code", "AbCdEf123").build();
    let read = linked.server.expect(
        Expect::iq("w:g2", "get").attr("to", GROUP).child("invite"),
        Reply::Result(vec![invite()]),
    );
    let link = linked.adapter.invite_link(GROUP, false).await.unwrap();
    assert_eq!(link, "https://chat.whatsapp.com/AbCdEf123");
    read.request().await;
    // A reset is a set of the same.
    let reset = linked.server.expect(
        Expect::iq("w:g2", "set").attr("to", GROUP).child("invite"),
        Reply::Result(vec![invite()]),
    );
    linked.adapter.invite_link(GROUP, true).await.unwrap();
    reset.request().await;
    linked.server.expect(
        Expect::iq("w:g2", "get").child("invite"),
        Reply::error(401, "not-authorized"),
    );
    assert_eq!(
        linked.adapter.invite_link(GROUP, false).await.unwrap_err(),
        Error::NotAdmin
    );
    linked.all_taken();
}

#[tokio::test]
async fn joining_by_code() {
    let linked = linked().await;
    let joined = linked.server.expect(
        Expect::iq("w:g2", "set").attr("to", "g.us").child("invite"),
        Reply::Result(vec![node("group").attr("jid", GROUP).build()]),
    );
    let group = linked
        .adapter
        .join_with_code("https://chat.whatsapp.com/AbCdEf123")
        .await
        .unwrap();
    assert_eq!(group, GROUP);
    let request = joined.request().await;
    let invite = request.get_optional_child("invite").unwrap();
    assert_eq!(attr(invite, "code").as_deref(), Some("AbCdEf123"));

    // A group that asks its admins first.
    linked.server.expect(
        Expect::iq("w:g2", "set").child("invite"),
        Reply::Result(vec![
            node("membership_approval_request")
                .attr("jid", GROUP)
                .build(),
        ]),
    );
    assert_eq!(
        linked.adapter.join_with_code("AbCdEf123").await.unwrap(),
        GROUP
    );

    for (code, text, error) in [
        (406, "not-acceptable", Error::InvalidInvite),
        (410, "gone", Error::InvalidInvite),
        (404, "item-not-found", Error::GroupNotFound),
    ] {
        linked.server.expect(
            Expect::iq("w:g2", "set").child("invite"),
            Reply::error(code, text),
        );
        assert_eq!(
            linked
                .adapter
                .join_with_code("AbCdEf123")
                .await
                .unwrap_err(),
            error,
            "{code}"
        );
    }
    linked.all_taken();
}

#[tokio::test]
async fn leaving_a_group() {
    let linked = linked().await;
    let left = linked.server.expect(
        Expect::iq("w:g2", "set").attr("to", "g.us").child("leave"),
        Reply::ok(),
    );
    linked.adapter.leave(GROUP).await.unwrap();
    let request = left.request().await;
    let leave = request.get_optional_child("leave").unwrap();
    let ids: Vec<_> = children(leave)
        .iter()
        .filter_map(|g| attr(g, "id"))
        .collect();
    assert_eq!(ids, [GROUP]);
    linked.server.expect(
        Expect::iq("w:g2", "set").child("leave"),
        Reply::error(404, "item-not-found"),
    );
    assert_eq!(
        linked.adapter.leave(GROUP).await.unwrap_err(),
        Error::GroupNotFound
    );
    linked.all_taken();
}

#[tokio::test]
async fn members_added_removed_promoted_demoted_one_by_one() {
    let linked = linked().await;
    let numbers = [
        "6281299990001".to_owned(),
        "6281299990002".to_owned(),
        "6281299990003".to_owned(),
    ];
    for (change, tag) in [
        (Membership::Add, "add"),
        (Membership::Remove, "remove"),
        (Membership::Promote, "promote"),
        (Membership::Demote, "demote"),
    ] {
        // One done, one refused (403, with an invitation to send instead
        // when adding), one not found.
        let answer = node(tag)
            .children([
                node("participant")
                    .attr("jid", "6281299990001@s.whatsapp.net")
                    .build(),
                node("participant")
                    .attr("jid", "6281299990002@s.whatsapp.net")
                    .attr("error", "403")
                    .children(if tag == "add" {
                        vec![
                            node("add_request")
                                .attr("code", "Zx9")
                                .attr("expiration", "1900000000")
                                .build(),
                        ]
                    } else {
                        vec![]
                    })
                    .build(),
                node("participant")
                    .attr("jid", "6281299990003@s.whatsapp.net")
                    .attr("error", "404")
                    .build(),
            ])
            .build();
        let asked = linked.server.expect(
            Expect::iq("w:g2", "set").attr("to", GROUP).child(tag),
            Reply::Result(vec![answer]),
        );
        let outcomes = linked
            .adapter
            .change_members(GROUP, change, &numbers)
            .await
            .unwrap();
        let request = asked.request().await;
        assert_eq!(
            participants(request.get_optional_child(tag).unwrap()),
            numbers.clone().map(|n| format!("{n}@s.whatsapp.net")),
            "{tag}"
        );
        let (refused, unknown) = if tag == "add" {
            (MemberOutcome::Invited, MemberFailure::NotOnWhatsApp)
        } else {
            (
                MemberOutcome::Failed(MemberFailure::NotAllowed),
                MemberFailure::NotMember,
            )
        };
        assert_eq!(
            outcomes,
            [
                (numbers[0].clone(), MemberOutcome::Ok),
                (numbers[1].clone(), refused),
                (numbers[2].clone(), MemberOutcome::Failed(unknown)),
            ],
            "{tag}"
        );
        linked.server.expect(
            Expect::iq("w:g2", "set").child(tag),
            Reply::error(403, "forbidden"),
        );
        assert_eq!(
            linked
                .adapter
                .change_members(GROUP, change, &numbers)
                .await
                .unwrap_err(),
            Error::NotAdmin,
            "{tag}"
        );
    }
    linked.all_taken();
}

#[tokio::test]
async fn the_description_names_the_one_it_replaces() {
    let linked = linked().await;
    let with_description = node("group")
        .attr("id", "120363000000000001")
        .attr("subject", "Toko Budi")
        .attr("creation", "1700000000")
        .children([node("description")
            .attr("id", "AAAA1111")
            .children([node("body").string_content("old words").build()])
            .build()])
        .build();
    linked.server.expect(
        Expect::iq("w:g2", "get").attr("to", GROUP).child("query"),
        Reply::Result(vec![with_description.clone()]),
    );
    let set = linked.server.expect(
        Expect::iq("w:g2", "set")
            .attr("to", GROUP)
            .child("description"),
        Reply::ok(),
    );
    linked
        .adapter
        .set_description(GROUP, "Buka jam 8")
        .await
        .unwrap();
    let request = set.request().await;
    let description = request.get_optional_child("description").unwrap();
    assert_eq!(attr(description, "prev").as_deref(), Some("AAAA1111"));
    let body = description.get_optional_child("body").unwrap();
    assert_eq!(body.content_as_string().as_deref(), Some("Buka jam 8"));

    // Someone changed it in between: worth trying again (which reads the
    // new one first); not an admin: refused.
    for (code, text, error) in [
        (409, "conflict", Error::Transient("".into())),
        (401, "not-authorized", Error::NotAdmin),
    ] {
        linked.server.expect(
            Expect::iq("w:g2", "get").child("query"),
            Reply::Result(vec![with_description.clone()]),
        );
        linked.server.expect(
            Expect::iq("w:g2", "set").child("description"),
            Reply::error(code, text),
        );
        let got = linked
            .adapter
            .set_description(GROUP, "Buka jam 9")
            .await
            .unwrap_err();
        assert_eq!(
            std::mem::discriminant(&got),
            std::mem::discriminant(&error),
            "{code}: {got:?}"
        );
    }
    linked.all_taken();
}

#[tokio::test]
async fn the_photo_goes_to_the_group_as_its_picture() {
    let linked = linked().await;
    let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 0xFF, 0xD9];
    let set = linked.server.expect(
        Expect::iq("w:profile:picture", "set").attr("target", GROUP),
        Reply::Result(vec![node("picture").attr("id", "1700000001").build()]),
    );
    linked.adapter.set_photo(GROUP, &jpeg).await.unwrap();
    let request = set.request().await;
    let picture = request.get_optional_child("picture").unwrap();
    assert_eq!(attr(picture, "type").as_deref(), Some("image"));
    assert!(matches!(&picture.content, Some(NodeContent::Bytes(b)) if *b == jpeg));
    linked.server.expect(
        Expect::iq("w:profile:picture", "set"),
        Reply::error(401, "not-authorized"),
    );
    assert_eq!(
        linked.adapter.set_photo(GROUP, &jpeg).await.unwrap_err(),
        Error::NotAdmin
    );
    linked.all_taken();
}

#[tokio::test]
async fn each_setting_sends_its_own_stanza() {
    let linked = linked().await;
    let cases = [
        (Setting::AdminsOnlyMessages(true), "announcement", None),
        (Setting::AdminsOnlyMessages(false), "not_announcement", None),
        (Setting::AdminsOnlyEditInfo(true), "locked", None),
        (Setting::AdminsOnlyEditInfo(false), "unlocked", None),
        (
            Setting::AdminsOnlyAddMembers(true),
            "member_add_mode",
            Some("admin_add"),
        ),
        (
            Setting::AdminsOnlyAddMembers(false),
            "member_add_mode",
            Some("all_member_add"),
        ),
        (
            Setting::JoinApproval(true),
            "membership_approval_mode",
            Some("on"),
        ),
        (
            Setting::JoinApproval(false),
            "membership_approval_mode",
            Some("off"),
        ),
        (
            Setting::DisappearingSeconds(86_400),
            "ephemeral",
            Some("86400"),
        ),
        (Setting::DisappearingSeconds(0), "not_ephemeral", None),
    ];
    for (setting, tag, value) in cases {
        let set = linked.server.expect(
            Expect::iq("w:g2", "set").attr("to", GROUP).child(tag),
            Reply::ok(),
        );
        linked.adapter.set_setting(GROUP, setting).await.unwrap();
        let request = set.request().await;
        let child = request.get_optional_child(tag).unwrap();
        let said = match tag {
            "member_add_mode" => child.content_as_string().map(|s| s.to_string()),
            "membership_approval_mode" => child
                .get_optional_child("group_join")
                .and_then(|g| attr(g, "state")),
            "ephemeral" => attr(child, "expiration"),
            _ => None,
        };
        assert_eq!(said.as_deref(), value, "{setting:?}");

        linked.server.expect(
            Expect::iq("w:g2", "set").child(tag),
            Reply::error(403, "forbidden"),
        );
        assert_eq!(
            linked
                .adapter
                .set_setting(GROUP, setting)
                .await
                .unwrap_err(),
            Error::NotAdmin,
            "{setting:?}"
        );
    }
    linked.all_taken();
}

#[tokio::test]
async fn join_requests_listed_approved_rejected() {
    let linked = linked().await;
    let asking = ["6281299990001", "6281299990002"];
    let request_of = |n: &str| {
        node("membership_approval_request")
            .attr("jid", format!("{n}@s.whatsapp.net"))
            .attr("request_time", "1700000000")
            .build()
    };
    linked.server.expect(
        Expect::iq("w:g2", "get")
            .attr("to", GROUP)
            .child("membership_approval_requests"),
        Reply::Result(vec![
            node("membership_approval_requests")
                .children(asking.map(request_of))
                .build(),
        ]),
    );
    assert_eq!(linked.adapter.join_requests(GROUP).await.unwrap(), asking);

    for (approve, tag) in [(true, "approve"), (false, "reject")] {
        let echo = move |request: &Node| {
            let action = request
                .get_optional_child("membership_requests_action")
                .unwrap();
            vec![tests::whatsapp_server::result(
                request,
                vec![action.clone()],
            )]
        };
        let answered = linked.server.expect(
            Expect::iq("w:g2", "set")
                .attr("to", GROUP)
                .child("membership_requests_action"),
            Reply::With(Box::new(echo)),
        );
        let numbers = asking.map(str::to_owned);
        linked
            .adapter
            .answer_join_requests(GROUP, &numbers, approve)
            .await
            .unwrap();
        let request = answered.request().await;
        let action = request
            .get_optional_child("membership_requests_action")
            .unwrap();
        let inner = action.get_optional_child(tag).expect(tag);
        assert_eq!(
            participants(inner),
            asking.map(|n| format!("{n}@s.whatsapp.net"))
        );
    }

    linked.server.expect(
        Expect::iq("w:g2", "get").child("membership_approval_requests"),
        Reply::error(401, "not-authorized"),
    );
    assert_eq!(
        linked.adapter.join_requests(GROUP).await.unwrap_err(),
        Error::NotAdmin
    );
    linked.server.expect(
        Expect::iq("w:g2", "set").child("membership_requests_action"),
        Reply::error(404, "item-not-found"),
    );
    assert_eq!(
        linked
            .adapter
            .answer_join_requests(GROUP, &["6281299990001".to_owned()], true)
            .await
            .unwrap_err(),
        Error::GroupNotFound
    );
    linked.all_taken();
}

/// The next event of `events` that `want` accepts, within a minute.
async fn next_event(
    events: &mut tokio::sync::broadcast::Receiver<Event>,
    want: impl Fn(&Event) -> bool,
) -> Event {
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Ok(event) = events.recv().await
                && want(&event)
            {
                return event;
            }
        }
    })
    .await
    .expect("the event within a minute")
}

#[tokio::test]
async fn logging_out_removes_the_companion_device() {
    let linked = linked().await;
    let mut events = linked.adapter.events();
    let removed = linked.server.expect(
        Expect::iq("md", "set").child("remove-companion-device"),
        Reply::ok(),
    );
    linked.adapter.logout().await.unwrap();
    let request = removed.request().await;
    let device = request
        .get_optional_child("remove-companion-device")
        .unwrap();
    assert_eq!(
        attr(device, "jid").as_deref(),
        Some("6281200000100:12@s.whatsapp.net")
    );
    next_event(&mut events, |e| *e == Event::LoggedOut).await;
    linked.all_taken();
}

#[tokio::test]
async fn a_logout_whatsapp_refuses_still_unlinks_here() {
    // The owner asked to be logged out: the session is gone from this
    // side whatever WhatsApp answers; the phone drops the device later.
    let linked = linked().await;
    let mut events = linked.adapter.events();
    linked.server.expect(
        Expect::iq("md", "set").child("remove-companion-device"),
        Reply::error(500, "internal-server-error"),
    );
    linked.adapter.logout().await.unwrap();
    next_event(&mut events, |e| *e == Event::LoggedOut).await;
    assert!(!linked.adapter.is_paired().await);
    assert!(matches!(
        linked.adapter.groups().await,
        Err(Error::NotPaired)
    ));
    linked.all_taken();
}

#[tokio::test]
async fn a_device_unlinked_from_the_phone_pairs_again_as_a_new_one() {
    let mut linked = linked().await;
    linked
        .server
        .send(node("failure").attr("reason", "401").build());
    next_event(&mut linked.events, |e| *e == Event::LoggedOut).await;
    assert!(!linked.adapter.is_paired().await);

    // The owner links it again with /pair: a new device pairs by code.
    let asked = hello(&linked.server);
    let code = linked
        .adapter
        .request_pairing_code(&number())
        .await
        .unwrap();
    let hello = asked.request().await;
    let phone = Phone::new("6281200000100:13@s.whatsapp.net", LID);
    link_with(&linked, &phone, &hello, &code).await;
    let paired = next_event(&mut linked.events, |e| matches!(e, Event::Paired { .. })).await;
    assert_eq!(
        paired,
        Event::Paired {
            jid: "6281200000100:13@s.whatsapp.net".into(),
            push_name: String::new(),
        }
    );
    linked
        .server
        .send(node("stream:error").attr("code", "515").build());
    linked.server.logged_in(2).await;
    assert_eq!(linked.server.logins(), [(USER, DEVICE), (USER, 13)]);
    linked.all_taken();
}

#[tokio::test]
async fn what_the_server_ends_a_session_with_reaches_the_tenant() {
    let conflict = node("conflict").attr("type", "device_removed").build();
    for (ending, want) in [
        // Unlinked from the phone, at login or later.
        (
            node("failure").attr("reason", "401").build(),
            Event::LoggedOut,
        ),
        (
            node("stream:error").attr("code", "516").build(),
            Event::LoggedOut,
        ),
        (
            node("stream:error").children([conflict]).build(),
            Event::LoggedOut,
        ),
        // This client's version refused: not connected, still paired.
        (
            node("failure").attr("reason", "405").build(),
            Event::Disconnected,
        ),
    ] {
        let mut linked = linked().await;
        // Printed with the failure, should the event not come.
        eprintln!("the server sends {ending:?}; the tenant must hear {want:?}");
        linked.server.send(ending);
        next_event(&mut linked.events, |e| *e == want).await;
    }
}

#[tokio::test]
async fn the_server_bans_the_account_for_a_while() {
    let linked = linked().await;
    let mut events = linked.adapter.events();
    let before = tenant_bot::store::unix_seconds();
    linked.server.send(
        node("failure")
            .attr("reason", "402")
            .attr("code", "101")
            .attr("expire", "3600")
            .build(),
    );
    let Event::Banned { until: Some(until) } =
        next_event(&mut events, |e| matches!(e, Event::Banned { .. })).await
    else {
        panic!("a ban with an end");
    };
    assert!((before + 3600..=before + 3700).contains(&until), "{until}");
}

#[tokio::test]
async fn a_dropped_connection_comes_back_by_itself() {
    let linked = linked().await;
    let mut events = linked.adapter.events();
    linked.server.drop_connection();
    next_event(&mut events, |e| *e == Event::Disconnected).await;
    next_event(&mut events, |e| *e == Event::Connected).await;
    linked.server.logged_in(2).await;
    assert_eq!(linked.server.logins(), [(USER, DEVICE), (USER, DEVICE)]);
    // And serves again.
    linked.serves().await;
    linked.all_taken();
}

#[tokio::test]
async fn a_group_call_made_while_connecting_waits_for_the_login() {
    let linked = connecting().await;
    // Asked at once: the socket is not there yet.
    linked.serves().await;
    assert_eq!(linked.server.logins(), [(USER, DEVICE)]);
    linked.all_taken();
}

#[tokio::test]
async fn a_session_taken_over_elsewhere_is_told_and_started_again_on_use() {
    let mut linked = linked().await;
    let conflict = node("conflict").attr("type", "replaced").build();
    linked
        .server
        .send(node("stream:error").children([conflict]).build());
    next_event(&mut linked.events, |e| *e == Event::Replaced).await;
    // The client does not come back by itself; the next call brings it.
    linked.serves().await;
    assert_eq!(linked.server.logins(), [(USER, DEVICE), (USER, DEVICE)]);
    linked.all_taken();
}

/// The tenant's runtime on the production adapter: what its owner sees.
#[tokio::test]
async fn the_owner_lists_groups_and_hears_of_a_takeover_and_a_logout() {
    let linked = opened().await;
    let telegram = FakeTelegram::start(&[owner::CREDENTIAL]).await;
    let data = tempfile::tempdir().unwrap();
    let mut tenant = owner::start_with(&telegram, linked.adapter.clone(), data.path(), None).await;
    let connected = |s: &Session| matches!(s, Session::Connected { .. });
    tenant.session.wait_for(connected).await.unwrap();

    linked.server.expect(
        Expect::iq("w:g2", "get").child("participating"),
        Reply::Result(vec![
            node("groups")
                .children([group("120363000000000001", "Toko Budi", true)])
                .build(),
        ]),
    );
    owner::send(&tenant, owner::callback_update("menu:groups", 7)).await;
    let list = owner::sees(&telegram, "editMessageText", "Toko Budi").await;
    assert!(owner::text_of(&list).contains("👑"), "{list:?}");

    // Another program logs in with the same device.
    let conflict = node("conflict").attr("type", "replaced").build();
    linked
        .server
        .send(node("stream:error").children([conflict]).build());
    owner::sees(&telegram, "sendMessage", "program lain").await;
    tenant
        .session
        .wait_for(|s| *s == Session::Disconnected)
        .await
        .unwrap();

    // The owner refreshes: the session starts again and answers.
    linked.server.expect(
        Expect::iq("w:g2", "get").child("participating"),
        Reply::Result(vec![node("groups").build()]),
    );
    owner::send(&tenant, owner::callback_update("groups:refresh", 7)).await;
    owner::sees(&telegram, "sendMessage", "Daftar grup diperbarui").await;
    tenant.session.wait_for(connected).await.unwrap();
    assert_eq!(linked.server.logins().len(), 2);

    // The phone unlinks the device.
    linked
        .server
        .send(node("stream:error").attr("code", "401").build());
    owner::sees(&telegram, "sendMessage", "dikeluarkan dari ponsel").await;
    tenant
        .session
        .wait_for(|s| *s == Session::LoggedOut)
        .await
        .unwrap();
    linked.all_taken();
    tenant.shut_down().await;
}

#[tokio::test]
async fn a_disconnected_session_connects_again_when_asked() {
    let linked = linked().await;
    linked.adapter.disconnect().await.unwrap();
    linked.server.ended(1).await;
    linked.adapter.connect().await.unwrap();
    linked.server.logged_in(2).await;
    linked.serves().await;
    linked.all_taken();
}

#[tokio::test]
async fn an_unpaired_session_neither_connects_nor_calls() {
    let server = ScenarioServer::start(Account { lid: LID.into() }).await;
    let dir = tempfile::tempdir().unwrap();
    let connection = Connection {
        server: Some(server.url()),
        version: Some(VERSION),
    };
    let adapter = Adapter::open_with(&dir.path().join("new.db"), connection)
        .await
        .unwrap();
    assert!(!adapter.is_paired().await);
    assert!(matches!(adapter.connect().await, Err(Error::NotPaired)));
    assert!(matches!(adapter.groups().await, Err(Error::NotPaired)));
    assert!(matches!(
        adapter.send_text(GROUP, "halo").await,
        Err(Error::NotPaired)
    ));
    assert_eq!(server.logins(), []);
}

/// The other member of the groups `group()` describes.
const MEMBER: &str = "6281299990001@s.whatsapp.net";

/// Scripts the group query a first message to `id` starts with.
fn group_query(server: &ScenarioServer, id: &str, reply: Reply) {
    server.expect(
        Expect::iq("w:g2", "get")
            .attr("to", &format!("{id}@g.us"))
            .child("query"),
        reply,
    );
}

#[tokio::test]
async fn a_text_reaches_each_member_encrypted_and_reads_back() {
    let linked = linked().await;
    let server = &linked.server;
    group_query(
        server,
        "120363000000000001",
        Reply::Result(vec![group("120363000000000001", "Toko Budi", true)]),
    );
    let sent = server.expect(
        Expect::node("message").attr("to", GROUP),
        Reply::Ack { error: None },
    );
    linked
        .adapter
        .send_text(GROUP, "Halo semua, toko buka jam 8")
        .await
        .unwrap();
    let message = sent.request().await;
    assert_eq!(attr(&message, "type").as_deref(), Some("text"));
    let to: Vec<String> = children(message.get_optional_child("participants").unwrap())
        .iter()
        .filter_map(|to| attr(to, "jid"))
        .collect();
    assert!(to.contains(&MEMBER.to_owned()), "{to:?}");
    let read = server.read_as(MEMBER, &message).await;
    assert_eq!(read.text, "Halo semua, toko buka jam 8");
    assert_eq!(read.group, GROUP);
    assert_eq!(
        read.registration, 3_000_000_000,
        "sent by the imported device"
    );
    linked.all_taken();
}

#[tokio::test]
async fn a_text_refused_on_the_way_says_why() {
    let linked = linked().await;
    let server = &linked.server;
    let adapter = &linked.adapter;
    // Each group is new to the client, so each send asks about it first.
    group_query(
        server,
        "120363000000000011",
        Reply::error(404, "item-not-found"),
    );
    let gone = adapter.send_text("120363000000000011@g.us", "a").await;
    assert!(matches!(gone, Err(Error::GroupNotFound)), "{gone:?}");

    group_query(server, "120363000000000012", Reply::error(403, "forbidden"));
    let removed = adapter.send_text("120363000000000012@g.us", "b").await;
    assert!(matches!(removed, Err(Error::NotAdmin)), "{removed:?}");

    group_query(server, "120363000000000013", Reply::rate_limited(42));
    let slow = adapter.send_text("120363000000000013@g.us", "c").await;
    assert!(
        matches!(slow, Err(Error::RateLimited { retry_after }) if retry_after == Duration::from_secs(42)),
        "{slow:?}"
    );

    // The members' devices cannot be listed.
    let stranger = "6281299990002@s.whatsapp.net";
    let members = node("group")
        .attr("id", "120363000000000014")
        .attr("subject", "Arisan")
        .attr("creation", "1700000000")
        .children([node("participant").attr("jid", stranger).build()])
        .build();
    group_query(server, "120363000000000014", Reply::Result(vec![members]));
    server.expect(
        Expect::iq("usync", "get").about(stranger),
        Reply::rate_limited(60),
    );
    let busy = adapter.send_text("120363000000000014@g.us", "d").await;
    assert!(
        matches!(busy, Err(Error::RateLimited { retry_after }) if retry_after == Duration::from_secs(60)),
        "{busy:?}"
    );
    linked.all_taken();
}

#[tokio::test]
async fn a_text_whatsapp_will_not_take_is_not_counted_as_sent() {
    let linked = linked().await;
    let server = &linked.server;
    // An admins-only group: a member's message is refused once sent.
    group_query(
        server,
        "120363000000000001",
        Reply::Result(vec![group("120363000000000001", "Pengumuman", false)]),
    );
    server.expect(
        Expect::node("message").attr("to", GROUP),
        Reply::Ack { error: Some("403") },
    );
    let refused = linked.adapter.send_text(GROUP, "boleh tanya?").await;
    assert!(matches!(refused, Err(Error::NotAdmin)), "{refused:?}");

    // The next is taken.
    server.expect(
        Expect::node("message").attr("to", GROUP),
        Reply::Ack { error: None },
    );
    linked
        .adapter
        .send_text(GROUP, "terima kasih")
        .await
        .unwrap();

    // Any other refusal is told with its code.
    server.expect(
        Expect::node("message").attr("to", GROUP),
        Reply::Ack { error: Some("479") },
    );
    let odd = linked.adapter.send_text(GROUP, "?").await;
    assert!(
        matches!(&odd, Err(Error::Rejected(text)) if text.to_string().contains("479")),
        "{odd:?}"
    );
    linked.all_taken();
}

/// A server, and the adapter of a device never paired.
async fn fresh() -> Linked {
    let server = ScenarioServer::start(Account { lid: LID.into() }).await;
    let dir = tempfile::tempdir().unwrap();
    let connection = Connection {
        server: Some(server.url()),
        version: Some(VERSION),
    };
    let store = dir.path().join("whatsmeow-7100-6281200000100.db");
    let adapter = Adapter::open_with(&store, connection).await.unwrap();
    let events = adapter.events();
    Linked {
        server,
        adapter: Arc::new(adapter),
        events,
        _dir: dir,
    }
}

/// The owner's number, as the tenant knows it.
fn number() -> crds::PhoneNumber {
    "6281200000100".parse().unwrap()
}

/// Scripts the companion's hello, answered with the pairing's reference.
fn hello(server: &ScenarioServer) -> tests::whatsapp_server::Pending {
    server.expect(
        Expect::iq("md", "set").child("link_code_companion_reg"),
        Reply::Result(vec![pairing_ref()]),
    )
}

/// The `<link_code_companion_reg>` of a companion's IQ.
fn registration(node: &Node) -> &Node {
    node.get_optional_child("link_code_companion_reg").unwrap()
}

/// The phone takes `code`, and the server carries the exchange up to
/// the companion's answer to `pair-success`, which must be signed.
async fn link_with(linked: &Linked, phone: &Phone, hello: &Node, code: &str) {
    let server = &linked.server;
    let entered = phone.enter(hello, code).await.unwrap();
    let finish = server.expect(
        Expect::iq("md", "set").child("link_code_companion_reg"),
        Reply::ok(),
    );
    server.send(entered.notification.clone());
    let finish = finish.request().await;
    assert_eq!(
        attr(registration(&finish), "stage").as_deref(),
        Some("companion_finish")
    );
    let opened = phone.open(&entered, &finish).unwrap();
    let signed = server.expect(
        Expect::node("iq")
            .attr("type", "result")
            .child("pair-device-sign"),
        Reply::With(Box::new(|_| Vec::new())),
    );
    server.send(phone.pair_success(&opened).unwrap());
    let answer = signed.request().await;
    assert!(
        phone.signed_by_companion(&opened, &answer),
        "the companion signs its identity over the account's"
    );
}

#[tokio::test]
async fn pairing_by_code_links_the_device_and_it_logs_in_as_itself() {
    let mut linked = fresh().await;
    let phone = Phone::new("6281200000100:12@s.whatsapp.net", LID);
    let asked = hello(&linked.server);
    let code = linked
        .adapter
        .request_pairing_code(&number())
        .await
        .unwrap();
    assert_eq!(code.len(), 8, "{code}");
    assert!(code.chars().all(|c| c.is_ascii_alphanumeric()), "{code}");
    let hello = asked.request().await;
    let companion = registration(&hello);
    assert_eq!(attr(companion, "stage").as_deref(), Some("companion_hello"));
    assert_eq!(
        attr(companion, "jid").as_deref(),
        Some("6281200000100@s.whatsapp.net")
    );
    assert_eq!(linked.server.logins(), [], "not logged in while pairing");

    link_with(&linked, &phone, &hello, &code).await;
    let paired = next_event(&mut linked.events, |e| matches!(e, Event::Paired { .. })).await;
    let Event::Paired { jid, .. } = paired else {
        unreachable!()
    };
    assert_eq!(jid, "6281200000100:12@s.whatsapp.net");
    assert!(linked.adapter.is_paired().await);

    // WhatsApp has the new device log in again, as itself.
    linked
        .server
        .send(node("stream:error").attr("code", "515").build());
    linked.server.logged_in(1).await;
    assert_eq!(linked.server.logins(), [(USER, DEVICE)]);
    next_event(&mut linked.events, |e| *e == Event::Connected).await;
    linked.serves().await;
    linked.all_taken();
}

#[tokio::test]
async fn a_wrong_code_links_nothing_and_a_new_code_can_be_had() {
    let linked = fresh().await;
    let server = &linked.server;
    let phone = Phone::new("6281200000100:12@s.whatsapp.net", LID);
    let asked = hello(server);
    let code = linked
        .adapter
        .request_pairing_code(&number())
        .await
        .unwrap();
    let hello = asked.request().await;
    // The owner mistypes one character.
    let wrong: String = code
        .chars()
        .enumerate()
        .map(|(i, c)| match (i, c) {
            (0, 'A') => 'B',
            (0, _) => 'A',
            (_, c) => c,
        })
        .collect();
    let entered = phone.enter(&hello, &wrong).await.unwrap();
    let finish = server.expect(
        Expect::iq("md", "set").child("link_code_companion_reg"),
        Reply::ok(),
    );
    server.send(entered.notification.clone());
    let finish = finish.request().await;
    let refused = phone.open(&entered, &finish).unwrap_err();
    assert!(refused.to_string().contains("does not open"), "{refused}");
    assert!(!linked.adapter.is_paired().await);

    // The owner gives up on it and asks again: a new code, a new hello.
    linked.adapter.cancel_pairing().await.unwrap();
    let asked = self::hello(server);
    let again = linked
        .adapter
        .request_pairing_code(&number())
        .await
        .unwrap();
    asked.request().await;
    assert_ne!(again, code);
    linked.all_taken();
}

#[tokio::test]
async fn a_code_refused_by_whatsapp_says_how_long_to_wait() {
    let linked = fresh().await;
    let server = &linked.server;
    server.expect(
        Expect::iq("md", "set").child("link_code_companion_reg"),
        Reply::rate_limited(900),
    );
    let slow = linked.adapter.request_pairing_code(&number()).await;
    assert!(
        matches!(slow, Err(Error::RateLimited { retry_after }) if retry_after == Duration::from_secs(900)),
        "{slow:?}"
    );
    server.expect(
        Expect::iq("md", "set").child("link_code_companion_reg"),
        Reply::error(503, "service-unavailable"),
    );
    let down = linked.adapter.request_pairing_code(&number()).await;
    assert!(matches!(down, Err(Error::Transient(_))), "{down:?}");
    linked.all_taken();
}

/// The code in a pairing message, as the owner reads it (`ABCD-EFGH`),
/// as the owner types it on the phone.
fn code_in(text: &str) -> String {
    let shown = text
        .split_whitespace()
        .find(|word| {
            word.len() == 9
                && word.as_bytes()[4] == b'-'
                && word.chars().filter(|c| c.is_ascii_alphanumeric()).count() == 8
        })
        .unwrap_or_else(|| panic!("no code in {text:?}"));
    shown.replace('-', "")
}

/// The tenant's runtime on a device never paired: the owner reads the
/// code in Telegram, types it on the phone, and is told it is linked.
#[tokio::test]
async fn the_owner_links_the_account_with_the_code_shown() {
    let linked = fresh().await;
    let server = &linked.server;
    // The runtime of owner.rs serves 447700900123.
    let phone = Phone::new("447700900123:12@s.whatsapp.net", LID);
    let asked = hello(server);
    let telegram = FakeTelegram::start(&[owner::CREDENTIAL]).await;
    let data = tempfile::tempdir().unwrap();
    let mut tenant = owner::start_with(&telegram, linked.adapter.clone(), data.path(), None).await;
    let shown = owner::sees(&telegram, "sendMessage", "Kode pairing").await;
    let hello = asked.request().await;
    assert_eq!(
        attr(registration(&hello), "jid").as_deref(),
        Some("447700900123@s.whatsapp.net")
    );

    link_with(&linked, &phone, &hello, &code_in(&owner::text_of(&shown))).await;
    let done = owner::sees(&telegram, "editMessageText", "tersambung").await;
    assert!(
        owner::text_of(&done).contains("WhatsApp 44770****123 tersambung"),
        "the account named until its name is known: {done:?}"
    );
    let connected = |s: &Session| matches!(s, Session::Connected { .. });
    tenant.session.wait_for(connected).await.unwrap();
    server.send(node("stream:error").attr("code", "515").build());
    server.logged_in(1).await;
    assert_eq!(server.logins(), [(447_700_900_123, 12)]);
    linked.all_taken();
    tenant.shut_down().await;
}

#[tokio::test]
async fn each_refusal_to_add_a_number_is_told_apart() {
    let linked = linked().await;
    let refusals = [
        ("409", MemberFailure::AlreadyMember),
        ("408", MemberFailure::LeftRecently),
        ("419", MemberFailure::GroupFull),
        ("403", MemberFailure::NotAllowed),
        ("500", MemberFailure::Other("500".into())),
    ];
    let numbers: Vec<String> = (1..=refusals.len())
        .map(|n| format!("62812999900{n:02}"))
        .collect();
    let answer = node("add")
        .children(numbers.iter().zip(&refusals).map(|(number, (code, _))| {
            node("participant")
                .attr("jid", format!("{number}@s.whatsapp.net"))
                .attr("error", *code)
                .build()
        }))
        .build();
    linked.server.expect(
        Expect::iq("w:g2", "set").attr("to", GROUP).child("add"),
        Reply::Result(vec![answer]),
    );
    let outcomes = linked
        .adapter
        .change_members(GROUP, Membership::Add, &numbers)
        .await
        .unwrap();
    let expected: Vec<_> = numbers
        .iter()
        .zip(refusals)
        .map(|(number, (_, why))| (number.clone(), MemberOutcome::Failed(why)))
        .collect();
    assert_eq!(outcomes, expected);
    linked.all_taken();
}
