//! A fake Telegram Bot API server: the methods the bot uses, with the Bot
//! API's own paths (`/bot<token>/<method>`, `/file/bot<token>/<path>`).
//! It records every call, lets a test inject updates, files and errors, and
//! accepts only the tokens it was given, such as a tenant's
//! `<account>:<secret>` credential.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::cluster::DEADLINE;

/// One recorded Bot API call.
#[derive(Debug, Clone)]
pub struct Call {
    /// The token (or credential) in the path.
    pub token: String,
    /// The method, e.g. `sendMessage`.
    pub method: String,
    /// Parameters: the JSON body, or the form fields of a multipart call
    /// (files as `{"file_name": …, "size": …}`).
    pub params: Value,
    /// When the call arrived.
    pub at: std::time::Instant,
}

#[derive(Debug, Default)]
struct Inner {
    tokens: HashSet<String>,
    calls: Vec<Call>,
    updates: VecDeque<Value>,
    next_update_id: i64,
    next_message_id: i64,
    files: HashMap<String, Vec<u8>>,
    failures: HashMap<String, VecDeque<(u16, Option<u64>)>>,
}

/// The running fake; stops with the test's runtime.
#[derive(Debug, Clone)]
pub struct FakeTelegram {
    address: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
}

impl FakeTelegram {
    /// Starts on a free loopback port, accepting `tokens`.
    pub async fn start(tokens: &[&str]) -> Self {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), tokens).await
    }

    /// Starts on `address` (port 0: a free one), accepting `tokens`: on
    /// the node's address, pods reach it.
    pub async fn start_on(address: SocketAddr, tokens: &[&str]) -> Self {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .expect("bind the fake Telegram server");
        let fake = Self {
            address: listener.local_addr().expect("address"),
            inner: Arc::new(Mutex::new(Inner {
                tokens: tokens.iter().map(|t| (*t).to_owned()).collect(),
                next_update_id: 1,
                next_message_id: 1,
                ..Inner::default()
            })),
            changed: Arc::new(Notify::new()),
        };
        let router = Router::new()
            .route("/{bot}/{method}", any(method))
            .route("/file/{bot}/{*path}", get(file))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        fake
    }

    /// The base URL to give a bot instead of `https://api.telegram.org`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("fake Telegram state")
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// Calls of one method so far.
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method)
            .collect()
    }

    /// Waits until a call after the first `skip` calls, of any method,
    /// satisfies `check`, and returns it; `what` names it in the panic.
    pub async fn wait_for_call(
        &self,
        what: &str,
        skip: usize,
        check: impl Fn(&Call) -> bool,
    ) -> Call {
        let wait = async {
            // Each call is looked at once, however many wake-ups there are.
            let mut next = skip;
            loop {
                let notified = self.changed.notified();
                let (fresh, all) = self.calls_since(next);
                next = all.max(next);
                if let Some(call) = fresh.into_iter().find(|c| check(c)) {
                    return call;
                }
                notified.await;
            }
        };
        tokio::time::timeout(DEADLINE, wait)
            .await
            .unwrap_or_else(|_| {
                let seen: Vec<_> = self
                    .calls()
                    .into_iter()
                    .skip(skip)
                    .filter(|c| c.method != "getUpdates")
                    .map(|c| (c.method, c.params))
                    .collect();
                panic!("no call of {what} within {DEADLINE:?}; calls: {seen:#?}")
            })
    }

    /// Waits until a call of `method` satisfies `check`, and returns it.
    pub async fn wait_for(&self, method: &str, check: impl Fn(&Call) -> bool) -> Call {
        self.wait_for_call(method, 0, |c| c.method == method && check(c))
            .await
    }

    /// The calls after the first `skip`, and how many there are in all:
    /// for following a long run without copying it all each time.
    pub fn calls_since(&self, skip: usize) -> (Vec<Call>, usize) {
        let inner = self.lock();
        let calls = &inner.calls;
        (calls.get(skip..).unwrap_or_default().to_vec(), calls.len())
    }

    /// Notified on every call and every queued update; take `notified()`
    /// before looking, so nothing slips in between.
    pub fn changes(&self) -> Arc<Notify> {
        self.changed.clone()
    }

    /// How many updates were queued so far.
    pub fn pushed(&self) -> i64 {
        self.lock().next_update_id
    }

    /// Queues an update for `getUpdates`; its `update_id` is filled in.
    pub fn push_update(&self, mut update: Value) -> i64 {
        let id = {
            let mut inner = self.lock();
            let id = inner.next_update_id;
            inner.next_update_id += 1;
            update["update_id"] = json!(id);
            inner.updates.push_back(update);
            id
        };
        self.changed.notify_waiters();
        id
    }

    /// Makes a file downloadable by `getFile` and its path.
    pub fn add_file(&self, file_id: &str, bytes: Vec<u8>) {
        self.lock().files.insert(file_id.to_owned(), bytes);
    }

    /// The next `times` calls of `method` fail with `status` (429 with
    /// `retry_after` seconds when given).
    pub fn fail_next(&self, method: &str, status: u16, retry_after: Option<u64>, times: usize) {
        self.lock()
            .failures
            .entry(method.to_owned())
            .or_default()
            .extend(std::iter::repeat_n((status, retry_after), times));
    }
}

fn reply(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn ok(result: Value) -> Response {
    reply(StatusCode::OK, json!({"ok": true, "result": result}))
}

async fn params_of(request: Request) -> Value {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if is_multipart {
        let mut params = serde_json::Map::new();
        if let Ok(mut form) = Multipart::from_request(request, &()).await {
            while let Ok(Some(field)) = form.next_field().await {
                let name = field.name().unwrap_or_default().to_owned();
                let file_name = field.file_name().map(str::to_owned);
                let bytes = field.bytes().await.unwrap_or_default();
                let value = match file_name {
                    Some(file_name) => json!({"file_name": file_name, "size": bytes.len()}),
                    None => {
                        let text = String::from_utf8_lossy(&bytes).into_owned();
                        serde_json::from_str(&text).unwrap_or(Value::String(text))
                    }
                };
                params.insert(name, value);
            }
        }
        return Value::Object(params);
    }
    let bytes = axum::body::to_bytes(request.into_body(), 16 << 20)
        .await
        .unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or_else(|_| json!({}))
}

async fn method(
    State(fake): State<FakeTelegram>,
    Path((bot, method)): Path<(String, String)>,
    request: Request,
) -> Response {
    let Some(token) = bot.strip_prefix("bot").map(str::to_owned) else {
        return reply(
            StatusCode::NOT_FOUND,
            json!({"ok": false, "error_code": 404}),
        );
    };
    // Method names are case-insensitive in the Bot API (teloxide sends
    // `SendMessage`); record them as documented, `sendMessage`.
    let mut chars = method.chars();
    let method: String = chars
        .next()
        .map(|c| c.to_ascii_lowercase())
        .into_iter()
        .chain(chars)
        .collect();
    let params = params_of(request).await;
    let (authorised, failure) = {
        let mut inner = fake.lock();
        let authorised = inner.tokens.contains(&token);
        let failure = if authorised {
            inner.calls.push(Call {
                token: token.clone(),
                method: method.clone(),
                params: params.clone(),
                at: std::time::Instant::now(),
            });
            inner
                .failures
                .get_mut(&method)
                .and_then(VecDeque::pop_front)
        } else {
            None
        };
        (authorised, failure)
    };
    fake.changed.notify_waiters();
    if !authorised {
        return reply(
            StatusCode::UNAUTHORIZED,
            json!({"ok": false, "error_code": 401, "description": "Unauthorized"}),
        );
    }
    if let Some((status, retry_after)) = failure {
        let mut body = json!({"ok": false, "error_code": status, "description": "injected"});
        if let Some(seconds) = retry_after {
            body["parameters"] = json!({"retry_after": seconds});
            body["description"] = json!(format!("Too Many Requests: retry after {seconds}"));
        }
        return reply(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            body,
        );
    }
    answer(&fake, &method, &params).await
}

/// A plausible result for each method.
async fn answer(fake: &FakeTelegram, method: &str, params: &Value) -> Response {
    let message = |fake: &FakeTelegram, extra: Value| {
        let mut inner = fake.lock();
        let id = params["message_id"].as_i64().unwrap_or_else(|| {
            let id = inner.next_message_id;
            inner.next_message_id += 1;
            id
        });
        let chat_id = params["chat_id"].as_i64().unwrap_or_default();
        let mut message = json!({
            "message_id": id,
            "date": 1_700_000_000,
            "chat": {"id": chat_id, "type": "private", "first_name": "Owner"},
            "from": {"id": 1, "is_bot": true, "first_name": "Pawang", "username": "pawang_bot"},
        });
        if let (Some(m), Some(e)) = (message.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        message
    };
    match method {
        "getMe" => ok(json!({
            "id": 1, "is_bot": true, "first_name": "Pawang", "username": "pawang_bot",
            "can_join_groups": false, "can_read_all_group_messages": false,
            "supports_inline_queries": false,
        })),
        "sendMessage" | "editMessageText" => {
            let extra = json!({"text": params["text"].clone()});
            ok(message(fake, extra))
        }
        "sendDocument" => {
            let extra = json!({"document": {"file_id": "doc", "file_unique_id": "doc"}});
            ok(message(fake, extra))
        }
        "deleteMessage" | "answerCallbackQuery" | "setMyCommands" | "deleteWebhook" => {
            ok(json!(true))
        }
        "getFile" => {
            let id = params["file_id"].as_str().unwrap_or_default().to_owned();
            let size = fake.lock().files.get(&id).map(Vec::len);
            match size {
                Some(size) => ok(json!({
                    "file_id": id, "file_unique_id": id, "file_size": size,
                    "file_path": format!("documents/{id}"),
                })),
                None => reply(
                    StatusCode::BAD_REQUEST,
                    json!({"ok": false, "error_code": 400, "description": "Bad Request: invalid file_id"}),
                ),
            }
        }
        "getUpdates" => {
            // As Telegram does: the offset confirms every update below it,
            // and at most `limit` (1 to 100) of the rest are given, oldest
            // first, again and again until confirmed.
            let offset = params["offset"].as_i64().unwrap_or(0);
            let limit = params["limit"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
            let timeout = Duration::from_secs(params["timeout"].as_u64().unwrap_or(0).min(5));
            let take = |fake: &FakeTelegram| {
                let mut inner = fake.lock();
                inner
                    .updates
                    .retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
                inner
                    .updates
                    .iter()
                    .take(limit)
                    .cloned()
                    .collect::<Vec<_>>()
            };
            let notified = fake.changed.notified();
            let mut updates = take(fake);
            if updates.is_empty() && !timeout.is_zero() {
                let _ = tokio::time::timeout(timeout, notified).await;
                updates = take(fake);
            }
            ok(json!(updates))
        }
        other => reply(
            StatusCode::NOT_FOUND,
            json!({"ok": false, "error_code": 404, "description": format!("Not Found: method {other} is not faked")}),
        ),
    }
}

async fn file(
    State(fake): State<FakeTelegram>,
    Path((bot, path)): Path<(String, String)>,
) -> Response {
    let token = bot.strip_prefix("bot").unwrap_or_default();
    let inner = fake.lock();
    if !inner.tokens.contains(token) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let id = path.strip_prefix("documents/").unwrap_or_default();
    match inner.files.get(id) {
        Some(bytes) => (StatusCode::OK, Bytes::from(bytes.clone())).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
