//! A front door for the scenarios: a local Bot API records what the
//! front door says, a local tenant what it is handed, and an in-memory
//! registry holds the accounts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, State};
use crds::{Language, Phase, PhoneNumber, WhatsAppAccount, WhatsAppAccountStatus};
use kube::ResourceExt;
use serde_json::{Value, json};
use teloxide::Bot;

use crate::front_door::accounts::{self, Accounts, Registry};
use crate::front_door::bot::FrontDoor;
use crate::front_door::gateway::grants::Grants;
use crate::front_door::handlers::{Dispatcher, commands};
use crate::front_door::metrics::Metrics;
use crate::front_door::routing::{Handler as _, Tenants};
use crate::front_door::settings::{Access, Intake, Settings};
use crate::front_door::ui::Ui;
use crate::telegram::Catalog;

pub(super) const OWNER: i64 = 7_001;
pub(super) const OTHER: i64 = 7_002;
pub(super) const ADMIN: i64 = 7_009;
pub(super) const STRANGER: i64 = 7_666;
pub(super) const PHONE: &str = "6281234567890";
pub(super) const SECOND: &str = "6281234567891";
pub(super) const THEIRS: &str = "6285712345678";

/// Accounts in memory.
#[derive(Default)]
pub(super) struct Memory(Mutex<HashMap<String, Arc<WhatsAppAccount>>>);

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
pub(super) struct Seen {
    /// Bot API calls: the method in lower case and its parameters.
    pub(super) calls: Mutex<Vec<(String, Value)>>,
    /// Updates handed to tenants, by account.
    pub(super) forwarded: Mutex<Vec<(String, Value)>>,
    /// Accounts whose tenant answers 500.
    pub(super) down: Mutex<Vec<String>>,
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

pub(super) struct Harness {
    pub(super) door: Arc<FrontDoor>,
    handlers: Dispatcher,
    pub(super) seen: Arc<Seen>,
    pub(super) registry: Arc<Memory>,
    catalog: Catalog,
    pub(super) grants: Grants,
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
            user_rate_per_minute: 30,
        },
        tenant_url_template: format!("http://{address}/tenant/{{name}}"),
        telegram_api_url: format!("http://{address}"),
        intake: Intake::Polling,
        webhook_url: None,
        webhook_secret_file: None,
        listen: address,
        gateway_listen: address,
        retain_volumes: false,
    }
}

impl Harness {
    /// A front door open to everyone.
    pub(super) async fn open() -> Self {
        Self::start(vec![]).await
    }

    /// A front door only `allowed` (and the admin) may use.
    pub(super) async fn start(allowed: Vec<i64>) -> Self {
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
            handlers: Dispatcher::new(door.clone()),
            door,
            seen,
            registry,
            catalog: Catalog::new().unwrap(),
            grants,
            next_update: 100,
        }
    }

    /// Adds `owner`'s account of `phone` in `phase`.
    pub(super) fn account(&self, phone: &str, owner: i64, phase: Phase) -> String {
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

    pub(super) fn text(&self, language: Language, id: &str, args: &[(&str, &str)]) -> String {
        self.catalog.text(language, id, args)
    }

    pub(super) fn help(&self, language: Language) -> String {
        commands::help(&self.catalog, language)
    }

    /// Hands `user`'s update of `kind` to the front door; returns the
    /// Bot API calls it made and the updates it forwarded.
    pub(super) async fn update(
        &mut self,
        user: i64,
        kind: &str,
        body: Value,
    ) -> (Vec<(String, Value)>, Vec<(String, Value)>) {
        self.next_update += 1;
        let mut update = json!({"update_id": self.next_update});
        update[kind] = body;
        self.handlers.handle(user, update).await;
        let calls = std::mem::take(&mut *self.seen.calls.lock().unwrap());
        let forwarded = std::mem::take(&mut *self.seen.forwarded.lock().unwrap());
        (calls, forwarded)
    }

    pub(super) async fn say(
        &mut self,
        user: i64,
        text: &str,
    ) -> (Vec<(String, Value)>, Vec<(String, Value)>) {
        let message = message(user, text);
        self.update(user, "message", message).await
    }

    pub(super) async fn press(
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

pub(super) fn message(user: i64, text: &str) -> Value {
    json!({
        "message_id": 50,
        "date": 0,
        "chat": {"id": user, "type": "private", "first_name": "U"},
        "from": {"id": user, "is_bot": false, "first_name": "U"},
        "text": text,
    })
}

/// The one message sent or edited among `calls`, with its buttons' data.
pub(super) fn shown(calls: &[(String, Value)]) -> (String, String, Vec<String>) {
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
pub(super) fn answered(calls: &[(String, Value)]) -> Option<String> {
    let answers: Vec<_> = calls
        .iter()
        .filter(|(m, _)| m == "answercallbackquery")
        .collect();
    assert_eq!(answers.len(), 1, "{calls:?}");
    answers[0].1["text"].as_str().map(str::to_owned)
}

pub(super) fn texts(calls: &[(String, Value)]) -> Vec<String> {
    calls
        .iter()
        .filter(|(m, _)| m == "sendmessage" || m == "editmessagetext")
        .map(|(_, p)| p["text"].as_str().unwrap().to_owned())
        .collect()
}
