//! The front door's answers to one user's updates, as a table of
//! scenarios: a local Bot API records what the front door says, a local
//! tenant what it is handed, and an in-memory registry holds the accounts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, State};
use crds::{Language, Phase, PhoneNumber, WhatsAppAccount, WhatsAppAccountStatus};
use kube::ResourceExt;
use serde_json::{Value, json};
use teloxide::Bot;

use super::FrontDoor;
use crate::front_door::accounts::{self, Accounts, Registry};
use crate::front_door::gateway::grants::{self, Grants};
use crate::front_door::metrics::Metrics;
use crate::front_door::routing::{Handler as _, Tenants};
use crate::front_door::settings::{Access, Intake, Settings};
use crate::front_door::ui::Ui;
use crate::telegram::Catalog;

const OWNER: i64 = 7_001;
const OTHER: i64 = 7_002;
const ADMIN: i64 = 7_009;
const STRANGER: i64 = 7_666;
const PHONE: &str = "6281234567890";
const SECOND: &str = "6281234567891";
const THEIRS: &str = "6285712345678";

/// Accounts in memory.
#[derive(Default)]
struct Memory(Mutex<HashMap<String, Arc<WhatsAppAccount>>>);

fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                merge(target.entry(key.clone()).or_insert(json!({})), value);
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

#[async_trait::async_trait]
impl Registry for Memory {
    async fn ready(&self) -> bool {
        true
    }
    fn state(&self) -> Vec<Arc<WhatsAppAccount>> {
        self.0.lock().unwrap().values().cloned().collect()
    }
    fn find(&self, name: &str) -> Option<Arc<WhatsAppAccount>> {
        self.0.lock().unwrap().get(name).cloned()
    }
    async fn create(&self, account: &WhatsAppAccount) -> accounts::Result<()> {
        let mut all = self.0.lock().unwrap();
        if all.contains_key(&account.name_any()) {
            return Err(accounts::Error::Taken);
        }
        all.insert(account.name_any(), Arc::new(account.clone()));
        Ok(())
    }
    async fn merge(&self, name: &str, patch: Value) -> accounts::Result<()> {
        let mut all = self.0.lock().unwrap();
        let current = all.get(name).cloned().unwrap();
        let mut body = serde_json::to_value(&*current).unwrap();
        merge(&mut body, &patch);
        all.insert(
            name.to_owned(),
            Arc::new(serde_json::from_value(body).unwrap()),
        );
        Ok(())
    }
    async fn delete(&self, name: &str) -> accounts::Result<()> {
        self.0.lock().unwrap().remove(name);
        Ok(())
    }
}

/// What the local Bot API and the local tenants were told.
#[derive(Default)]
struct Seen {
    /// Bot API calls: the method in lower case and its parameters.
    calls: Mutex<Vec<(String, Value)>>,
    /// Updates handed to tenants, by account.
    forwarded: Mutex<Vec<(String, Value)>>,
    /// Accounts whose tenant answers 500.
    down: Mutex<Vec<String>>,
    next_message: Mutex<i32>,
}

async fn bot_api(
    State(seen): State<Arc<Seen>>,
    Path((_, method)): Path<(String, String)>,
    Json(params): Json<Value>,
) -> Json<Value> {
    let method = method.to_ascii_lowercase();
    seen.calls
        .lock()
        .unwrap()
        .push((method.clone(), params.clone()));
    let result = match method.as_str() {
        "sendmessage" | "editmessagetext" => {
            let mut next = seen.next_message.lock().unwrap();
            *next += 1;
            json!({
                "message_id": params["message_id"].as_i64().unwrap_or(i64::from(*next)),
                "date": 0,
                "chat": {"id": params["chat_id"], "type": "private"},
                "text": params["text"],
            })
        }
        _ => json!(true),
    };
    Json(json!({"ok": true, "result": result}))
}

async fn tenant(
    State(seen): State<Arc<Seen>>,
    Path(account): Path<String>,
    Json(update): Json<Value>,
) -> axum::http::StatusCode {
    if seen.down.lock().unwrap().contains(&account) {
        return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
    }
    seen.forwarded.lock().unwrap().push((account, update));
    axum::http::StatusCode::OK
}

struct Harness {
    door: Arc<FrontDoor>,
    seen: Arc<Seen>,
    registry: Arc<Memory>,
    catalog: Catalog,
    grants: Grants,
    next_update: i64,
}

fn settings(address: std::net::SocketAddr, allowed: Vec<i64>) -> Settings {
    Settings {
        bot_token_file: "/dev/null".into(),
        install_key_file: "/dev/null".into(),
        namespace: "pawang".into(),
        access: Access {
            admins: vec![ADMIN],
            allowed_users: allowed,
            max_accounts_per_user: 2,
            max_accounts: 100,
        },
        tenant_url_template: format!("http://{address}/tenant/{{name}}"),
        telegram_api_url: format!("http://{address}"),
        intake: Intake::Polling,
        webhook_url: None,
        webhook_secret_file: None,
        listen: address,
        gateway_listen: address,
        user_rate_per_minute: 30,
        retain_volumes: false,
    }
}

impl Harness {
    /// A front door open to everyone.
    async fn open() -> Self {
        Self::start(vec![]).await
    }

    /// A front door only `allowed` (and the admin) may use.
    async fn start(allowed: Vec<i64>) -> Self {
        let seen = Arc::new(Seen::default());
        let app = axum::Router::new()
            .route("/{bot}/{method}", axum::routing::post(bot_api))
            .route(
                "/tenant/{account}/telegram/update",
                axum::routing::post(tenant),
            )
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let settings = Arc::new(settings(address, allowed));
        let key =
            crds::secret::InstallKey::new(b"a test install key, long enough to take").unwrap();
        let registry = Arc::new(Memory::default());
        let metrics = Metrics::new().unwrap();
        let bot = Bot::new("1:test").set_api_url(format!("http://{address}").parse().unwrap());
        let grants = Grants::new(key.clone());
        let door = Arc::new(FrontDoor::new(
            settings.clone(),
            Accounts::new(registry.clone()),
            Arc::new(Catalog::new().unwrap()),
            Ui::new(bot, metrics.telegram_errors.clone()),
            Tenants::new(&settings.tenant_url_template, &settings.namespace, key),
            grants.clone(),
            metrics,
        ));
        Self {
            door,
            seen,
            registry,
            catalog: Catalog::new().unwrap(),
            grants,
            next_update: 100,
        }
    }

    /// Adds `owner`'s account of `phone` in `phase`.
    fn account(&self, phone: &str, owner: i64, phase: Phase) -> String {
        let phone: PhoneNumber = phone.parse().unwrap();
        let mut account = WhatsAppAccount::for_phone(&phone, owner, Language::Id);
        account.status = Some(WhatsAppAccountStatus {
            phase: Some(phase),
            ..WhatsAppAccountStatus::default()
        });
        let name = account.name_any();
        self.registry
            .0
            .lock()
            .unwrap()
            .insert(name.clone(), Arc::new(account));
        name
    }

    fn text(&self, language: Language, id: &str, args: &[(&str, &str)]) -> String {
        self.catalog.text(language, id, args)
    }

    /// Hands `user`'s update of `kind` to the front door; returns the
    /// Bot API calls it made and the updates it forwarded.
    async fn update(
        &mut self,
        user: i64,
        kind: &str,
        body: Value,
    ) -> (Vec<(String, Value)>, Vec<(String, Value)>) {
        self.next_update += 1;
        let mut update = json!({"update_id": self.next_update});
        update[kind] = body;
        self.door.handle(user, update).await;
        let calls = std::mem::take(&mut *self.seen.calls.lock().unwrap());
        let forwarded = std::mem::take(&mut *self.seen.forwarded.lock().unwrap());
        (calls, forwarded)
    }

    async fn say(&mut self, user: i64, text: &str) -> (Vec<(String, Value)>, Vec<(String, Value)>) {
        let message = message(user, text);
        self.update(user, "message", message).await
    }

    async fn press(
        &mut self,
        user: i64,
        data: &str,
    ) -> (Vec<(String, Value)>, Vec<(String, Value)>) {
        let query = json!({
            "id": format!("q{}", self.next_update),
            "from": {"id": user, "is_bot": false, "first_name": "U"},
            "chat_instance": "c",
            "message": message(user, "earlier"),
            "data": data,
        });
        self.update(user, "callback_query", query).await
    }
}

fn message(user: i64, text: &str) -> Value {
    json!({
        "message_id": 50,
        "date": 0,
        "chat": {"id": user, "type": "private", "first_name": "U"},
        "from": {"id": user, "is_bot": false, "first_name": "U"},
        "text": text,
    })
}

/// The one message sent or edited among `calls`, with its buttons' data.
fn shown(calls: &[(String, Value)]) -> (String, String, Vec<String>) {
    let shown: Vec<_> = calls
        .iter()
        .filter(|(m, _)| m == "sendmessage" || m == "editmessagetext")
        .collect();
    assert_eq!(shown.len(), 1, "{calls:?}");
    let (method, params) = shown[0];
    let buttons = params["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().into_iter().flatten())
        .map(|b| b["callback_data"].as_str().unwrap().to_owned())
        .collect();
    (
        method.clone(),
        params["text"].as_str().unwrap().to_owned(),
        buttons,
    )
}

/// The notice of the one callback answer among `calls`.
fn answered(calls: &[(String, Value)]) -> Option<String> {
    let answers: Vec<_> = calls
        .iter()
        .filter(|(m, _)| m == "answercallbackquery")
        .collect();
    assert_eq!(answers.len(), 1, "{calls:?}");
    answers[0].1["text"].as_str().map(str::to_owned)
}

fn texts(calls: &[(String, Value)]) -> Vec<String> {
    calls
        .iter()
        .filter(|(m, _)| m == "sendmessage" || m == "editmessagetext")
        .map(|(_, p)| p["text"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn strangers_are_refused() {
    let mut h = Harness::start(vec![OWNER]).await;
    let refused = h.text(Language::Id, "access-not-allowed", &[]);
    for text in ["/start", "/pair 0812 3456 7890", "hello", "/admin"] {
        let (calls, forwarded) = h.say(STRANGER, text).await;
        assert_eq!(texts(&calls), std::slice::from_ref(&refused), "{text}");
        assert!(forwarded.is_empty());
    }
    let (calls, _) = h.press(STRANGER, "fd:pair").await;
    assert_eq!(answered(&calls), Some(refused));
    assert_eq!(calls.len(), 1);
    // The admin is always allowed.
    let (calls, _) = h.say(ADMIN, "/help").await;
    assert_eq!(
        texts(&calls),
        [h.text(Language::Id, "help-front-door", &[])]
    );
}

#[tokio::test]
async fn without_an_account_the_front_door_answers() {
    let mut h = Harness::open().await;
    for start in ["/start", "/menu", "/START@pawang_bot", "/start deep-link"] {
        let (calls, forwarded) = h.say(OWNER, start).await;
        let (method, text, buttons) = shown(&calls);
        assert_eq!(method, "sendmessage");
        assert_eq!(text, h.text(Language::Id, "start-welcome", &[]), "{start}");
        assert_eq!(buttons, ["fd:pair", "fd:lang", "fd:help"]);
        assert!(forwarded.is_empty());
    }
    let (calls, _) = h.say(OWNER, "/help").await;
    assert_eq!(
        texts(&calls),
        [h.text(Language::Id, "help-front-door", &[])]
    );
    let (calls, _) = h.say(OWNER, "/lang").await;
    let (_, text, buttons) = shown(&calls);
    assert_eq!(text, h.text(Language::Id, "lang-choose", &[]));
    assert_eq!(buttons, ["fd:lang:id", "fd:lang:en"]);
    let denied = h.text(Language::Id, "access-denied-pair", &[]);
    for other in ["hello", "/logout", "/groups", "/cancel", "/admin", "/"] {
        let (calls, forwarded) = h.say(OWNER, other).await;
        assert_eq!(texts(&calls), std::slice::from_ref(&denied), "{other}");
        assert!(forwarded.is_empty());
    }
    let (calls, _) = h.say(OWNER, "/accounts").await;
    let (_, text, buttons) = shown(&calls);
    assert_eq!(text, h.text(Language::Id, "accounts-none", &[]));
    assert_eq!(buttons, ["fd:pair"]);
    // Telegram's language hint counts until the user picks one.
    let mut english = message(OWNER, "/help");
    english["from"]["language_code"] = json!("en-GB");
    let (calls, _) = h.update(OWNER, "message", english).await;
    assert_eq!(
        texts(&calls),
        [h.text(Language::En, "help-front-door", &[])]
    );
}

#[tokio::test]
async fn the_front_doors_own_buttons() {
    let mut h = Harness::open().await;
    let (calls, _) = h.press(OWNER, "fd:help").await;
    assert_eq!(
        texts(&calls),
        [h.text(Language::Id, "help-front-door", &[])]
    );
    assert_eq!(answered(&calls), None);

    let (calls, _) = h.press(OWNER, "fd:lang").await;
    let (method, text, buttons) = shown(&calls);
    assert_eq!(method, "editmessagetext");
    assert_eq!(text, h.text(Language::Id, "lang-choose", &[]));
    assert_eq!(buttons, ["fd:lang:id", "fd:lang:en"]);
    assert_eq!(answered(&calls), None);

    let (calls, _) = h.press(OWNER, "fd:lang:en").await;
    let (method, text, _) = shown(&calls);
    assert_eq!(method, "editmessagetext");
    assert_eq!(text, h.text(Language::En, "lang-set", &[]));
    let (calls, _) = h.say(OWNER, "/help").await;
    assert_eq!(
        texts(&calls),
        [h.text(Language::En, "help-front-door", &[])]
    );
    let (calls, _) = h.press(OWNER, "fd:lang:id").await;
    assert_eq!(shown(&calls).1, h.text(Language::Id, "lang-set", &[]));

    let (calls, _) = h.press(OWNER, "fd:pair").await;
    let (method, text, _) = shown(&calls);
    assert_eq!(method, "editmessagetext");
    assert_eq!(text, h.text(Language::Id, "pair-ask-number", &[]));
    assert_eq!(answered(&calls), None);
    let (calls, _) = h.say(OWNER, "/cancel").await;
    assert_eq!(
        texts(&calls),
        [h.text(Language::Id, "pair-input-cancelled", &[])]
    );

    let (calls, _) = h.press(OWNER, "fd:accounts").await;
    assert_eq!(shown(&calls).1, h.text(Language::Id, "accounts-none", &[]));
    assert_eq!(answered(&calls), None);

    for stale in ["fd:nothing", "fd:"] {
        let (calls, _) = h.press(OWNER, stale).await;
        assert_eq!(calls.len(), 1, "{stale}: {calls:?}");
        assert_eq!(
            answered(&calls),
            Some(h.text(Language::Id, "stale-button", &[]))
        );
    }
    // A button of no account when the user has none.
    let (calls, forwarded) = h.press(OWNER, "menu:groups").await;
    assert_eq!(
        answered(&calls),
        Some(h.text(Language::Id, "stale-button", &[]))
    );
    assert!(forwarded.is_empty());
}

#[tokio::test]
async fn a_number_is_paired() {
    let mut h = Harness::open().await;
    let (calls, _) = h.say(OWNER, "/pair").await;
    assert_eq!(
        texts(&calls),
        [h.text(Language::Id, "pair-ask-number", &[])]
    );
    let (calls, _) = h.say(OWNER, "0812-3456-7890").await;
    let masked = PHONE.parse::<PhoneNumber>().unwrap().masked();
    assert_eq!(
        texts(&calls),
        [h.text(Language::Id, "pair-preparing", &[("phone", &masked)])]
    );
    assert!(h.registry.find(&format!("wa-{PHONE}")).is_some());
    // The question was answered: the next text is not a number.
    let (calls, forwarded) = h.say(OWNER, "0812-3456-7891").await;
    assert!(texts(&calls).is_empty(), "{calls:?}");
    assert_eq!(forwarded.len(), 1);

    // Taken by someone else; linked already.
    let (calls, _) = h.say(OTHER, &format!("/pair +{PHONE}")).await;
    assert_eq!(texts(&calls), [h.text(Language::Id, "pair-taken", &[])]);
    let (calls, _) = h.say(OWNER, &format!("/pair@pawang_bot  +{PHONE}")).await;
    assert_eq!(
        texts(&calls),
        [h.text(Language::Id, "pair-yours-already", &[("phone", &masked)])]
    );
    let (calls, _) = h.say(OTHER, "/pair 12").await;
    assert_eq!(texts(&calls).len(), 1);
    assert_eq!(h.registry.state().len(), 1);

    // A command ends the question; a photo does not answer it.
    h.say(OTHER, "/pair").await;
    let mut photo = message(OTHER, "");
    photo.as_object_mut().unwrap().remove("text");
    let (calls, _) = h.update(OTHER, "message", photo).await;
    assert_eq!(
        texts(&calls),
        [h.text(Language::Id, "access-denied-pair", &[])]
    );
    h.say(OTHER, "/help").await;
    let (calls, _) = h.say(OTHER, &format!("+{SECOND}")).await;
    assert_eq!(
        texts(&calls),
        [h.text(Language::Id, "access-denied-pair", &[])]
    );
    let (calls, _) = h.say(OTHER, "/cancel").await;
    assert_eq!(
        texts(&calls),
        [h.text(Language::Id, "access-denied-pair", &[])]
    );
}

#[tokio::test]
async fn quotas_hold() {
    let mut h = Harness::open().await;
    h.account(PHONE, OWNER, Phase::Connected);
    h.account(SECOND, OWNER, Phase::Connected);
    let (calls, _) = h.say(OWNER, &format!("/pair +{THEIRS}")).await;
    assert_eq!(
        texts(&calls),
        [h.text(Language::Id, "quota-user", &[("max", "2")])]
    );
    let (calls, _) = h.say(OWNER, "/accounts").await;
    let (_, _, buttons) = shown(&calls);
    assert!(!buttons.contains(&"fd:pair".to_owned()), "{buttons:?}");
}

#[tokio::test]
async fn with_an_account_updates_go_to_its_tenant() {
    let mut h = Harness::open().await;
    let name = h.account(PHONE, OWNER, Phase::Connected);
    for text in [
        "hello", "/menu", "/start", "/help", "/lang", "/logout", "/cancel", "/admin",
    ] {
        let (calls, forwarded) = h.say(OWNER, text).await;
        assert!(calls.is_empty(), "{text}: {calls:?}");
        assert_eq!(forwarded.len(), 1, "{text}");
        assert_eq!(forwarded[0].0, name);
        assert_eq!(forwarded[0].1["message"]["text"], text);
    }
    let (calls, forwarded) = h
        .update(OWNER, "edited_message", message(OWNER, "edited"))
        .await;
    assert!(calls.is_empty());
    assert_eq!(forwarded[0].1["edited_message"]["text"], "edited");
    // Without an account, other kinds of update are dropped.
    let (calls, forwarded) = h
        .update(OTHER, "edited_message", message(OTHER, "edited"))
        .await;
    assert!(calls.is_empty() && forwarded.is_empty());

    // Untagged buttons go to the active account as they are.
    let (calls, forwarded) = h.press(OWNER, "menu:groups").await;
    assert!(calls.is_empty());
    let query = &forwarded[0].1["callback_query"];
    assert_eq!(query["data"], "menu:groups");
    let id = query["id"].as_str().unwrap();
    assert!(h.grants.verify(grants::Kind::Callback, id, &name).is_some());

    // Tagged buttons go to their account, untagged.
    let (calls, forwarded) = h.press(OWNER, &format!("{name}|groups:refresh")).await;
    assert!(calls.is_empty());
    assert_eq!(forwarded[0].0, name);
    assert_eq!(forwarded[0].1["callback_query"]["data"], "groups:refresh");

    // The tenant's "accounts" button is the front door's.
    let (calls, forwarded) = h.press(OWNER, &format!("{name}|menu:accounts")).await;
    assert!(forwarded.is_empty());
    let (method, text, buttons) = shown(&calls);
    assert_eq!(method, "editmessagetext");
    assert!(
        text.starts_with(&h.text(Language::Id, "accounts-title", &[])),
        "{text}"
    );
    assert_eq!(buttons, [format!("fd:del:{name}"), "fd:pair".to_owned()]);
    assert_eq!(answered(&calls), None);

    // Another user's account, or a deleted one.
    let theirs = h.account(THEIRS, OTHER, Phase::Connected);
    for data in [
        format!("{theirs}|menu:groups"),
        "wa-999|menu:groups".to_owned(),
    ] {
        let (calls, forwarded) = h.press(OWNER, &data).await;
        assert!(forwarded.is_empty());
        assert_eq!(
            answered(&calls),
            Some(h.text(Language::Id, "button-not-yours", &[]))
        );
    }
}

#[tokio::test]
async fn an_unavailable_tenant_is_explained() {
    let mut h = Harness::open().await;
    let name = h.account(PHONE, OWNER, Phase::Disconnected);
    h.seen.down.lock().unwrap().push(name.clone());
    let masked = PHONE.parse::<PhoneNumber>().unwrap().masked();
    let phase = h.text(Language::Id, "phase-disconnected", &[]);
    let expected = h.text(
        Language::Id,
        "tenant-not-connected",
        &[("phone", &masked), ("phase", &phase)],
    );
    let (calls, _) = h.say(OWNER, "/menu").await;
    assert_eq!(texts(&calls), std::slice::from_ref(&expected));
    let (calls, _) = h.press(OWNER, &format!("{name}|menu:groups")).await;
    assert_eq!(answered(&calls), Some(expected));
    assert_eq!(calls.len(), 1);
}

#[tokio::test]
async fn a_cancelled_pairing_removes_its_account() {
    let mut h = Harness::open().await;
    let name = h.account(PHONE, OWNER, Phase::AwaitingPairing);
    let (calls, forwarded) = h.press(OWNER, &format!("{name}|pair:cancel")).await;
    assert_eq!(forwarded[0].1["callback_query"]["data"], "pair:cancel");
    let masked = PHONE.parse::<PhoneNumber>().unwrap().masked();
    assert_eq!(
        texts(&calls),
        [h.text(Language::Id, "pair-removed", &[("phone", &masked)])]
    );
    assert!(h.registry.find(&name).is_none());
    // A linked account stays.
    let name = h.account(PHONE, OWNER, Phase::Connected);
    let (calls, _) = h.press(OWNER, &format!("{name}|pair:cancel")).await;
    assert!(calls.is_empty());
    assert!(h.registry.find(&name).is_some());
}

#[tokio::test]
async fn a_logged_out_account_pairs_again_through_its_tenant() {
    let mut h = Harness::open().await;
    let name = h.account(PHONE, OWNER, Phase::LoggedOut);
    let (calls, forwarded) = h.say(OWNER, "/pair").await;
    assert!(calls.is_empty());
    assert_eq!(forwarded[0].0, name);
    let (calls, forwarded) = h.say(OWNER, "/pair 0812 3456 7890").await;
    assert!(calls.is_empty(), "{calls:?}");
    assert_eq!(forwarded[0].1["message"]["text"], "/pair");
}

#[tokio::test]
async fn owners_switch_and_delete_accounts() {
    let mut h = Harness::open().await;
    let first = h.account(PHONE, OWNER, Phase::Connected);
    let second = h.account(SECOND, OWNER, Phase::Connected);
    let theirs = h.account(THEIRS, OTHER, Phase::Connected);
    let (calls, _) = h.say(OWNER, "/accounts").await;
    let (_, _, buttons) = shown(&calls);
    assert_eq!(
        buttons,
        [
            format!("fd:del:{first}"),
            format!("fd:use:{second}"),
            format!("fd:del:{second}")
        ]
    );

    let (calls, _) = h.press(OWNER, &format!("fd:use:{second}")).await;
    let masked = SECOND.parse::<PhoneNumber>().unwrap().masked();
    assert_eq!(
        answered(&calls),
        Some(h.text(Language::Id, "accounts-switched", &[("phone", &masked)]))
    );
    let (_, _, buttons) = shown(&calls);
    assert_eq!(
        buttons,
        [
            format!("fd:use:{first}"),
            format!("fd:del:{first}"),
            format!("fd:del:{second}")
        ]
    );
    let (_, forwarded) = h.say(OWNER, "hello").await;
    assert_eq!(forwarded[0].0, second);

    let (calls, _) = h.press(OWNER, &format!("fd:del:{second}")).await;
    let (method, text, buttons) = shown(&calls);
    assert_eq!(method, "editmessagetext");
    assert_eq!(
        text,
        h.text(Language::Id, "delete-confirm", &[("phone", &masked)])
    );
    assert_eq!(
        buttons,
        [format!("fd:delyes:{second}"), "fd:accounts".to_owned()]
    );
    assert_eq!(answered(&calls), None);

    let (calls, _) = h.press(OWNER, &format!("fd:delyes:{second}")).await;
    assert_eq!(
        shown(&calls).1,
        h.text(Language::Id, "account-deleted", &[("phone", &masked)])
    );
    assert_eq!(answered(&calls), None);
    assert!(h.registry.find(&second).is_none());

    for data in [
        format!("fd:use:{theirs}"),
        format!("fd:del:{theirs}"),
        format!("fd:delyes:{theirs}"),
        "fd:use".to_owned(),
    ] {
        let (calls, _) = h.press(OWNER, &data).await;
        assert_eq!(calls.len(), 1, "{data}");
        assert_eq!(
            answered(&calls),
            Some(h.text(Language::Id, "button-not-yours", &[]))
        );
    }
    assert!(h.registry.find(&theirs).is_some());
}

#[tokio::test]
async fn admins_see_and_change_every_account() {
    let mut h = Harness::open().await;
    let name = h.account(PHONE, OWNER, Phase::Connected);
    let masked = PHONE.parse::<PhoneNumber>().unwrap().masked();
    let (calls, forwarded) = h.say(ADMIN, "/admin").await;
    assert!(forwarded.is_empty());
    let (_, text, buttons) = shown(&calls);
    assert!(
        text.starts_with(&h.text(Language::Id, "admin-title", &[("total", "1")])),
        "{text}"
    );
    assert_eq!(
        buttons,
        [format!("fd:adm:sus:{name}"), format!("fd:adm:del:{name}")]
    );

    let (calls, _) = h.press(ADMIN, &format!("fd:adm:sus:{name}")).await;
    assert_eq!(
        answered(&calls),
        Some(h.text(Language::Id, "admin-suspended", &[("phone", &masked)]))
    );
    assert!(h.registry.find(&name).unwrap().spec.suspend);
    let (calls, _) = h.press(ADMIN, "fd:adm:list:").await;
    let (method, _, buttons) = shown(&calls);
    assert_eq!(method, "editmessagetext");
    assert_eq!(
        buttons,
        [format!("fd:adm:res:{name}"), format!("fd:adm:del:{name}")]
    );
    assert_eq!(answered(&calls), None);
    let (calls, _) = h.press(ADMIN, &format!("fd:adm:res:{name}")).await;
    assert_eq!(
        answered(&calls),
        Some(h.text(Language::Id, "admin-resumed", &[("phone", &masked)]))
    );
    assert!(!h.registry.find(&name).unwrap().spec.suspend);

    let (calls, _) = h.press(ADMIN, &format!("fd:adm:del:{name}")).await;
    let (_, text, buttons) = shown(&calls);
    assert_eq!(
        text,
        h.text(Language::Id, "delete-confirm", &[("phone", &masked)])
    );
    assert_eq!(
        buttons,
        [format!("fd:adm:delyes:{name}"), "fd:adm:list:".to_owned()]
    );
    let (calls, _) = h.press(ADMIN, &format!("fd:adm:delyes:{name}")).await;
    let deleted = h.text(Language::Id, "account-deleted", &[("phone", &masked)]);
    assert_eq!(answered(&calls), Some(deleted.clone()));
    assert_eq!(shown(&calls).1, deleted);
    assert!(h.registry.find(&name).is_none());

    let (calls, _) = h.press(ADMIN, "fd:adm:sus:wa-999").await;
    assert_eq!(
        answered(&calls),
        Some(h.text(Language::Id, "stale-button", &[]))
    );
    // Not an admin: refused, whatever the button.
    let (calls, _) = h.press(OWNER, &format!("fd:adm:sus:{name}")).await;
    assert_eq!(
        answered(&calls),
        Some(h.text(Language::Id, "admin-denied", &[]))
    );
    assert_eq!(calls.len(), 1);
}

#[tokio::test]
async fn outcomes_are_counted() {
    let mut h = Harness::start(vec![OWNER, OTHER]).await;
    let name = h.account(PHONE, OWNER, Phase::Connected);
    h.say(STRANGER, "/start").await;
    h.press(STRANGER, "fd:help").await;
    h.say(OTHER, "hello").await;
    h.press(OWNER, "fd:help").await;
    h.press(OWNER, &format!("{name}|menu:accounts")).await;
    h.press(OWNER, "fd:adm:list").await;
    h.say(OWNER, "hello").await;
    h.press(OWNER, "menu:groups").await;
    h.press(OWNER, &format!("{name}|menu:groups")).await;
    h.press(OTHER, &format!("{name}|menu:groups")).await;
    h.seen.down.lock().unwrap().push(name);
    h.say(OWNER, "hello").await;
    let count = |outcome: &str| h.door.metrics.updates.with_label_values(&[outcome]).get();
    assert_eq!(count("refused"), 5);
    assert_eq!(count("handled"), 3);
    assert_eq!(count("routed"), 4);
    assert_eq!(count("tenant_unavailable"), 1);
}
