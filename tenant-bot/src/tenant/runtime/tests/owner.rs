//! A runtime on the fake WhatsApp, with a messenger that records what the
//! owner is shown and a small Bot API stand-in that serves uploads and
//! takes button answers; and the owner's side of the conversation: what
//! they type, press and upload, and what they are told, in order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use crds::Language;
use serde_json::{Value, json};
use teloxide::Bot;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::store::Store;
use crate::telegram::messenger::Error as SendError;
use crate::telegram::{Button, Catalog, Messenger};
use crate::tenant::metrics::Metrics;
use crate::tenant::pairing::Timing;
use crate::tenant::runtime::Runtime;
use crate::tenant::status::Session;
use crate::whatsapp::WhatsApp as _;
use crate::whatsapp::fake::Fake;

/// The owner's Telegram id, in every update.
const OWNER: i64 = 42;

/// How long the owner waits for an answer before the test fails.
const PATIENCE: Duration = Duration::from_secs(20);

/// Something the owner was shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Shown {
    /// A new message, its id, and its buttons' data.
    Sent {
        id: i32,
        text: String,
        buttons: Vec<String>,
    },
    /// A message replaced.
    Edited { id: i32, text: String },
    /// A file, with its caption.
    File {
        name: String,
        bytes: Vec<u8>,
        caption: String,
    },
}

impl Shown {
    /// The text of a message, or a file's caption.
    pub(super) fn text(&self) -> &str {
        match self {
            Self::Sent { text, .. } | Self::Edited { text, .. } => text,
            Self::File { caption, .. } => caption,
        }
    }
}

/// The messenger: everything shown, in order, and its count to wait on.
struct Recorder {
    shown: Mutex<Vec<Shown>>,
    count: watch::Sender<usize>,
}

impl Recorder {
    fn push(&self, shown: Shown) {
        let mut all = self.shown.lock().unwrap();
        all.push(shown);
        self.count.send_replace(all.len());
    }
}

#[async_trait]
impl Messenger for Recorder {
    async fn send(&self, text: String, buttons: Vec<Vec<Button>>) -> Result<i32, SendError> {
        let id = i32::try_from(self.shown.lock().unwrap().len() + 1).unwrap();
        let buttons = buttons.into_iter().flatten().map(|b| b.data).collect();
        self.push(Shown::Sent { id, text, buttons });
        Ok(id)
    }

    async fn edit(&self, id: i32, text: String, _: Vec<Vec<Button>>) -> Result<(), SendError> {
        self.push(Shown::Edited { id, text });
        Ok(())
    }

    async fn send_file(
        &self,
        name: String,
        bytes: Vec<u8>,
        caption: String,
    ) -> Result<(), SendError> {
        self.push(Shown::File {
            name,
            bytes,
            caption,
        });
        Ok(())
    }
}

/// Files the owner uploaded, by file id, as the Bot API stand-in serves
/// them.
type Uploads = Arc<Mutex<HashMap<String, Vec<u8>>>>;

/// The owner, talking to a runtime of their own.
pub(super) struct Owner {
    /// The account's WhatsApp.
    pub(super) fake: Arc<Fake>,
    recorder: Arc<Recorder>,
    count: watch::Receiver<usize>,
    updates: mpsc::Sender<String>,
    uploads: Uploads,
    stop: CancellationToken,
    /// How much of what was shown the owner has read.
    seen: usize,
    next_update: i64,
    _dir: tempfile::TempDir,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl Owner {
    /// A runtime whose owner reads `language` (never chosen, so the
    /// account's default), linked and connected, with `groups` (admin of
    /// each).
    pub(super) async fn start(language: Language, groups: &[&str]) -> Self {
        let phone: crds::PhoneNumber = "6281200000100".parse().unwrap();
        let fake = Arc::new(Fake::new());
        fake.request_pairing_code(&phone).await.unwrap();
        fake.enter_code().unwrap();
        for name in groups {
            fake.add_group(name, &[], true);
        }
        let (count_tx, count) = watch::channel(0);
        let recorder = Arc::new(Recorder {
            shown: Mutex::default(),
            count: count_tx,
        });
        let uploads = Uploads::default();
        let api = bot_api(uploads.clone()).await;
        let dir = tempfile::tempdir().unwrap();
        let runtime = Arc::new(Runtime {
            phone,
            default_language: language,
            catalog: Arc::new(Catalog::new().unwrap()),
            store: Store::open(dir.path().join("bot_data.db")).await.unwrap(),
            whatsapp: fake.clone(),
            messenger: recorder.clone(),
            bot: Bot::new("1:owner").set_api_url(api),
            refresh_every: None,
            timing: Timing::default(),
            metrics: Metrics::new().unwrap(),
        });
        let (updates, rx) = mpsc::channel(16);
        let stop = CancellationToken::new();
        let (session, _) = watch::channel(Session::AwaitingPairing);
        tokio::spawn(runtime.run(rx, stop.clone(), session));
        Self {
            fake,
            recorder,
            count,
            updates,
            uploads,
            stop,
            seen: 0,
            next_update: 1,
            _dir: dir,
        }
    }

    /// The owner types `text`.
    pub(super) async fn types(&mut self, text: &str) {
        self.message(json!({"text": text})).await;
    }

    /// The owner uploads a document.
    pub(super) async fn uploads(&mut self, name: &str, bytes: &[u8]) {
        let id = format!("upload-{}", self.next_update);
        self.uploads
            .lock()
            .unwrap()
            .insert(id.clone(), bytes.to_vec());
        let document = json!({
            "file_id": id, "file_unique_id": id, "file_name": name, "file_size": bytes.len(),
        });
        self.message(json!({ "document": document })).await;
    }

    /// The owner presses the button with `data` on the latest message
    /// that has it, once one has been shown.
    pub(super) async fn presses(&mut self, data: &str) {
        let shown_on = |all: &[Shown]| {
            all.iter().rev().find_map(|shown| match shown {
                Shown::Sent { id, buttons, .. } if buttons.iter().any(|b| b == data) => Some(*id),
                _ => None,
            })
        };
        let waited = tokio::time::timeout(PATIENCE, async {
            loop {
                if let Some(id) = shown_on(&self.recorder.shown.lock().unwrap()) {
                    return id;
                }
                self.count.changed().await.unwrap();
            }
        })
        .await;
        let on = waited.unwrap_or_else(|_| panic!("no button {data}; shown: {:#?}", self.all()));
        let update = json!({
            "update_id": self.update_id(),
            "callback_query": {
                "id": "press", "chat_instance": "chat", "data": data,
                "from": {"id": OWNER, "is_bot": false, "first_name": "O"},
                "message": {
                    "message_id": on, "date": 1_700_000_000, "text": "x",
                    "chat": {"id": OWNER, "type": "private", "first_name": "O"},
                },
            }
        });
        self.updates.send(update.to_string()).await.unwrap();
    }

    /// Waits for the next thing shown, after what the owner read, whose
    /// text holds `needle`; the things before it are read too.
    pub(super) async fn is_told(&mut self, needle: &str) -> Shown {
        let waited = tokio::time::timeout(PATIENCE, async {
            loop {
                if let Some(found) = self.find(needle) {
                    return found;
                }
                self.count.changed().await.unwrap();
            }
        })
        .await;
        waited.unwrap_or_else(|_| panic!("never told {needle:?}; shown: {:#?}", self.all()))
    }

    /// Everything shown so far.
    pub(super) fn all(&self) -> Vec<Shown> {
        self.recorder.shown.lock().unwrap().clone()
    }

    fn find(&mut self, needle: &str) -> Option<Shown> {
        let shown = self.recorder.shown.lock().unwrap();
        let (at, found) = shown
            .iter()
            .enumerate()
            .skip(self.seen)
            .find(|(_, shown)| shown.text().contains(needle))?;
        self.seen = at + 1;
        Some(found.clone())
    }

    async fn message(&mut self, fields: Value) {
        let mut message = json!({
            "message_id": 100, "date": 1_700_000_000,
            "chat": {"id": OWNER, "type": "private", "first_name": "O"},
            "from": {"id": OWNER, "is_bot": false, "first_name": "O"},
        });
        if let (Some(m), Some(f)) = (message.as_object_mut(), fields.as_object()) {
            m.extend(f.clone());
        }
        let update = json!({"update_id": self.update_id(), "message": message});
        self.updates.send(update.to_string()).await.unwrap();
    }

    fn update_id(&mut self) -> i64 {
        self.next_update += 1;
        self.next_update
    }
}

/// A Bot API stand-in on a free port: `getFile` and downloads of the
/// owner's uploads, and `answerCallbackQuery`.
async fn bot_api(uploads: Uploads) -> reqwest::Url {
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri, body: String| {
        let uploads = uploads.clone();
        async move {
            // teloxide escapes the `/` of a file path in a download.
            let path = uri.path().replace("%2F", "/");
            if let Some((_, id)) = path.split_once("/documents/") {
                let bytes = uploads.lock().unwrap().get(id).cloned().unwrap_or_default();
                return axum::response::IntoResponse::into_response(bytes);
            }
            // Telegram takes method names in any case; teloxide capitalizes.
            let result = if path.to_ascii_lowercase().ends_with("/getfile") {
                let asked: Value = serde_json::from_str(&body).unwrap_or_default();
                let id = asked["file_id"].as_str().unwrap_or_default().to_owned();
                let size = uploads.lock().unwrap().get(&id).map_or(0, Vec::len);
                json!({
                    "file_id": id, "file_unique_id": id, "file_size": size,
                    "file_path": format!("documents/{id}"),
                })
            } else {
                json!(true)
            };
            axum::response::IntoResponse::into_response(axum::Json(
                json!({"ok": true, "result": result}),
            ))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/").parse().unwrap()
}
