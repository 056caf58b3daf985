//! The whole product on the local cluster: the front door process with its
//! least-privilege identity, the operator, tenants as pods on the node with
//! the fake WhatsApp, and the fake Telegram server in front of everything.

use std::net::SocketAddr;
use std::time::Duration;

use crds::Phase;
use crds::secret::InstallKey;
use kube::ResourceExt;
use serde_json::{Value, json};
use tenant_bot::front_door::gateway::grants::{self, Grants};
use tests::Cluster;
use tests::chat::{press, said, said_after, text, to};
use tests::fake_telegram::{Call, FakeTelegram};
use tests::front_door::{self, BOT_TOKEN, FrontDoor};
use tests::operator::INSTALL_KEY;
use tests::process::free_address;
use tests::wait::wait_until;

use tests::stack::{link, stack};

use crate::operator::{Env, env, phase_is, status_where};

/// How texts show a number: masked.
fn masked(digits: &str) -> String {
    digits.parse::<crds::PhoneNumber>().unwrap().masked()
}

fn secret(account: &str) -> String {
    InstallKey::new(INSTALL_KEY.as_bytes())
        .unwrap()
        .tenant_secret(account)
}

#[tokio::test]
async fn pair_then_the_tenant_serves_the_menu() {
    let stack = stack("fd-pair", &[]).await;
    let owner = 7_001;
    let account = "wa-6281234567890";
    stack.telegram.push_update(text(owner, "/start"));
    said(&stack.telegram, owner, "Welcome to Pawang").await;

    link(&stack, owner, "0812-3456-7890", account).await;
    let created = stack.env.accounts.get(account).await.unwrap();
    assert_eq!(created.owner_id(), owner);
    assert_eq!(created.spec.language, crds::Language::En);
    assert!(!created.spec.storage.retain_on_delete);
    said(
        &stack.telegram,
        owner,
        "is linked and is now your active account",
    )
    .await;
    said(&stack.telegram, owner, "is connected").await;

    stack.telegram.push_update(text(owner, "/menu"));
    let menu = said(&stack.telegram, owner, "Dashboard").await;
    // A press of the tenant's button reaches it; it answers through the
    // gateway with the signed id it was given, and Telegram sees its own.
    let help = menu.params["reply_markup"]["inline_keyboard"][2][0]["callback_data"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(help, format!("{account}|menu:help"));
    let pressed = press(
        owner,
        &help,
        menu.params["message_id"].as_i64().unwrap_or(1),
    );
    let query_id = pressed["callback_query"]["id"].as_str().unwrap().to_owned();
    stack.telegram.push_update(pressed);
    stack
        .telegram
        .wait_for("answerCallbackQuery", |c| {
            c.params["callback_query_id"].as_str() == Some(query_id.as_str())
        })
        .await;
    said(&stack.telegram, owner, "/groups").await;
    assert!(
        menu.params["text"]
            .as_str()
            .unwrap()
            .contains(&masked("6281234567890")),
        "{menu:?}"
    );
    for call in stack.telegram.calls() {
        assert_eq!(
            call.token, BOT_TOKEN,
            "only the real token reaches Telegram"
        );
        if let Some(chat) = call.params["chat_id"].as_i64() {
            assert_eq!(chat, owner, "{call:?}");
        }
    }
    assert!(
        !stack.door.log().contains("6281234567890"),
        "a full number in the log"
    );
    assert!(!stack.tenants.log(account).await.contains("6281234567890"));
}

#[tokio::test]
async fn users_never_see_each_other() {
    let stack = stack("fd-isolation", &[]).await;
    let (alice, bob) = (7_101, 7_102);
    let (a, b) = ("wa-6281200000101", "wa-6281200000102");
    link(&stack, alice, "081200000101", a).await;
    link(&stack, bob, "081200000102", b).await;

    let calls = stack.telegram.calls().len();
    stack.telegram.push_update(text(alice, "/menu"));
    stack.telegram.push_update(text(bob, "/menu"));
    let menu = |masked: String| format!("Account: {masked}");
    said_after(
        &stack.telegram,
        calls,
        alice,
        &menu(masked("6281200000101")),
    )
    .await;
    said_after(&stack.telegram, calls, bob, &menu(masked("6281200000102"))).await;

    // A forged button naming Bob's account, pressed by Alice.
    let before = stack.telegram.calls().len();
    stack
        .telegram
        .push_update(press(alice, &format!("{b}|logout:yes"), 1));
    let refused = stack
        .telegram
        .wait_for("answerCallbackQuery", |c| {
            c.params["text"]
                .as_str()
                .is_some_and(|t| t.contains("not yours"))
        })
        .await;
    assert!(refused.params["callback_query_id"].as_str().is_some());
    let after: Vec<_> = stack.telegram.calls().into_iter().skip(before).collect();
    assert!(
        after
            .iter()
            .all(|c| c.params["chat_id"].as_i64() != Some(bob)),
        "{after:#?}"
    );
    let bob_account = stack.env.accounts.get(b).await.unwrap();
    assert_eq!(bob_account.status.unwrap().phase, Some(Phase::Connected));

    // Nothing of one user ever went to the other.
    let (masked_a, masked_b) = (masked("6281200000101"), masked("6281200000102"));
    for call in stack.telegram.calls() {
        let text = call.params["text"].as_str().unwrap_or_default();
        match call.params["chat_id"].as_i64() {
            Some(chat) if chat == alice => assert!(!text.contains(&masked_b), "{text}"),
            Some(chat) if chat == bob => assert!(!text.contains(&masked_a), "{text}"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn one_user_switches_between_two_accounts_and_a_restart_keeps_it() {
    let stack = stack("fd-switch", &[]).await;
    let owner = 7_201;
    let (first, second) = ("wa-6281200000201", "wa-6281200000202");
    link(&stack, owner, "081200000201", first).await;
    link(&stack, owner, "081200000202", second).await;

    // The second became active when it connected.
    let linked = format!("{} is linked", masked("6281200000202"));
    said(&stack.telegram, owner, &linked).await;
    stack.telegram.push_update(text(owner, "/menu"));
    said(
        &stack.telegram,
        owner,
        &format!("Account: {}", masked("6281200000202")),
    )
    .await;

    // Switch back with the accounts menu.
    stack.telegram.push_update(text(owner, "/accounts"));
    said(&stack.telegram, owner, "Your WhatsApp accounts").await;
    stack
        .telegram
        .push_update(press(owner, &format!("fd:use:{first}"), 1));
    stack
        .telegram
        .wait_for("answerCallbackQuery", |c| {
            c.params["text"]
                .as_str()
                .is_some_and(|t| t.contains(&format!("Now using {}", masked("6281200000201"))))
        })
        .await;
    let calls = stack.telegram.calls().len();
    stack.telegram.push_update(text(owner, "/menu"));
    let menu = said(
        &stack.telegram,
        owner,
        &format!("Account: {}", masked("6281200000201")),
    )
    .await;
    assert!(stack.telegram.calls().len() > calls, "{menu:?}");

    // The choice lives in the cluster: a new front door process knows it.
    let mut stack = stack;
    stack.door.restart().await;
    let before = stack.telegram.calls().len();
    stack.telegram.push_update(text(owner, "/menu"));
    said_after(
        &stack.telegram,
        before,
        owner,
        &format!("Account: {}", masked("6281200000201")),
    )
    .await;
}

/// How many dashboards (answers to `/menu`) `user` was sent.
fn dashboards(telegram: &FakeTelegram, user: i64) -> usize {
    let shown = to(user, "Account: ");
    telegram
        .calls()
        .iter()
        .filter(|c| c.method == "sendMessage" && shown(c))
        .count()
}

#[tokio::test]
async fn a_front_door_killed_with_updates_in_hand_loses_none_and_doubles_none() {
    let mut stack = stack("fd-killed", &[]).await;
    let (stuck, other) = (7_801, 7_802);
    let (stuck_account, other_account) = ("wa-6281200000801", "wa-6281200000802");
    link(&stack, stuck, "0812-0000-0801", stuck_account).await;
    link(&stack, other, "0812-0000-0802", other_account).await;
    let before = [
        dashboards(&stack.telegram, stuck),
        dashboards(&stack.telegram, other),
    ];
    const SENT: usize = 4;

    // One tenant hangs on the first update it is given; the front door
    // has the rest of that user's updates in hand, waiting their turn.
    stack.tenants.hold(stuck_account).await;
    for _ in 0..SENT {
        stack.telegram.push_update(text(stuck, "/menu"));
    }
    for _ in 0..SENT {
        stack.telegram.push_update(text(other, "/menu"));
    }
    // The other user is served in full meanwhile.
    wait_until("the other user's dashboards", || async {
        (dashboards(&stack.telegram, other) == before[1] + SENT).then_some(())
    })
    .await;
    wait_until("the stuck update held", || async {
        (stack.tenants.unread_requests(stuck_account).await == 1).then_some(())
    })
    .await;
    assert_eq!(dashboards(&stack.telegram, stuck), before[0]);

    // Killed with updates in hand; the tenant comes back while the front
    // door is down, the update it hung on possibly taken from a caller
    // that is gone.
    stack.door.kill();
    stack.tenants.release(stuck_account).await;
    stack.door.restart().await;

    // Updates are handled in order per user: once each user's `/help`
    // after the restart is answered, so is everything before it.
    let calls = stack.telegram.calls().len();
    for user in [stuck, other] {
        stack.telegram.push_update(text(user, "/help"));
    }
    for user in [stuck, other] {
        said_after(
            &stack.telegram,
            calls,
            user,
            "log this WhatsApp account out",
        )
        .await;
    }
    assert_eq!(
        [
            dashboards(&stack.telegram, stuck),
            dashboards(&stack.telegram, other)
        ],
        [before[0] + SENT, before[1] + SENT],
        "every update answered once, none lost and none twice"
    );
}

#[tokio::test]
async fn access_quotas_and_bad_numbers() {
    let stack = stack(
        "fd-limits",
        &[
            "--max-accounts-per-user=1",
            "--max-accounts=2",
            "--allowed-users=7301,7302,7303",
        ],
    )
    .await;
    let t = &stack.telegram;
    let (u1, u2, u3, stranger) = (7_301, 7_302, 7_303, 7_399);

    t.push_update(text(stranger, "/start"));
    said(t, stranger, "this bot is private").await;
    t.push_update(text(u1, "/groups"));
    said(t, u1, "You have no WhatsApp account linked yet").await;
    t.push_update(text(u1, "/help"));
    said(t, u1, "/pair <number>").await;

    let bad = [
        ("", "Send the WhatsApp number to link"),
        ("abc", "not a phone number"),
        ("0812", "too short"),
        ("+62 812 3456 7890 1234 5678", "too long"),
        ("+999 1234567", "Unknown country code"),
        ("08123456789012345678901234567890123", "too long"),
        ("😀", "not a phone number"),
        ("++6281234567890", "not a phone number"),
        ("+", "not a phone number"),
        ("0812-3456-78a0", "not a phone number"),
        ("+44 7700 900123", "not valid"),
        ("---", "not a phone number"),
    ];
    for (input, reason) in bad {
        let before = t.calls().len();
        t.push_update(text(u1, format!("/pair {input}").trim_end()));
        said_after(t, before, u1, reason).await;
    }
    let accounts = stack.env.accounts.list(&Default::default()).await.unwrap();
    assert!(accounts.items.is_empty(), "no account from a bad number");

    t.push_update(text(u1, "/pair 081200000301"));
    said(
        t,
        u1,
        &format!("Preparing WhatsApp {}", masked("6281200000301")),
    )
    .await;
    t.push_update(text(u1, "/pair 081200000302"));
    said(t, u1, "limit of 1 accounts").await;
    t.push_update(text(u2, "/pair 081200000301"));
    said(t, u2, "This number is linked already").await;
    t.push_update(text(u2, "/pair 081200000303"));
    said(
        t,
        u2,
        &format!("Preparing WhatsApp {}", masked("6281200000303")),
    )
    .await;
    t.push_update(text(u3, "/pair 081200000304"));
    said(t, u3, "reached its limit of accounts").await;

    let names: Vec<_> = stack
        .env
        .accounts
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .iter()
        .map(|a| a.name_any())
        .collect();
    assert_eq!(names, ["wa-6281200000301", "wa-6281200000303"]);
}

#[tokio::test]
async fn cancelling_a_pairing_removes_the_account() {
    let stack = stack("fd-cancel", &[]).await;
    let owner = 7_401;
    let account = "wa-6281200000401";
    stack
        .telegram
        .push_update(text(owner, "/pair 081200000401"));
    let code = said(&stack.telegram, owner, "Pairing code").await;
    let data = code.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        .as_str()
        .unwrap()
        .to_owned();
    let message = code.params["message_id"].as_i64().unwrap_or(1);
    stack.telegram.push_update(press(owner, &data, message));
    said(&stack.telegram, owner, "was removed").await;
    tests::wait::wait_until("the account gone", || async {
        stack
            .env
            .accounts
            .get_opt(account)
            .await
            .unwrap()
            .is_none()
            .then_some(())
    })
    .await;
}

/// Waits until the front door's cache has the account of `credential`.
async fn known_to_the_gateway(gateway: SocketAddr, credential: &str) {
    tests::wait::wait_until("the account in the front door's cache", || async {
        let (status, _) = gateway_call(gateway, credential, "getMe", json!({})).await;
        (status == 200).then_some(())
    })
    .await;
}

/// A gateway call with `credential`.
async fn gateway_call(
    gateway: SocketAddr,
    credential: &str,
    method: &str,
    body: Value,
) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("http://{gateway}/bot{credential}/{method}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_gateway_lets_a_tenant_reach_its_owner_only() {
    let stack = stack("fd-gateway", &[]).await;
    let (owner, other) = (7_501, 7_502);
    let account = "wa-6281200000501";
    link(&stack, owner, "081200000501", account).await;
    let credential = format!("{account}:{}", secret(account));
    let before = stack.telegram.calls().len();

    let (status, body) = gateway_call(
        stack.gateway,
        &credential,
        "sendMessage",
        json!({"chat_id": other, "text": "psst"}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = gateway_call(
        stack.gateway,
        &format!("{account}:{}", "0".repeat(64)),
        "sendMessage",
        json!({"chat_id": owner, "text": "hi"}),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = gateway_call(
        stack.gateway,
        "wa-6281299999999:whatever",
        "getMe",
        json!({}),
    )
    .await;
    assert_eq!(status, 401);
    for method in [
        "getUpdates",
        "setWebhook",
        "forwardMessage",
        "banChatMember",
    ] {
        let (status, _) = gateway_call(
            stack.gateway,
            &credential,
            method,
            json!({"chat_id": owner}),
        )
        .await;
        assert_eq!(status, 403, "{method}");
    }
    let (status, _) = gateway_call(
        stack.gateway,
        &credential,
        "answerCallbackQuery",
        json!({"callback_query_id": "never-routed"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = gateway_call(
        stack.gateway,
        &credential,
        "getFile",
        json!({"file_id": "never-routed"}),
    )
    .await;
    assert_eq!(status, 403);
    // The front door's own polling goes on meanwhile.
    let reached: Vec<Call> = stack
        .telegram
        .calls()
        .into_iter()
        .skip(before)
        .filter(|c| c.method != "getUpdates")
        .collect();
    assert!(reached.is_empty(), "nothing reached Telegram: {reached:#?}");

    let (status, body) = gateway_call(
        stack.gateway,
        &credential,
        "sendMessage",
        json!({"chat_id": owner, "text": "to my owner"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    said(&stack.telegram, owner, "to my owner").await;

    // A file routed to this tenant (its id signed for it) can be fetched
    // by it, and by no other tenant.
    stack
        .telegram
        .add_file("doc-1", b"Grup 1\nGrup 2\n".to_vec());
    let grants = Grants::new(InstallKey::new(INSTALL_KEY.as_bytes()).unwrap());
    let signed = grants.sign(grants::Kind::File, "doc-1", account);
    let other = create_account(&stack.env, "6281200000599", other).await;
    let other_credential = format!("{other}:{}", secret(&other));
    tests::wait::wait_until("the other account known", || async {
        let (status, _) = gateway_call(stack.gateway, &other_credential, "getMe", json!({})).await;
        (status == 200).then_some(())
    })
    .await;
    let (status, _) = gateway_call(
        stack.gateway,
        &other_credential,
        "getFile",
        json!({"file_id": signed}),
    )
    .await;
    assert_eq!(status, 403, "another tenant cannot use the grant");
    let (status, body) = gateway_call(
        stack.gateway,
        &credential,
        "getFile",
        json!({"file_id": signed}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let path = body["result"]["file_path"].as_str().unwrap().to_owned();
    let download = |credential: String, path: String| async move {
        let response = reqwest::get(format!(
            "http://{}/file/bot{credential}/{path}",
            stack.gateway
        ))
        .await
        .unwrap();
        (response.status().as_u16(), response.bytes().await.unwrap())
    };
    let (status, bytes) = download(credential.clone(), path.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(&bytes[..], b"Grup 1\nGrup 2\n");
    let (status, _) = download(other_credential, path).await;
    assert_eq!(status, 403);
    let (status, _) = download(credential, "documents/doc-1".to_owned()).await;
    assert_eq!(status, 403, "an unsigned path is refused");
}

/// A front door alone, with accounts created directly, for what needs no
/// tenant.
async fn door_only(test: &str, extra: &[&str]) -> (Env, FakeTelegram, FrontDoor) {
    let env = env(test).await;
    let telegram = FakeTelegram::start(&[BOT_TOKEN]).await;
    let kubeconfig = front_door::identity(&env.client, &env.ns).await;
    let door = FrontDoor::start(front_door::Options {
        namespace: env.ns.clone(),
        kubeconfig,
        telegram_url: telegram.url(),
        tenant_url_template: format!("http://{}/{{name}}", free_address()),
        gateway: free_address(),
        extra: extra.iter().map(|s| (*s).to_owned()).collect(),
        token: None,
    })
    .await;
    (env, telegram, door)
}

/// A front door with no tenant process and one account of `owner`, known
/// to its gateway; the account's gateway credential.
async fn one_tenant(
    test: &str,
    digits: &str,
    owner: i64,
) -> (Env, FakeTelegram, FrontDoor, String) {
    let (env, telegram, door) = door_only(test, &[]).await;
    let name = create_account(&env, digits, owner).await;
    let credential = format!("{name}:{}", secret(&name));
    known_to_the_gateway(door.options.gateway, &credential).await;
    (env, telegram, door, credential)
}

async fn create_account(env: &Env, digits: &str, owner: i64) -> String {
    let account =
        crds::WhatsAppAccount::for_phone(&digits.parse().unwrap(), owner, crds::Language::En);
    env.accounts
        .create(&Default::default(), &account)
        .await
        .unwrap()
        .name_any()
}

#[tokio::test]
async fn a_burst_of_many_tenants_keeps_the_bots_pace_and_loses_nothing() {
    let (env, telegram, door) = door_only("fd-burst", &[]).await;
    let gateway = door.options.gateway;
    let tenants: Vec<(String, i64)> = futures::future::join_all((0..100).map(|i| {
        let env = &env;
        async move {
            let owner = 8_000 + i;
            let name = create_account(env, &format!("6281300000{i:03}"), owner).await;
            (name, owner)
        }
    }))
    .await;
    // The front door knows every account once its cache has them.
    for (name, _) in &tenants {
        known_to_the_gateway(gateway, &format!("{name}:{}", secret(name))).await;
    }
    let before = telegram.calls().len();
    let sends = tenants.iter().map(|(name, owner)| {
        let credential = format!("{name}:{}", secret(name));
        async move {
            gateway_call(
                gateway,
                &credential,
                "sendMessage",
                json!({"chat_id": owner, "text": format!("hello {owner}")}),
            )
            .await
        }
    });
    let answers = futures::future::join_all(sends).await;
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "{answers:?}"
    );

    let sent: Vec<Call> = telegram
        .calls()
        .into_iter()
        .skip(before)
        .filter(|c| c.method == "sendMessage")
        .collect();
    assert_eq!(sent.len(), 100, "every reply reached Telegram once");
    for (_, owner) in &tenants {
        let to_owner = sent
            .iter()
            .filter(|c| c.params["chat_id"].as_i64() == Some(*owner))
            .count();
        assert_eq!(to_owner, 1, "owner {owner}");
    }
    // At most 30 in any second, as Telegram saw them (a tenth of a second
    // spared for the network between the gateway and the fake).
    let window = Duration::from_millis(900);
    let times: Vec<_> = sent.iter().map(|c| c.at).collect();
    for (i, start) in times.iter().enumerate() {
        let within = times[i..]
            .iter()
            .take_while(|t| t.duration_since(*start) < window)
            .count();
        assert!(within <= 30, "{within} messages within {window:?}");
    }
    let span = times.last().unwrap().duration_since(times[0]);
    assert!(
        span >= Duration::from_millis(2_500),
        "100 messages in {span:?}"
    );
}

#[tokio::test]
async fn telegram_failing_for_a_while_loses_nothing_and_its_waits_are_kept() {
    let owner = 8_400;
    let (_env, telegram, door, credential) =
        one_tenant("fd-telegram-down", "6281300000400", owner).await;
    let gateway = door.options.gateway;
    let before = telegram.calls().len();
    // Telegram fails three times, then asks twice to wait a second.
    telegram.fail_next("sendMessage", 502, None, 2);
    telegram.fail_next("sendMessage", 500, None, 1);
    telegram.fail_next("sendMessage", 429, Some(1), 2);

    // A tenant sends three messages, each once it has the answer.
    for i in 1..=3 {
        let body = json!({"chat_id": owner, "text": format!("message {i}")});
        let (status, answer) = gateway_call(gateway, &credential, "sendMessage", body).await;
        assert_eq!(status, 200, "message {i}: {answer}");
    }

    let sent: Vec<Call> = telegram
        .calls()
        .into_iter()
        .skip(before)
        .filter(|c| c.method == "sendMessage")
        .collect();
    let texts: Vec<&str> = sent
        .iter()
        .map(|c| c.params["text"].as_str().unwrap())
        .collect();
    // The first message is tried until it gets through; none is lost,
    // none is sent twice once it got through, and the order holds.
    assert_eq!(
        texts,
        [
            "message 1",
            "message 1",
            "message 1",
            "message 1",
            "message 1",
            "message 1",
            "message 2",
            "message 3"
        ]
    );
    // After each 429 (tries 4 and 5) nothing went out for its second.
    for after_429 in [3, 4] {
        let gap = sent[after_429 + 1].at.duration_since(sent[after_429].at);
        assert!(gap >= Duration::from_secs(1), "{gap:?} after a 429");
    }
    // Server errors are retried with a growing pause, not at once.
    let first = sent[1].at.duration_since(sent[0].at);
    let second = sent[2].at.duration_since(sent[1].at);
    assert!(first >= Duration::from_millis(400), "{first:?}");
    assert!(second > first, "{first:?} then {second:?}");
}

#[tokio::test]
async fn progress_edits_of_one_message_are_coalesced() {
    let owner = 8_501;
    let (_env, telegram, door, credential) =
        one_tenant("fd-coalesce", "6281300000501", owner).await;
    let gateway = door.options.gateway;
    // Spend the chat's burst so the edits have to wait together.
    for n in 0..3 {
        let (status, _) = gateway_call(
            gateway,
            &credential,
            "sendMessage",
            json!({"chat_id": owner, "text": format!("reply {n}")}),
        )
        .await;
        assert_eq!(status, 200);
    }
    let before = telegram.calls().len();
    let edits = (0..10).map(|n| {
        let credential = credential.clone();
        async move {
            gateway_call(
                gateway,
                &credential,
                "editMessageText",
                json!({"chat_id": owner, "message_id": 77, "text": format!("progress {n}")}),
            )
            .await
        }
    });
    let answers = futures::future::join_all(edits).await;
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "{answers:?}"
    );
    let sent = telegram
        .calls()
        .into_iter()
        .skip(before)
        .filter(|c| c.method == "editMessageText")
        .count();
    assert!(sent < 10, "{sent} edits reached Telegram for one message");
}

#[tokio::test]
async fn the_webhook_takes_updates_only_with_its_secret() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("webhook-secret");
    std::fs::write(&secret_file, "webhook-secret-0123456789\n").unwrap();
    let (_env, telegram, door) = door_only(
        "fd-webhook",
        &[
            "--intake=webhook",
            "--webhook-url=https://pawang.example.org/telegram/webhook",
            &format!("--webhook-secret-file={}", secret_file.display()),
        ],
    )
    .await;
    let set = telegram.wait_for("setWebhook", |_| true).await;
    assert_eq!(set.params["secret_token"], "webhook-secret-0123456789");
    assert!(
        telegram.calls_of("getUpdates").is_empty(),
        "no polling with a webhook"
    );

    let url = format!("http://{}/telegram/webhook", door.address);
    let mut update = text(8_601, "/start");
    update["update_id"] = json!(1);
    let http = reqwest::Client::new();
    let forged = http.post(&url).json(&update).send().await.unwrap();
    assert_eq!(forged.status(), 401);
    let wrong = http
        .post(&url)
        .header(crds::secret::HEADER, "guess")
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let before = telegram.calls().len();
    let real = http
        .post(&url)
        .header(crds::secret::HEADER, "webhook-secret-0123456789")
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(real.status(), 200);
    // Telegram is answered once the update is handled: the welcome is
    // already sent.
    let welcomes = || {
        let welcome = to(8_601, "Welcome to Pawang");
        telegram.calls().iter().filter(|c| welcome(c)).count()
    };
    assert_eq!(welcomes(), 1, "answered before the update was handled");
    let index = telegram
        .calls()
        .iter()
        .position(to(8_601, "Welcome to Pawang"))
        .unwrap();
    assert!(
        index >= before,
        "the welcome answers the accepted update only"
    );

    // Telegram sending the same update again (it did not get the answer
    // in time) is answered, not handled twice.
    let post = |update: Value| {
        http.post(&url)
            .header(crds::secret::HEADER, "webhook-secret-0123456789")
            .json(&update)
            .send()
    };
    assert_eq!(post(update.clone()).await.unwrap().status(), 200);
    let mut help = text(8_601, "/help");
    help["update_id"] = json!(2);
    assert_eq!(post(help).await.unwrap().status(), 200);
    said(&telegram, 8_601, "/accounts – your linked accounts").await;
    assert_eq!(welcomes(), 1, "a repeated update was handled again");
}

#[tokio::test]
async fn admins_suspend_and_resume_and_others_cannot() {
    let (env, telegram, _door) = door_only("fd-admin", &["--admins=8701"]).await;
    let (admin, user) = (8_701, 8_702);
    let name = create_account(&env, "6281300000701", user).await;
    tests::wait::wait_until("the account listed for the admin", || async {
        let before = telegram.calls().len();
        telegram.push_update(text(admin, "/admin"));
        let call = said_after(&telegram, before, admin, "Accounts:").await;
        call.params["text"]
            .as_str()
            .unwrap()
            .contains("Accounts: 1")
            .then_some(())
    })
    .await;

    telegram.push_update(press(user, &format!("fd:adm:sus:{name}"), 1));
    telegram
        .wait_for("answerCallbackQuery", |c| {
            c.params["text"]
                .as_str()
                .is_some_and(|t| t.contains("Only admins"))
        })
        .await;
    assert!(!env.accounts.get(&name).await.unwrap().spec.suspend);

    telegram.push_update(press(admin, &format!("fd:adm:sus:{name}"), 1));
    tests::wait::wait_until("suspended", || async {
        env.accounts
            .get(&name)
            .await
            .unwrap()
            .spec
            .suspend
            .then_some(())
    })
    .await;
    telegram.push_update(press(admin, &format!("fd:adm:res:{name}"), 1));
    tests::wait::wait_until("resumed", || async {
        (!env.accounts.get(&name).await.unwrap().spec.suspend).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_flooding_user_is_slowed_down_and_others_are_not() {
    let (_env, telegram, door) = door_only("fd-flood", &["--user-rate-per-minute=30"]).await;
    let (flooder, calm) = (8_801, 8_802);
    for _ in 0..40 {
        telegram.push_update(text(flooder, "/help"));
    }
    said(&telegram, flooder, "slow down").await;
    telegram.push_update(text(calm, "/help"));
    said(&telegram, calm, "/pair <number>").await;
    let limited = door
        .metric("pawang_front_door_updates_total{outcome=\"rate_limited\"}")
        .await
        .unwrap_or_default();
    assert!(limited >= 1.0, "{limited}");
    let answered = telegram
        .calls_of("sendMessage")
        .iter()
        .filter(|c| to(flooder, "/pair <number>")(c))
        .count();
    assert!(answered < 40, "{answered} of 40 answered");
}

#[tokio::test]
async fn a_tenant_that_is_not_running_gets_the_user_an_answer() {
    let (env, telegram, _door) = door_only("fd-not-ready", &[]).await;
    let owner = 8_901;
    let name = create_account(&env, "6281300000901", owner).await;
    let starting = format!("{} is starting", masked("6281300000901"));
    // Until the front door's cache has the account, /menu is the welcome.
    tests::wait::wait_until("an answer naming the account", || async {
        let before = telegram.calls().len();
        telegram.push_update(text(owner, "/menu"));
        let call = telegram
            .wait_for_call("an answer", before, |c| {
                c.method == "sendMessage" && c.params["chat_id"].as_i64() == Some(owner)
            })
            .await;
        call.params["text"]
            .as_str()
            .unwrap()
            .contains(&starting)
            .then_some(())
    })
    .await;
    let pressed = telegram.calls().len();
    telegram.push_update(press(owner, &format!("{name}|menu:groups"), 1));
    telegram
        .wait_for_call("the button answered", pressed, |c| {
            c.method == "answerCallbackQuery"
                && c.params["text"]
                    .as_str()
                    .is_some_and(|t| t.contains(&starting))
        })
        .await;
}

#[tokio::test]
async fn the_front_door_may_manage_accounts_and_nothing_else() {
    let env = env("fd-rbac").await;
    front_door::identity(&env.client, &env.ns).await;
    let me = format!("system:serviceaccount:{}:pawang-front-door", env.ns);
    let can_i = |args: &[&str]| {
        let output = Cluster::shared()
            .command("kubectl")
            .args(["auth", "can-i", "--namespace", &env.ns, "--as", &me])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    let accounts = "whatsappaccounts.pawang.dev";
    let table: [(&[&str], &str); 14] = [
        (&["create", accounts], "yes"),
        (&["get", accounts], "yes"),
        (&["list", accounts], "yes"),
        (&["watch", accounts], "yes"),
        (&["patch", accounts], "yes"),
        (&["delete", accounts], "yes"),
        (&["update", accounts], "no"),
        (&["patch", accounts, "--subresource=status"], "no"),
        (&["get", "secrets"], "no"),
        (&["list", "pods"], "no"),
        (&["create", "pods"], "no"),
        (&["get", "statefulsets.apps"], "no"),
        (&["create", "roles.rbac.authorization.k8s.io"], "no"),
        (&["list", accounts, "--all-namespaces"], "no"),
    ];
    for (args, want) in table {
        assert_eq!(can_i(args), want, "can-i {args:?}");
    }
}

#[tokio::test]
async fn an_account_logged_out_from_the_phone_is_linked_again_with_pair() {
    let stack = stack("fd-relink", &[]).await;
    let owner = 7_701;
    let account = "wa-6281200000701";
    link(&stack, owner, "081200000701", account).await;

    let url = format!("{}/fake/log-out", stack.tenants.url(account));
    let response = reqwest::Client::new()
        .post(&url)
        .header(crds::secret::HEADER, secret(account))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    said(&stack.telegram, owner, "was logged out from the phone").await;
    status_where(
        &stack.env,
        account,
        "logged out",
        phase_is(Phase::LoggedOut),
    )
    .await;

    let before = stack.telegram.calls().len();
    stack.telegram.push_update(text(owner, "/pair"));
    stack
        .telegram
        .wait_for_call("a new pairing code", before, |c| {
            c.method == "sendMessage" && to(owner, "Pairing code")(c)
        })
        .await;
    stack.tenants.enter_code(account).await;
    status_where(
        &stack.env,
        account,
        "connected again",
        phase_is(Phase::Connected),
    )
    .await;
}

#[tokio::test]
async fn accounts_keep_their_volume_when_the_install_says_so() {
    let (env, telegram, _door) = door_only("fd-retain", &["--retain-volumes", "true"]).await;
    telegram.push_update(text(7_801, "/pair 0812-0000-0801"));
    let account = wait_until("the account", || async {
        env.accounts
            .get_opt("wa-6281200000801")
            .await
            .ok()
            .flatten()
    })
    .await;
    assert!(account.spec.storage.retain_on_delete);
}
