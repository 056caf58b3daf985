//! A tenant's runtime with the fake WhatsApp and the fake Bot API server,
//! and its owner: what they type, press and upload, and what they are
//! told, in order.
#![allow(clippy::unwrap_used)] // test support: a broken harness fails the test

use std::sync::Arc;

use crds::Language;
use serde_json::{Value, json};
use teloxide::Bot;
use tenant_bot::store::Store;
use tenant_bot::telegram::{Catalog, TelegramMessenger};
use tenant_bot::tenant::metrics::Metrics;
use tenant_bot::tenant::pairing::Timing;
use tenant_bot::tenant::runtime::Runtime;
use tenant_bot::tenant::status::Session;
use tenant_bot::whatsapp::WhatsApp;
use tenant_bot::whatsapp::fake::Fake;
use tokio::sync::{mpsc, watch};

use crate::fake_telegram::{Call, FakeTelegram};

/// The tenant's credential at the fake Bot API.
pub const CREDENTIAL: &str = "wa-447700900123:0123456789abcdef0123456789abcdef";
/// The owner's Telegram id and chat.
pub const OWNER: i64 = 555_000_111;

/// A running runtime.
#[derive(Debug)]
pub struct Tenant {
    /// Updates to the runtime, as the front door forwards them.
    pub updates: mpsc::Sender<String>,
    /// The session as the runtime reports it.
    pub session: watch::Receiver<Session>,
    /// Stops the runtime (a tenant shutdown).
    pub stop: tokio_util::sync::CancellationToken,
    /// The runtime's task.
    pub task: tokio::task::JoinHandle<()>,
}

impl Tenant {
    /// Stops the runtime the way a tenant shutdown does, and waits.
    pub async fn shut_down(self) {
        self.stop.cancel();
        self.task.await.unwrap();
    }
}

/// Starts a runtime on the bot data in `dir`.
pub async fn start(telegram: &FakeTelegram, fake: Arc<Fake>, dir: &std::path::Path) -> Tenant {
    start_refreshing(telegram, fake, dir, None).await
}

/// Starts a runtime that fetches the group list every `refresh_every`.
pub async fn start_refreshing(
    telegram: &FakeTelegram,
    fake: Arc<Fake>,
    dir: &std::path::Path,
    refresh_every: Option<std::time::Duration>,
) -> Tenant {
    start_with(telegram, fake, dir, refresh_every).await
}

/// Starts a runtime on `whatsapp`, whichever it is.
pub async fn start_with(
    telegram: &FakeTelegram,
    whatsapp: Arc<dyn WhatsApp>,
    dir: &std::path::Path,
    refresh_every: Option<std::time::Duration>,
) -> Tenant {
    let url: reqwest::Url = telegram.url().parse().unwrap();
    let runtime = Arc::new(Runtime {
        phone: "447700900123".parse().unwrap(),
        default_language: Language::Id,
        catalog: Arc::new(Catalog::new().unwrap()),
        store: Store::open(dir.join("bot_data.db")).await.unwrap(),
        whatsapp,
        messenger: Arc::new(TelegramMessenger::new(url.clone(), CREDENTIAL, OWNER)),
        bot: Bot::new(CREDENTIAL).set_api_url(url),
        refresh_every,
        timing: Timing::default(),
        metrics: Metrics::new().unwrap(),
    });
    let (updates, rx) = mpsc::channel(16);
    let stop = tokio_util::sync::CancellationToken::new();
    let (session_tx, session) = watch::channel(Session::AwaitingPairing);
    let task = tokio::spawn(runtime.run(rx, stop.clone(), session_tx));
    Tenant {
        updates,
        session,
        stop,
        task,
    }
}

/// A message from the owner in their chat, with `fields` (text, document,
/// photo…) added.
pub fn owner_message(fields: Value) -> Value {
    let mut message = json!({
        "message_id": 100, "date": 1_700_000_000,
        "chat": {"id": OWNER, "type": "private", "first_name": "O"},
        "from": {"id": OWNER, "is_bot": false, "first_name": "O"},
    });
    if let (Some(m), Some(f)) = (message.as_object_mut(), fields.as_object()) {
        m.extend(f.clone());
    }
    json!({"update_id": next_update_id(), "message": message})
}

/// A fresh update id: a tenant takes each id once, as Telegram gives it.
pub fn next_update_id() -> i64 {
    static NEXT: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The owner typed `text`.
pub fn text_update(text: &str) -> Value {
    owner_message(json!({"text": text}))
}

/// The owner uploaded a document of `size` bytes (as Telegram says).
pub fn document_update(file_id: &str, name: &str, size: usize) -> Value {
    owner_message(json!({"document": {
        "file_id": file_id, "file_unique_id": file_id, "file_name": name, "file_size": size,
    }}))
}

/// The owner sent a photo of `size` bytes, in two sizes as Telegram does.
pub fn photo_update(file_id: &str, size: usize) -> Value {
    owner_message(json!({"photo": [
        {"file_id": "thumbnail", "file_unique_id": "thumbnail", "width": 90, "height": 90, "file_size": 900},
        {"file_id": file_id, "file_unique_id": file_id, "width": 1280, "height": 960, "file_size": size},
    ]}))
}

/// The owner pressed a button with `data` on message `message_id`.
pub fn callback_update(data: &str, message_id: i64) -> Value {
    json!({
        "update_id": next_update_id(),
        "callback_query": {
            "id": "cb1", "chat_instance": "ci", "data": data,
            "from": {"id": OWNER, "is_bot": false, "first_name": "O"},
            "message": {
                "message_id": message_id, "date": 1_700_000_000, "text": "x",
                "chat": {"id": OWNER, "type": "private", "first_name": "O"},
            },
        }
    })
}

/// The text of a sent or edited message.
pub fn text_of(call: &Call) -> String {
    call.params["text"].as_str().unwrap_or_default().to_owned()
}

/// Hands `update` to the tenant as the front door would.
pub async fn send(tenant: &Tenant, update: Value) {
    tenant.updates.send(update.to_string()).await.unwrap();
}

/// Waits for a `method` call whose text contains `needle`.
pub async fn sees(telegram: &FakeTelegram, method: &str, needle: &str) -> Call {
    telegram
        .wait_for(method, |c| text_of(c).contains(needle))
        .await
}

/// Waits for the pairing code, enters it and waits until connected.
pub async fn pair(telegram: &FakeTelegram, fake: &Fake, tenant: &mut Tenant) {
    sees(telegram, "sendMessage", "FAKE-").await;
    fake.enter_code().unwrap();
    tenant
        .session
        .wait_for(|s| matches!(s, Session::Connected { .. }))
        .await
        .unwrap();
}

/// A tenant with the fake WhatsApp, linked and connected.
pub async fn paired() -> (tempfile::TempDir, FakeTelegram, Arc<Fake>, Tenant) {
    let dir = tempfile::tempdir().unwrap();
    let telegram = FakeTelegram::start(&[CREDENTIAL]).await;
    let fake = Arc::new(Fake::new());
    let mut tenant = start(&telegram, fake.clone(), dir.path()).await;
    pair(&telegram, &fake, &mut tenant).await;
    (dir, telegram, fake, tenant)
}

/// The owner's side of a conversation: each expectation is met by a call
/// after the previous one's, so repeated texts are told apart.
#[derive(Debug)]
pub struct Owner<'a> {
    /// The fake Bot API.
    pub telegram: &'a FakeTelegram,
    /// The runtime.
    pub tenant: &'a Tenant,
    seen: usize,
}

impl<'a> Owner<'a> {
    /// The owner of `tenant`, from now on.
    pub fn new(telegram: &'a FakeTelegram, tenant: &'a Tenant) -> Self {
        Self {
            telegram,
            tenant,
            seen: telegram.calls().len(),
        }
    }

    /// Types `text`.
    pub async fn types(&self, text: &str) {
        send(self.tenant, text_update(text)).await;
    }

    /// Presses the button with `data`.
    pub async fn presses(&self, data: &str) {
        send(self.tenant, callback_update(data, 9)).await;
    }

    /// Uploads `bytes` as a document called `name`.
    pub async fn uploads(&self, name: &str, bytes: Vec<u8>) {
        let id = format!("file-{}", self.telegram.calls().len());
        let size = bytes.len();
        self.telegram.add_file(&id, bytes);
        send(self.tenant, document_update(&id, name, size)).await;
    }

    /// Sends `bytes` as a photo.
    pub async fn sends_photo(&self, bytes: Vec<u8>) {
        let id = format!("photo-{}", self.telegram.calls().len());
        let size = bytes.len();
        self.telegram.add_file(&id, bytes);
        send(self.tenant, photo_update(&id, size)).await;
    }

    /// Waits for a message sent or edited after the last one seen whose
    /// text contains `needle`; returns its text.
    pub async fn is_told(&mut self, needle: &str) -> String {
        let check = |c: &Call| {
            ["sendMessage", "editMessageText"].contains(&c.method.as_str())
                && text_of(c).contains(needle)
        };
        let call = self.telegram.wait_for_call(needle, self.seen, check).await;
        // Calls are only ever appended, so the first match is the one
        // waited for.
        let calls = self.telegram.calls();
        self.seen += calls.iter().skip(self.seen).position(check).unwrap() + 1;
        text_of(&call)
    }

    /// Waits for a document sent after the last message seen; returns its
    /// file name and caption.
    pub async fn gets_file(&mut self) -> (String, String) {
        let call = self
            .telegram
            .wait_for_call("sendDocument", self.seen, |c| c.method == "sendDocument")
            .await;
        let part = call.params["document"]
            .as_str()
            .and_then(|d| d.strip_prefix("attach://"))
            .unwrap_or_default();
        let name = call.params[part]["file_name"].as_str().unwrap_or_default();
        let caption = call.params["caption"].as_str().unwrap_or_default();
        (name.to_owned(), caption.to_owned())
    }
}
